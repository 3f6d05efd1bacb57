"""The merge decision (issue 14 item 3, bot.stories.decide.bridges): a later report that shows two stories to be
one incident merges them; a report of one gang's, regulator's or group's new victim that mentions its last one
agrees with both look-alike stories (tests/fixtures/dedupe_lookalikes.jsonl) but never bridges them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.stories.decide import THRESHOLD, Candidate, Similarity, agreement, bridges
from bot.stories.signature import Signature, build_signature, merge
from tests.alerts.test_merge import BRIDGE, QUIET_VENDOR, TOWN

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dedupe_lookalikes.jsonl"
WINDOW = timedelta(days=7)


def _sig(title: str, summary: str, lang: str, day: str) -> Signature:
    return build_signature(title, summary, lang, datetime.fromisoformat(day).replace(tzinfo=UTC))


def _report(item: tuple[str, ...]) -> Signature:
    _url, title, summary, lang, day, _outlet = item
    return _sig(title, summary, lang, day)


def _pairs() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    items = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["event"].startswith("l"):  # l01a-..., l01b-...: two incidents of one actor, regulator or theme
            pairs.setdefault(item["event"][:3], []).append(item)
    assert len(pairs) == 18 and all(len(p) == 2 for p in pairs.values())
    return {k: (p[0], p[1]) for k, p in pairs.items()}


PAIRS = _pairs()


def test_a_report_that_traces_one_leak_to_the_other_breach_bridges_the_two_stories() -> None:
    vendor, town, bridge = _report(QUIET_VENDOR), _report(TOWN), _report(BRIDGE)
    assert agreement(town, vendor).score < THRESHOLD  # nothing linked them before
    assert bridges(bridge, town, merge(town, bridge), Candidate(1, vendor), WINDOW)


def test_a_report_of_one_story_alone_does_not_bridge() -> None:
    vendor, town = _report(QUIET_VENDOR), _report(TOWN)
    again = _sig(
        "Brenvik tells 48,200 residents their visit records leaked",
        "The town of Brenvik wrote to the 48,200 residents whose appointment records were posted on a forum.",
        "en",
        "2025-07-03",
    )
    assert not bridges(again, town, merge(town, again), Candidate(1, vendor), WINDOW)


def test_a_bridge_must_keep_the_merged_story_within_the_window() -> None:
    vendor, town, bridge = _report(QUIET_VENDOR), _report(TOWN), _report(BRIDGE)
    assert not bridges(bridge, town, merge(town, bridge), Candidate(1, vendor), timedelta(hours=12))


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_a_look_alike_pair_is_never_bridged_by_a_report_that_mentions_both(pair: str) -> None:
    """The report of the second victim that also quotes the first one's headline agrees with both stories above the
    threshold (before the victims were compared, it would have merged all 18 pairs). The German pair bridged too
    while "Klinikgruppe Rabenau" named no victim, until names after a head noun were read (test_german_names.py).
    Since the fifth round, a roundup whose headline names one victim and the other story's headline another no
    longer agrees with that story at all (test_peers.py), which is stricter still; the rest agree with both."""
    first, second = PAIRS[pair]
    a = _sig(first["title"], first["summary"], first["lang"], first["date"])
    b = _sig(second["title"], second["summary"], second["lang"], second["date"])
    roundup = _sig(second["title"], f"{second['summary']} {first['title']}.", second["lang"], second["date"])
    assert agreement(roundup, b).score >= THRESHOLD
    other = agreement(roundup, a)
    assert other.score >= THRESHOLD or other.victims_differ == 1.0
    bridged = bridges(roundup, b, merge(b, roundup), Candidate(1, a), WINDOW)
    assert not bridged


def test_meaning_alone_never_bridges_two_stories() -> None:
    """The embeddings' similarity may let a report join a story in another language; it merges two stories only
    beside a name or a number the report shares with the other one (bench/dedupe.py's synthetic stories, which
    share nothing but one vector, were all merged into one before this rule)."""
    joined = _sig("Running app exposed users' routes", "A backup held the routes of runners.", "en", "2025-06-02")
    report = _sig("Running app left runners' routes open", "The backup held the routes of runners.", "en", "2025-06-03")
    french = _sig(
        "Une appli de course expose les trajets", "Une sauvegarde contenait les parcours.", "fr", "2025-06-02"
    )
    close = Candidate(1, french, Similarity(other_language=0.95))
    assert agreement(report, french, close.similarity).score >= THRESHOLD  # the report would join it
    assert not bridges(report, joined, merge(joined, report), close, WINDOW)
