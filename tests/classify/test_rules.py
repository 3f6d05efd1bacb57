"""Per-guild rules, the compiled-classifier cache and the pure backtest."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.alerts.queueing import AlertQueueing
from bot.classify.backtest import StoryText, backtest
from bot.classify.classifier import default_classifier
from bot.classify.judge import Judge
from bot.classify.rules import ClassifierCache, GuildRules, RuleError, compile_rules
from bot.classify.verdict import Reason
from bot.runtime import build_processor, build_services
from bot.settings import Settings

ACME = "Acme Sentinel archive leaked by hackers"  # a made-up vendor no lexicon knows


def test_added_term_joins_a_concept_with_its_weight() -> None:
    assert not default_classifier().classify(ACME, "").match
    rules = GuildRules(1, 1).with_added("acme sentinel", "cctv", 0.9)
    v = compile_rules(rules).classify(ACME, "")
    assert v.match and "cctv" in v.categories
    assert "acme sentinel" in v.evidence["cctv"]
    weak = compile_rules(GuildRules(1, 1).with_added("acme sentinel", "cctv", 0.2)).classify(ACME, "")
    assert weak.score < v.score and not weak.match


def test_blocked_term_vetoes_and_forced_term_always_alerts() -> None:
    story = ("Hackers leak licence plate camera logs of a car park", "")
    assert default_classifier().classify(*story).match
    blocked = compile_rules(GuildRules(1, 1).with_blocked("car park")).classify(*story)
    assert not blocked.match and blocked.reason is Reason.BLOCKED_BY_RULE
    forced = compile_rules(GuildRules(1, 1).with_forced("quarterly results")).classify("Quarterly results are out")
    assert forced.match and forced.forced
    both = GuildRules(1, 1).with_blocked("car park").with_forced("licence plate")
    assert not compile_rules(both).classify(*story).match  # the veto wins


def test_look_alike_letters_do_not_dodge_block_and_force_terms() -> None:
    # Cyrillic о, е, і, х, Greek Α and Ρ: the reader sees "car park" and "Vigilex", so the rules must too.
    story = ("Hackers leak licence plate camera logs of a c\u0430r \u0440\u0430rk", "")
    blocked = compile_rules(GuildRules(1, 1).with_blocked("car park")).classify(*story)
    assert not blocked.match and blocked.reason is Reason.BLOCKED_BY_RULE
    shouted = compile_rules(GuildRules(1, 1).with_blocked("car park")).classify("CAR \u03a1\u0391RK camera logs leaked")
    assert shouted.reason is Reason.BLOCKED_BY_RULE
    forced = compile_rules(GuildRules(1, 1).with_forced("vigilex")).classify("V\u0456g\u0456l\u0435\u0445 update")
    assert forced.match and forced.forced
    # A moderator's term typed with a look-alike matches the plain spelling too.
    typed = compile_rules(GuildRules(1, 1).with_blocked("c\u0430r park")).classify(
        "Hackers leak licence plate logs of a car park"
    )
    assert typed.reason is Reason.BLOCKED_BY_RULE


def test_threshold_decides_the_match() -> None:
    title = "Plate reader data exposed"
    score = default_classifier().classify(title).score
    assert compile_rules(GuildRules(1, 1).with_threshold(min(1.0, score + 0.05))).classify(title).match is False
    assert compile_rules(GuildRules(1, 1).with_threshold(max(0.01, score - 0.05))).classify(title).match is True


def test_rules_are_validated() -> None:
    with pytest.raises(RuleError):
        GuildRules(1).with_added("x", "no_such_concept")
    with pytest.raises(RuleError):
        GuildRules(1).with_added("x", "cctv", 1.5)
    with pytest.raises(RuleError):
        GuildRules(1).with_added("x", "forced")  # internal concepts are not for moderators
    with pytest.raises(RuleError):
        GuildRules(1).with_blocked("  ** ")
    with pytest.raises(RuleError):
        GuildRules(1).with_threshold(0)
    assert GuildRules(1).with_added("  Acme   Cam* ", "cctv").added[0].term == "acme cam*"


def test_removing_a_term_drops_it_from_every_list() -> None:
    rules = GuildRules(1).with_added("acme", "cctv").with_blocked("acme").with_forced("acme")
    assert rules.without("ACME") == GuildRules(1)


def test_cache_compiles_once_per_rules_version() -> None:
    cache = ClassifierCache()
    rules = GuildRules(7, 3).with_added("acme sentinel", "cctv", 0.9)
    first = cache.get(rules)
    assert cache.get(rules) is first and cache.compiles == 1
    # Same version, same entry (storage bumps the version on every change).
    assert cache.get(GuildRules(7, 3).with_added("acme sentinel", "cctv", 0.9)) is first
    bumped = cache.get(GuildRules(7, 4).with_blocked("sentinel"))
    assert bumped is not first and cache.compiles == 2
    assert not bumped.classify(ACME).match
    # Defaults never compile: every guild without rules shares one classifier.
    assert cache.get(GuildRules(8, 0)) is default_classifier() and cache.get(None) is default_classifier()
    cache.invalidate(7)
    assert cache.get(GuildRules(7, 4).with_blocked("sentinel")) is not bumped and cache.compiles == 3


def test_cache_evicts_least_recently_used_guilds() -> None:
    cache = ClassifierCache(max_guilds=2)
    for gid in (1, 2, 3):
        cache.get(GuildRules(gid, 1).with_added("acme", "cctv"))
    assert len(cache) == 2
    cache.get(GuildRules(1, 1).with_added("acme", "cctv"))
    assert cache.compiles == 4  # guild 1 was evicted and rebuilt


def test_cache_is_bounded_by_approximate_bytes_as_well_as_guilds() -> None:
    rules = [GuildRules(gid, 1).with_added("acme", "cctv") for gid in (1, 2, 3)]
    gc.collect()
    tracemalloc.start()
    compiled = compile_rules(rules[0])
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    one = compiled.approx_bytes()
    # The estimate is what a compile really holds (about 4.5 MB with the bundled lexicons), within a quarter.
    assert 0.75 * traced <= one <= 1.25 * traced and one > 2_000_000
    # Room for 64 guilds but the bytes of two and a half: two stay, the least recently used goes.
    cache = ClassifierCache(max_guilds=64, max_bytes=int(2.5 * one))
    for r in rules:
        cache.get(r)
    assert len(cache) == 2 and one * 1.5 < cache.bytes <= cache.max_bytes
    cache.get(rules[0])
    assert cache.compiles == 4  # guild 1 had been evicted
    cache.invalidate(1)
    assert len(cache) == 1 and cache.bytes < one * 1.5
    # A classifier larger than the whole budget is returned but never kept.
    tiny = ClassifierCache(max_bytes=one // 2)
    assert tiny.get(rules[0]).classify(ACME).match and len(tiny) == 0 and tiny.bytes == 0


async def test_the_process_has_one_bounded_classifier_cache() -> None:
    """The runtime's cache, bounded by the two settings, is the one the fan-out's judge uses (the cogs read the
    same `services.classifiers`); nothing else in the process builds one."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url="sqlite+aiosqlite://", classifier_cache_guilds=5, classifier_cache_mb=40
    )
    services = build_services(settings, AsyncIOScheduler())
    try:
        cache = services.classifiers
        assert (cache.max_guilds, cache.max_bytes) == (5, 40 * 1024 * 1024)
        queueing = build_processor(services, Judge(None, None)).after_assign
        assert isinstance(queueing, AlertQueueing) and queueing.judge is not None
        assert queueing.judge.cache is cache
    finally:
        await services.http.close()
        await services.engine.dispose()


def test_backtest_reports_what_would_start_and_stop() -> None:
    stories = [
        StoryText(1, ACME, "", "en"),
        StoryText(2, "Hackers leak licence plate camera logs of a car park", "", "en"),
        StoryText(3, "Weather is fine", "", "en"),
    ]
    current = default_classifier()
    proposed = compile_rules(GuildRules(1, 1).with_added("acme sentinel", "cctv", 0.9).with_blocked("car park"))
    result = backtest(stories, current, proposed)
    assert result.scored == 3
    assert [c.story_id for c in result.start] == [1]
    assert [c.story_id for c in result.stop] == [2]
    assert result.alerting_before == 1 and result.alerting_after == 1
    assert result.start[0].score_after > result.start[0].score_before
