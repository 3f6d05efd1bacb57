"""An hour of simulated time with three hostile feeds (one hangs, one floods, one answers garbage) among good ones:
the good sources keep their schedule. The clock is injected; only the hostile fetches cost real seconds."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feeds.netguard import AddressGuard
from bot.feeds.poller import PollConfig, Poller
from bot.feeds.schedule import Policy
from bot.feeds.workers import ParsePool
from storage.models import FetchLog, Source
from storage.sources import add_source
from tests.feeds.conftest import TEST_LIMITS
from tests.feedserver import FeedServer

pytestmark = pytest.mark.faults

INTERVAL = 300.0
TICK = timedelta(seconds=60)
HOUR = 3600


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
async def test_hostile_feeds_for_an_hour_do_not_delay_the_others(
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    thread_parser: ParsePool,
    guard: AddressGuard,
    feed_server: FeedServer,
) -> None:
    clock = Clock()
    good = [feed_server.url(f"/static?n={i}") for i in range(6)]
    # /drip trickles a byte every 0.2 s (it hangs past the 2 s fetch limit), /endless floods past the size
    # limit, /broken-gzip answers bytes that do not decode.
    hostile = [feed_server.url(p) for p in ("/drip", "/endless", "/broken-gzip")]
    async with sessions.begin() as session:
        for url in good + hostile:
            await add_source(session, url, clock.now)
    config = PollConfig(
        policy=Policy(poll_interval=INTERVAL, disable_after_days=3),
        limits=TEST_LIMITS,
        concurrency=4,
        per_host=4,
    )
    poller = Poller(sessions, http, thread_parser, config, guard, rng=random.Random(9), clock=clock)
    start = clock.now
    for _ in range(HOUR // int(TICK.total_seconds())):  # 60 simulated ticks, bounded
        await poller.run_cycle()
        clock.now += TICK

    async with sessions() as session:
        ids = {s.url: s.id for s in (await session.scalars(select(Source))).all()}
        log = (await session.scalars(select(FetchLog).order_by(FetchLog.started_at))).all()
    times: dict[int, list[datetime]] = {}
    for row in log:
        times.setdefault(row.source_id, []).append(row.started_at)
    for url in good:
        fetched = times[ids[url]]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(fetched)]
        # Every interval plus jitter, rounded up to the next tick: never skipped, never late by more than a tick.
        assert all(INTERVAL <= gap <= INTERVAL * 1.1 + TICK.total_seconds() for gap in gaps), (url, gaps)
        assert (fetched[0] - start).total_seconds() == 0 and len(fetched) >= 9
    for url in hostile:
        tries = times[ids[url]]
        assert 2 <= len(tries) <= 6, (url, len(tries))  # tried, then backed off exponentially
    kinds = {row.error_kind for row in log if row.source_id in {ids[u] for u in hostile}}
    assert len(kinds) >= 2 and None not in kinds, kinds
