"""Guild rules in SQL (SQLite and PostgreSQL) through bot.tuning, and the backtest over stored stories."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import tuning
from bot.classify.rules import ClassifierCache, RuleError
from bot.core.clock import utcnow
from storage import rules as repo
from tests.factories import make_source, make_story

GUILD = 123456789012345678  # a 64-bit snowflake


async def test_add_list_remove_rules_bump_the_version(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s, s.begin():
        await tuning.add_rule(s, GUILD, "Acme Sentinel", "add", concept="cctv", weight=0.9, created_by=42)
        await tuning.add_rule(s, GUILD, "car park", "block")
        await tuning.add_rule(s, GUILD, "acme sentinel", "add", concept="alpr", weight=0.7)  # replaces
    async with sessions() as s:
        rows = await repo.list_rules(s, GUILD)
        assert [(r.action, r.term, r.concept, r.weight) for r in rows] == [
            ("add", "acme sentinel", "alpr", 0.7),
            ("block", "car park", None, 1.0),
        ]
        rules = await tuning.load_guild_rules(s, GUILD)
        assert rules.version == 3 and rules.blocked == ("car park",)
        assert rules.added[0].concept == "alpr"
    async with sessions() as s, s.begin():
        assert await tuning.remove_rule(s, GUILD, "Car  Park") == 1
        assert await tuning.remove_rule(s, GUILD, "nothing here") == 0
        version = await tuning.set_threshold(s, GUILD, 0.7)
    async with sessions() as s:
        rules = await tuning.load_guild_rules(s, GUILD)
        assert rules.version == version == 5
        assert rules.threshold == 0.7 and rules.blocked == ()
        assert await repo.list_rules(s, 1) == []


async def test_invalid_rules_are_refused(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as s:
        with pytest.raises(RuleError):
            await tuning.add_rule(s, GUILD, "x", "add")  # no concept
        with pytest.raises(RuleError):
            await tuning.add_rule(s, GUILD, "x", "explode")
        with pytest.raises(RuleError):
            await tuning.set_threshold(s, GUILD, 3.0)


async def test_stored_rules_reach_the_cached_classifier(sessions: async_sessionmaker[AsyncSession]) -> None:
    cache = ClassifierCache()
    title = "Acme Sentinel archive leaked by hackers"
    async with sessions() as s:
        before = cache.get(await tuning.load_guild_rules(s, GUILD))
    assert not before.classify(title).match
    async with sessions() as s, s.begin():
        await tuning.add_rule(s, GUILD, "acme sentinel", "add", concept="cctv", weight=0.9)
    async with sessions() as s:
        after = cache.get(await tuning.load_guild_rules(s, GUILD))
    assert after.classify(title).match and cache.compiles == 1


async def test_backtest_rescore_recent_stories_without_saving(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions() as s, s.begin():
        operator, elsewhere = await make_source(s), await make_source(s, "https://own.example/feed", guild_id=GUILD + 1)
        await make_story(s, operator, "Acme Sentinel archive leaked by hackers", summary="", seen=now)
        await make_story(
            s, operator, "Hackers leak licence plate camera logs of a car park", seen=now - timedelta(days=2)
        )
        await make_story(s, operator, "Old: Acme Sentinel footage leaked", seen=now - timedelta(days=40))
        # Another server's own feed: not this server's to preview.
        await make_story(s, elsewhere, "Acme Sentinel door cameras leaked", seen=now)
    async with sessions() as s:
        current = await tuning.load_guild_rules(s, GUILD)
        proposal = current.with_added("acme sentinel", "cctv", 0.9).with_blocked("car park")
        result = await tuning.backtest_proposal(s, GUILD, proposal, days=30, now=now)
    assert result.scored == 2
    assert [c.title for c in result.start] == ["Acme Sentinel archive leaked by hackers"]
    assert [c.title for c in result.stop] == ["Hackers leak licence plate camera logs of a car park"]
    async with sessions() as s:
        assert await repo.list_rules(s, GUILD) == []  # nothing was saved
        assert (await tuning.load_guild_rules(s, GUILD)).version == 0
