"""The trained model beside the lexicon: a calibrated logistic regression over a story's sentence embedding and
the lexicon's own signals, and the labelled cases nearest to a story by meaning.

Inference is plain numpy. The weights and their provenance (corpus hash, encoder, metrics) live in
`config/model/` and are written by `breachwatch train` (bot/training/).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.classify.lexicon import CONCEPT_KINDS, Kind
from bot.classify.verdict import Case, Reason, Verdict

Vector = npt.NDArray[np.float32]

WEIGHTS_FILE = "classifier.npz"
PROVENANCE_FILE = "classifier.json"
# Concepts whose presence is a feature: evidence and counter-evidence, not guild vetoes or the matcher's masks.
FEATURE_CONCEPTS: tuple[str, ...] = tuple(
    c for c, k in CONCEPT_KINDS.items() if k not in (Kind.MASK, Kind.BLOCK, Kind.FORCE)
)
FEATURE_REASONS: tuple[Reason, ...] = tuple(r for r in Reason if r is not Reason.BLOCKED_BY_RULE)
LEXICON_FEATURES: tuple[str, ...] = (
    "lexicon_score",
    "lexicon_match",
    *(f"has_{c}" for c in FEATURE_CONCEPTS),
    *(f"reason_{r.value}" for r in FEATURE_REASONS),
)


# How many labelled cases of each kind the neighbour features look at.
NEIGHBOURS_K = 10
# How close the story is, by meaning, to known breaches and to known non-breaches (top and mean of the k nearest).
NEIGHBOUR_FEATURES: tuple[str, ...] = (
    "near_breach_top",
    "near_breach_mean",
    "near_other_top",
    "near_other_mean",
    "near_top_gap",
    "near_mean_gap",
)
SIDE_FEATURES: tuple[str, ...] = LEXICON_FEATURES + NEIGHBOUR_FEATURES


class ModelError(RuntimeError):
    """The model files are missing, damaged, or were trained for another encoder."""


def lexicon_features(verdict: Verdict) -> Vector:
    """The lexicon's signals for one story, in LEXICON_FEATURES order."""
    out = np.zeros(len(LEXICON_FEATURES), dtype=np.float32)
    out[0] = verdict.score
    out[1] = float(verdict.match)
    base = 2
    for i, concept in enumerate(FEATURE_CONCEPTS):
        if concept in verdict.evidence:
            out[base + i] = 1.0
    base += len(FEATURE_CONCEPTS)
    if verdict.reason is not None and verdict.reason in FEATURE_REASONS:
        out[base + FEATURE_REASONS.index(verdict.reason)] = 1.0
    return out


def neighbour_features(sims: npt.NDArray[np.float32], positive: npt.NDArray[np.bool_], k: int) -> Vector:
    """NEIGHBOUR_FEATURES for each row of `sims` (similarities of stories to the labelled cases; a case to be
    ignored, such as one of the story's own incident while training, has similarity -1)."""
    k = max(1, min(k, int(positive.sum()), int((~positive).sum())))
    breach = np.where(positive[None, :], sims, -1.0)
    other = np.where(positive[None, :], -1.0, sims)
    tb = -np.partition(-breach, k - 1, axis=1)[:, :k]
    to = -np.partition(-other, k - 1, axis=1)[:, :k]
    top_b, top_o = tb.max(axis=1), to.max(axis=1)
    mean_b, mean_o = tb.mean(axis=1), to.mean(axis=1)
    out: Vector = np.stack([top_b, mean_b, top_o, mean_o, top_b - top_o, mean_b - mean_o], axis=1).astype(np.float32)
    return out


