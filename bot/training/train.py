"""Train the model beside the lexicon, and measure it honestly.

Features per item: the sentence embedding of the text the bot would encode, and the lexicon's signals. The
figures come from cross-validation grouped by incident (no incident on both sides); a story the first pass would
not send to the encoder is scored by the lexicon alone, as in the bot. The calibration (Platt) is fitted on the
out-of-fold logits; the final weights on everything. Seeded: the same corpus and encoder give the same model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.classify.classifier import Classifier, default_classifier
from bot.classify.encoder import Encoder, encoder_text
from bot.classify.model import (
    LEXICON_FEATURES,
    NEIGHBOURS_K,
    LearnedModel,
    lexicon_features,
    neighbour_features,
)
from bot.training.corpus import Item, corpus_hash
from bot.training.embeddings import CACHE_DIR, embed_all
from bot.training.logreg import fit_logistic, fit_platt, sigmoid
from bot.training.metrics import errors, grouped_folds, report

SEED = 20261207
FOLDS = 5
L2_GRID = (0.01, 0.03, 0.1, 0.3)
THRESHOLD = 0.5

F64 = npt.NDArray[np.float64]


@dataclass
class Features:
    embeddings: npt.NDArray[np.float32]
    lexicon: npt.NDArray[np.float32]
    lexicon_scores: F64
    cues: npt.NDArray[np.bool_]
    labels: F64
    incidents: npt.NDArray[np.str_]

    def side(self, rows: npt.NDArray[np.int64], reference: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Lexicon and neighbour features of `rows`, the neighbours taken among `reference` and never of the same
        incident (so that a case does not explain itself, in training as in the folds)."""
        sims = self.embeddings[rows] @ self.embeddings[reference].T
        sims[self.incidents[rows][:, None] == self.incidents[reference][None, :]] = -1.0
        near = neighbour_features(sims, self.labels[reference] > 0, NEIGHBOURS_K)
        out: npt.NDArray[np.float32] = np.hstack([self.lexicon[rows], near])
        return out


@dataclass
class TrainResult:
    model: LearnedModel
    metrics: dict[str, Any]
    oof: F64  # the final, gated, out-of-fold scores, in item order


def featurise(
    items: Sequence[Item],
    encoder: Encoder,
    classifier: Classifier | None = None,
    cache_dir: Path | None = CACHE_DIR,
    progress: Callable[[int, int], None] | None = None,
) -> Features:
    clf = classifier or default_classifier()
    lex = np.zeros((len(items), len(LEXICON_FEATURES)), dtype=np.float32)
    scores = np.zeros(len(items))
    cues = np.zeros(len(items), dtype=bool)
    for i, item in enumerate(items):
        verdict, cue = clf.first_pass(item.title, item.summary, None, item.lang or None)
        lex[i] = lexicon_features(verdict)
        scores[i] = verdict.score
        cues[i] = cue
    texts = [encoder_text(item.title, item.summary) for item in items]
    embeddings = embed_all(encoder, texts, cache_dir, progress)
    labels = np.array([item.label for item in items], dtype=np.float64)
    incidents = np.array([item.incident for item in items])
    return Features(embeddings, lex, scores, cues, labels, incidents)


def _standardise(side: npt.NDArray[np.float32]) -> tuple[F64, F64]:
    mean = side.mean(axis=0).astype(np.float64)
    scale = side.std(axis=0).astype(np.float64)
    scale[scale < 1e-6] = 1.0
    return mean, scale


def _design(feats: Features, rows: npt.NDArray[np.int64], side: npt.NDArray[np.float32], mean: F64, scale: F64) -> F64:
    out: F64 = np.hstack([feats.embeddings[rows].astype(np.float64), (side.astype(np.float64) - mean) / scale])
    return out


def out_of_fold_logits(feats: Features, folds: list[npt.NDArray[np.int64]], l2: float) -> F64:
    logits = np.zeros(len(feats.labels))
    everything = np.arange(len(feats.labels))
    for test in folds:
        train = np.setdiff1d(everything, test)
        side_train, side_test = feats.side(train, train), feats.side(test, train)
        mean, scale = _standardise(side_train)
        w, b = fit_logistic(_design(feats, train, side_train, mean, scale), feats.labels[train], l2)
        logits[test] = _design(feats, test, side_test, mean, scale) @ w + b
    return logits


