"""What a proposed rule change would do to recent stories: pure diffing, the stories are given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.classify.classifier import Classifier
from bot.classify.judge import Judge, unpack
from bot.classify.verdict import Verdict


@dataclass(frozen=True, slots=True)
class StoryText:
    id: int
    title: str
    summary: str
    language: str | None
    embedding: bytes | None = None  # stored with the story's lead article: re-scoring never encodes again


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


def _verdict(judge: Judge, clf: Classifier, story: StoryText) -> Verdict:
    first = judge.first_pass(clf, story.title, story.summary, "", story.language)
    vector = unpack(story.embedding) if judge.wants_embedding(first) else None
    return judge.decide(first.verdict, vector, clf.threshold)


def backtest(
    stories: Iterable[StoryText], current: Classifier, proposed: Classifier, judge: Judge | None = None
) -> BacktestResult:
    """Each story under both classifiers, as the bot would judge it (the trained model on the stored embedding
    when `judge` has one)."""
    judge = judge or Judge(None, None)
    start: list[Change] = []
    stop: list[Change] = []
    scored = before_n = after_n = 0
    for story in stories:
        scored += 1
        before = _verdict(judge, current, story)
        after = _verdict(judge, proposed, story)
        before_n += before.match
        after_n += after.match
        if before.match != after.match:
            change = Change(story.id, story.title, before.score, after.score, after)
            (start if after.match else stop).append(change)
    return BacktestResult(scored, before_n, after_n, tuple(start), tuple(stop))