@dataclass(frozen=True)
class LearnedModel:
    encoder: str  # the encoder whose space the weights live in (Encoder.name)
    weights: Vector  # [dim + len(SIDE_FEATURES)]
    bias: float
    side_mean: Vector  # standardisation of the side features (lexicon and neighbours)
    side_scale: Vector
    calib_a: float  # Platt scaling of the raw logit: p = sigmoid(a * logit + b)
    calib_b: float
    cases: npt.NDArray[np.float16]  # labelled items' embeddings, unit rows, for explanations
    case_labels: npt.NDArray[np.int8]
    case_incidents: Sequence[str]
    case_titles: Sequence[str]
    case_categories: Sequence[str]
    provenance: Mapping[str, Any]

    @property
    def dim(self) -> int:
        return int(self.weights.shape[0]) - len(SIDE_FEATURES)

    @cached_property
    def _cases32(self) -> npt.NDArray[np.float32]:
        return self.cases.astype(np.float32)

    @cached_property
    def _positive(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.case_labels) > 0

    def similarities(self, embedding: Vector) -> Vector:
        """Cosine similarity of a story to every labelled case (unit vectors): computed once per story, then shared
        by the neighbour features and the explanations."""
        out: Vector = self._cases32 @ embedding.astype(np.float32)
        return out

    def features(self, embedding: Vector, lexicon: Vector, sims: Vector | None = None) -> Vector:
        sims = self.similarities(embedding) if sims is None else sims
        k = int(self.provenance.get("neighbours_k", NEIGHBOURS_K))
        side = np.concatenate([lexicon, neighbour_features(sims[None, :], self._positive, k)[0]])
        return np.concatenate([embedding.astype(np.float32), (side - self.side_mean) / self.side_scale])

    def probability(self, embedding: Vector, lexicon: Vector, sims: Vector | None = None) -> float:
        logit = float(self.features(embedding, lexicon, sims) @ self.weights + self.bias)
        z = self.calib_a * logit + self.calib_b
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0))))

    def nearest(self, sims: Vector, k: int = 2) -> tuple[Case, ...]:
        """The k labelled cases most similar by `sims` (from `similarities`), one per incident."""
        out: list[Case] = []
        seen: set[str] = set()
        for i in np.argsort(-sims)[: 8 * k]:
            incident = self.case_incidents[int(i)]
            if incident in seen:
                continue
            seen.add(incident)
            out.append(Case(incident, self.case_titles[int(i)], int(self.case_labels[i]), float(sims[i])))
            if len(out) == k:
                break
        return tuple(out)

    def nearest_category(self, sims: Vector, categories: frozenset[str]) -> str | None:
        """The category of the closest positive case, for a story the lexicon could not place."""
        for i in np.argsort(-sims)[:20]:
            if self.case_labels[i] == 1 and self.case_categories[int(i)] in categories:
                return self.case_categories[int(i)]
        return None

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            folder / WEIGHTS_FILE,
            weights=self.weights,
            bias=np.float32(self.bias),
            side_mean=self.side_mean,
            side_scale=self.side_scale,
            calib=np.array([self.calib_a, self.calib_b], dtype=np.float64),
            cases=self.cases,
            case_labels=self.case_labels,
            case_incidents=np.array(list(self.case_incidents)),
            case_titles=np.array(list(self.case_titles)),
            case_categories=np.array(list(self.case_categories)),
        )
        meta = dict(self.provenance)
        meta["encoder"] = self.encoder
        meta["side_features"] = list(SIDE_FEATURES)
        (folder / PROVENANCE_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_model(folder: Path | None = None) -> LearnedModel:
    """The model in `folder`, or the bundled one in config/model/."""
    base: Any = folder if folder is not None else resources.files("config").joinpath("model")
    try:
        meta = json.loads(base.joinpath(PROVENANCE_FILE).read_text(encoding="utf-8"))
        with base.joinpath(WEIGHTS_FILE).open("rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot read the trained model in {base}: {exc}") from exc
    if list(meta.get("side_features", [])) != list(SIDE_FEATURES):
        raise ModelError("the trained model's side features differ from this code's: run `breachwatch train`")
    calib = arrays["calib"]
    return LearnedModel(
        encoder=str(meta["encoder"]),
        weights=arrays["weights"].astype(np.float32),
        bias=float(arrays["bias"]),
        side_mean=arrays["side_mean"].astype(np.float32),
        side_scale=arrays["side_scale"].astype(np.float32),
        calib_a=float(calib[0]),
        calib_b=float(calib[1]),
        cases=arrays["cases"].astype(np.float16),
        case_labels=arrays["case_labels"].astype(np.int8),
        case_incidents=[str(s) for s in arrays["case_incidents"]],
        case_titles=[str(s) for s in arrays["case_titles"]],
        case_categories=[str(s) for s in arrays["case_categories"]],
        provenance=meta,
    )
