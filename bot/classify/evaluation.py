"""Precision, recall and F1 of the classifier over a labelled set (pure: items in, figures out).

Items are dicts with at least `id`, `lang`, `title`, `summary`, `label` (0/1), and optionally `category` and
`borderline`. Borderline items are scored apart and kept out of the headline figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.classify.classifier import Classifier, default_classifier
from bot.classify.verdict import Verdict

HARD_NEGATIVES = frozenset({"non_surveillance_breach", "surveillance_no_breach", "vulnerability_no_exposure"})
TARGETS = {"precision": 0.95, "recall": 0.90, "f1": 0.85}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: bool, predicted: bool) -> None:
        if label and predicted:
            self.tp += 1
        elif label:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        # No prediction at all is no false alarm: precision is vacuously perfect.
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


@dataclass
class Report:
    overall: Counts = field(default_factory=Counts)
    per_language: dict[str, Counts] = field(default_factory=dict)
    per_category: dict[str, Counts] = field(default_factory=dict)
    borderline: Counts = field(default_factory=Counts)
    hard_negatives: int = 0
    hard_negative_fp: int = 0
    reasons_right: int = 0
    reasons_total: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    borderline_items: list[dict[str, Any]] = field(default_factory=list)

    def targets_met(self) -> bool:
        return all(
            c.precision >= TARGETS["precision"] and c.recall >= TARGETS["recall"] and c.f1 >= TARGETS["f1"]
            for c in (self.overall, *self.per_language.values())
        )

    def summary(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.overall.as_dict().items()},
            "per_language": {k: v.as_dict() for k, v in sorted(self.per_language.items())},
            "per_category": {k: v.as_dict() for k, v in sorted(self.per_category.items())},
            "hard_negative_fp_rate": round(self.hard_negative_fp / self.hard_negatives, 4)
            if self.hard_negatives
            else 0.0,
            "reason_accuracy": round(self.reasons_right / self.reasons_total, 4) if self.reasons_total else None,
            "borderline": self.borderline.as_dict(),
            "errors": len(self.errors),
            "targets_met": self.targets_met(),
        }


def _row(item: Mapping[str, Any], verdict: Verdict) -> dict[str, Any]:
    return {
        "id": item.get("id"),
        "label": int(item.get("label", 0)),
        "category": item.get("category"),
        "score": round(verdict.score, 3),
        "reason": None if verdict.reason is None else verdict.reason.value,
        "categories": list(verdict.categories),
        "title": str(item.get("title", ""))[:100],
    }


def evaluate(items: Iterable[Mapping[str, Any]], classifier: Classifier | None = None) -> Report:
    clf = classifier or default_classifier()
    report = Report()
    for item in items:
        verdict = clf.classify(str(item.get("title", "")), str(item.get("summary", "")), lang=item.get("lang"))
        label = bool(int(item.get("label", 0)))
        if item.get("borderline"):
            report.borderline.add(label, verdict.match)
            report.borderline_items.append(_row(item, verdict))
            continue
        report.overall.add(label, verdict.match)
        report.per_language.setdefault(str(item.get("lang")), Counts()).add(label, verdict.match)
        category = str(item.get("category") or "unknown")
        report.per_category.setdefault(category, Counts()).add(label, verdict.match)
        if not label and category in HARD_NEGATIVES:
            report.hard_negatives += 1
            report.hard_negative_fp += int(verdict.match)
            if not verdict.match:
                report.reasons_total += 1
                report.reasons_right += int(verdict.reason is not None and verdict.reason.value == category)
        if label != verdict.match:
            report.errors.append(_row(item, verdict))
    return report
