"""What the classifier says about one story."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple


class Reason(StrEnum):
    NO_BREACH_EVENT = "no_breach_event"
    NON_SURVEILLANCE_BREACH = "non_surveillance_breach"
    SURVEILLANCE_NO_BREACH = "surveillance_no_breach"
    VULNERABILITY_NO_EXPOSURE = "vulnerability_no_exposure"
    BLOCKED_BY_RULE = "blocked_by_rule"  # a guild's veto term occurs in the story


_NO_EVIDENCE: Mapping[str, tuple[str, ...]] = MappingProxyType({})


class Case(NamedTuple):
    """A labelled example close to the story by meaning (the trained model's explanation)."""

    incident: str
    title: str
    label: int
    similarity: float


class Verdict(NamedTuple):
    """Immutable like a frozen dataclass, and built several times faster: the classifier makes one per story."""

    match: bool
    score: float  # 0..1; compared with the (guild's) threshold to decide `match`
    categories: tuple[str, ...]
    # Terms that fired, grouped by concept ("hack": ("hacked",), "alpr": ("plate reader",), "policy": (...)).
    evidence: Mapping[str, tuple[str, ...]] = _NO_EVIDENCE
    reason: Reason | None = None  # why not, for a non-match
    lang: str | None = None
    forced: bool = False  # matched because of a guild's "force" term
    # The second pass (bot/classify/judge.py): the lexicon's own score when the trained model decided, the
    # nearest labelled cases, and which pass decided ("lexicon", or "model" when the encoder read the story).
    lexicon_score: float | None = None
    cases: tuple[Case, ...] = ()
    stage: str = "lexicon"

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "evidence": {k: list(v) for k, v in self.evidence.items()},
            "reason": None if self.reason is None else self.reason.value,
            "lang": self.lang,
            "stage": self.stage,
            "lexicon_score": None if self.lexicon_score is None else round(self.lexicon_score, 4),
            "cases": [
                {"incident": c.incident, "title": c.title, "label": c.label, "similarity": round(c.similarity, 3)}
                for c in self.cases
            ],
        }
