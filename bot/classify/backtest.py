"""What a proposed rule change would do to recent stories: pure diffing, the stories are given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.classify.classifier import Classifier
from bot.classify.verdict import Verdict


@dataclass(frozen=True, slots=True)
class StoryText:
    id: int
    title: str
    summary: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Change:
    story_id: int
    title: str
    score_before: float
    score_after: float
    verdict_after: Verdict


@dataclass(frozen=True, slots=True)
class BacktestResult:
    scored: int
    alerting_before: int
    alerting_after: int
    start: tuple[Change, ...]  # would start alerting under the proposal
    stop: tuple[Change, ...]  # would stop alerting


def backtest(stories: Iterable[StoryText], current: Classifier, proposed: Classifier) -> BacktestResult:
    start: list[Change] = []
    stop: list[Change] = []
    scored = before_n = after_n = 0
    for story in stories:
        scored += 1
        before = current.classify(story.title, story.summary, lang=story.language)
        after = proposed.classify(story.title, story.summary, lang=story.language)
        before_n += before.match
        after_n += after.match
        if before.match != after.match:
            change = Change(story.id, story.title, before.score, after.score, after)
            (start if after.match else stop).append(change)
    return BacktestResult(scored, before_n, after_n, tuple(start), tuple(stop))
