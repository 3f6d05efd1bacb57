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

    def to_json(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "evidence": {k: list(v) for k, v in self.evidence.items()},
            "reason": None if self.reason is None else self.reason.value,
            "lang": self.lang,
        }
