"""Leases a failed cycle leaves behind are given up, so its sources come due again at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import utcnow
from storage import sources as store


async def test_release_all_frees_only_the_owners_leases(sessions: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    async with sessions.begin() as s:
        for i in range(4):
            await store.add_source(s, f"https://lease{i}.example/feed", now)
    async with sessions.begin() as s:
        mine = await store.claim_sources(s, now, "poller-a", lease=timedelta(minutes=3), limit=3)
        theirs = await store.claim_sources(s, now, "poller-b", lease=timedelta(minutes=3))
    assert len(mine) == 3 and len(theirs) == 1
    async with sessions.begin() as s:
        assert await store.release_all(s, "poller-a") == 3
    async with sessions.begin() as s:
        again = await store.claim_sources(s, now, "poller-c", lease=timedelta(minutes=3))
    assert sorted(r.url for r in again) == sorted(r.url for r in mine)  # poller-b's lease still holds
