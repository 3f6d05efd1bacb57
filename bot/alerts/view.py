"""What an alert is about, gathered from storage into plain values the renderers take."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Outlet:
    name: str
    url: str
    language: str | None = None
    # The outlet's own headline and summary, so that an alert can lead with the report in its reader's language.
    title: str = ""
    summary: str = ""


@dataclass(frozen=True)
class AlertView:
    story_id: int
    title: str
    url: str
    outlet: str
    summary: str
    published_at: datetime | None
    language: str | None
    categories: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    score: float = 0.0
    others: tuple[Outlet, ...] = ()
    version: int = 1

    @property
    def outlet_count(self) -> int:
        return 1 + len({o.name for o in self.others if o.name != self.outlet})