def _log_loss(y: F64, p: F64) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gated(feats: Features, probs: F64) -> F64:
    """What the bot would score: the model where the first pass found a cue, the lexicon elsewhere."""
    out: F64 = np.where(feats.cues, probs, feats.lexicon_scores)
    return out


def train(
    items: Sequence[Item],
    encoder: Encoder,
    *,
    seed: int = SEED,
    folds: int = FOLDS,
    cache_dir: Path | None = CACHE_DIR,
    progress: Callable[[int, int], None] | None = None,
) -> TrainResult:
    started = time.monotonic()
    feats = featurise(items, encoder, cache_dir=cache_dir, progress=progress)
    split = grouped_folds(items, folds, seed)
    # The regularisation is the one choice made on the folds; the set-aside files play no part in it.
    trials = {}
    for l2 in L2_GRID:
        logits = out_of_fold_logits(feats, split, l2)
        a, b = fit_platt(logits, feats.labels)
        trials[l2] = (_log_loss(feats.labels, sigmoid(a * logits + b)), logits, a, b)
    l2 = min(trials, key=lambda k: trials[k][0])
    _, logits, calib_a, calib_b = trials[l2]
    oof = gated(feats, sigmoid(calib_a * logits + calib_b))

    everything = np.arange(len(items))
    side = feats.side(everything, everything)
    mean, scale = _standardise(side)
    w, b = fit_logistic(_design(feats, everything, side, mean, scale), feats.labels, l2)
    positives = feats.labels > 0
    metrics: dict[str, Any] = {
        "cross_validated": report(items, oof.tolist(), THRESHOLD),
        "lexicon_alone": report(items, feats.lexicon_scores.tolist(), THRESHOLD),
        "first_pass": {
            "positives_kept": round(float(feats.cues[positives].mean()), 4) if positives.any() else 1.0,
            "negatives_skipped": round(float((~feats.cues[~positives]).mean()), 4) if (~positives).any() else 0.0,
        },
        "errors": errors(items, oof.tolist(), THRESHOLD),
    }
    provenance = {
        "corpus_hash": corpus_hash(items),
        "items": len(items),
        "items_by_origin": {o: sum(1 for i in items if i.origin == o) for o in sorted({i.origin for i in items})},
        "incidents": len({i.incident for i in items}),
        "seed": seed,
        "folds": folds,
        "l2": l2,
        "neighbours_k": NEIGHBOURS_K,
        "threshold": THRESHOLD,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "train_seconds": round(time.monotonic() - started, 1),
        "metrics": {k: v for k, v in metrics.items() if k != "errors"},
    }
    model = LearnedModel(
        encoder=encoder.name,
        weights=w.astype(np.float32),
        bias=b,
        side_mean=mean.astype(np.float32),
        side_scale=scale.astype(np.float32),
        calib_a=calib_a,
        calib_b=calib_b,
        cases=feats.embeddings.astype(np.float16),
        case_labels=feats.labels.astype(np.int8),
        case_incidents=[i.incident for i in items],
        case_titles=[i.title[:160] for i in items],
        case_categories=[i.category for i in items],
        provenance=provenance,
    )
    return TrainResult(model, metrics, oof)


def regressions(new: dict[str, Any], committed: dict[str, Any], tolerance: float = 0.005) -> list[str]:
    """Headline figures of `new` that fell below the committed model's (cross-validated, gated)."""
    out = []
    for key in ("precision", "recall", "f1"):
        old = committed.get(key)
        if old is not None and new[key] < old - tolerance:
            out.append(f"{key} {new[key]:.4f} < committed {old:.4f}")
    old_fpr = committed.get("hard_negative_fpr")
    if old_fpr is not None and new["hard_negative_fpr"] > old_fpr + tolerance:
        out.append(f"hard_negative_fpr {new['hard_negative_fpr']:.4f} > committed {old_fpr:.4f}")
    return out
