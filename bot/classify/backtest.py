"""What a proposed rule change would do to recent stories: pure diffing, the stories are given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.classify.classifier import Classifier
from bot.classify.judge import Judge, unpack
from bot.classify.model import load_model
from bot.classify.rules import GuildRules, compile_rules
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


@lru_cache(maxsize=1)
def _stored_embedding_judge() -> Judge:
    return Judge.on_stored_embeddings(load_model())


def backtest_rules(
    stories: Sequence[StoryText], current: GuildRules, proposed: GuildRules, learned: bool
) -> BacktestResult:
    """A whole backtest from plain values, for a worker process: both rule sets are compiled here (an automaton
    each, about half a second) and every story scored twice, so none of it runs on the bot's event loop.

    `learned` says whether the bot decides with the trained model (BREACHWATCH_ENCODER is not `none`); the model
    is loaded once per worker and reads the stored embeddings, so nothing is encoded.
    """
    judge = _stored_embedding_judge() if learned else Judge(None, None)
    return backtest(stories, compile_rules(current), compile_rules(proposed), judge)
