"""Figures for a set of scored items: precision, recall, F1, hard-negative false-positive rate and calibration
error, overall, per language and per category; and folds that keep each incident on one side."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.classify.evaluation import Counts
from bot.training.corpus import Item

HEADLINE = ("precision", "recall", "f1")


def grouped_folds(items: Sequence[Item], k: int, seed: int) -> list[npt.NDArray[np.int64]]:
    """k folds of item indices; every item of one incident lands in the same fold (no incident on both sides)."""
    incidents = sorted({item.incident for item in items})
    random.Random(seed).shuffle(incidents)
    fold_of = {incident: i % k for i, incident in enumerate(incidents)}
    folds: list[list[int]] = [[] for _ in range(k)]
    for index, item in enumerate(items):
        folds[fold_of[item.incident]].append(index)
    return [np.array(f, dtype=np.int64) for f in folds]


def calibration_error(labels: npt.NDArray[Any], probs: npt.NDArray[Any], bins: int = 10) -> float:
    """Expected calibration error: the gap between mean score and positive rate, over ten equal-width bins."""
    if not len(labels):
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += float(mask.sum()) * abs(float(probs[mask].mean()) - float(labels[mask].mean()))
    return total / len(labels)


def _counts(items: Sequence[Item], predicted: Sequence[bool]) -> Counts:
    c = Counts()
    for item, p in zip(items, predicted, strict=True):
        c.add(bool(item.label), p)
    return c


def report(items: Sequence[Item], probs: Sequence[float], threshold: float = 0.5) -> dict[str, Any]:
    """The figures of one scoring of `items` (probabilities in the same order)."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.array([item.label for item in items], dtype=np.float64)
    predicted = [bool(v >= threshold) for v in p]
    overall = _counts(items, predicted)
    hard = [i for i, item in enumerate(items) if item.hard_negative]
    out: dict[str, Any] = {
        "items": len(items),
        "positives": int(y.sum()),
        **{k: round(getattr(overall, k), 4) for k in HEADLINE},
        "hard_negative_fpr": round(sum(predicted[i] for i in hard) / len(hard), 4) if hard else 0.0,
        "ece": round(calibration_error(y, p), 4),
        "per_language": {},
        "per_category": {},
    }
    for lang in sorted({item.lang for item in items}):
        idx = [i for i, item in enumerate(items) if item.lang == lang]
        c = _counts([items[i] for i in idx], [predicted[i] for i in idx])
        out["per_language"][lang] = {"n": len(idx), **{k: round(getattr(c, k), 4) for k in HEADLINE}}
    for category in sorted({item.category for item in items}):
        idx = [i for i, item in enumerate(items) if item.category == category]
        rate = sum(predicted[i] for i in idx) / len(idx)
        label = items[idx[0]].label
        # A positive category's figure is its recall; a negative one's the share wrongly flagged.
        key = "recall" if label else "flagged"
        out["per_category"][category] = {"n": len(idx), key: round(rate, 4)}
    return out


def errors(items: Sequence[Item], probs: Sequence[float], threshold: float = 0.5) -> list[dict[str, Any]]:
    out = []
    for item, prob in zip(items, probs, strict=True):
        if (prob >= threshold) != bool(item.label):
            out.append(
                {
                    "id": item.id,
                    "kind": "FN" if item.label else "FP",
                    "lang": item.lang,
                    "category": item.category,
                    "score": round(float(prob), 3),
                    "title": item.title[:110],
                }
            )
    return out
