"""Pollers claim due sources in chunks: every source once per cycle, shared between pollers, and counted in
/metrics (polls by status, fetch errors by kind, last poll time)."""

from __future__ import annotations

import asyncio
import random
import re
import time
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feeds.netguard import AddressGuard
from bot.feeds.poller import PollConfig, Poller
from bot.feeds.schedule import Policy
from bot.feeds.workers import ParsePool
from bot.health import HealthServer
from storage.models import FetchLog
from storage.sources import add_source
from tests.feeds.conftest import TEST_LIMITS
from tests.feedserver import FeedServer

Sessions = async_sessionmaker[AsyncSession]


def _poller(sessions: Sessions, http: aiohttp.ClientSession, parser: ParsePool, guard: AddressGuard) -> Poller:
    config = PollConfig(
        policy=Policy(poll_interval=600, disable_after_days=3),
        limits=TEST_LIMITS,
        concurrency=2,  # small, so a cycle of 12 sources needs several claims
        per_host=2,
    )
    return Poller(sessions, http, parser, config, guard, rng=random.Random(1))


async def _add_many(sessions: Sessions, urls: list[str]) -> None:
    now = datetime.now(UTC) - timedelta(seconds=1)
    async with sessions.begin() as session:
        for url in urls:
            await add_source(session, url, now)


def _sample(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + want + '}') if want else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_chunked_cycle_fetches_each_source_once(
    sessions: Sessions,
    http: aiohttp.ClientSession,
    thread_parser: ParsePool,
    guard: AddressGuard,
    feed_server: FeedServer,
) -> None:
    urls = [feed_server.url(f"/static?n={i}") for i in range(12)]
    await _add_many(sessions, urls)
    poller = _poller(sessions, http, thread_parser, guard)
    outcomes = await poller.run_cycle()
    assert sorted(o.url for o in outcomes) == sorted(urls)
    assert await poller.run_cycle() == []  # all rescheduled an interval ahead
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(FetchLog)) == 12


async def test_two_pollers_share_one_cycle(
    sessions: Sessions,
    http: aiohttp.ClientSession,
    thread_parser: ParsePool,
    guard: AddressGuard,
    feed_server: FeedServer,
) -> None:
    urls = [feed_server.url(f"/static?n={i}") for i in range(16)]
    await _add_many(sessions, urls)
    one, two = _poller(sessions, http, thread_parser, guard), _poller(sessions, http, thread_parser, guard)
    first, second = await asyncio.gather(one.run_cycle(), two.run_cycle())
    fetched = [o.url for o in first + second]
    assert sorted(fetched) == sorted(urls)  # each exactly once between them


async def test_metrics_after_a_poll(
    sessions: Sessions,
    http: aiohttp.ClientSession,
    thread_parser: ParsePool,
    guard: AddressGuard,
    feed_server: FeedServer,
) -> None:
    server = HealthServer(sessions, "127.0.0.1", 0)
    port = await server.start()

    async def scrape() -> str:
        async with http.get(f"http://127.0.0.1:{port}/metrics") as resp:
            assert resp.status == 200
            return await resp.text()

    try:
        before = await scrape()
        await _add_many(sessions, [feed_server.url(p) for p in ("/static", "/gzip", "/status/404", "/html")])
        started = time.time()
        await _poller(sessions, http, thread_parser, guard).run_cycle()
        after = await scrape()
    finally:
        await server.stop()

    def grew(name: str, **labels: str) -> float:
        return _sample(after, name, **labels) - _sample(before, name, **labels)

    assert grew("breachwatch_polls_total", status="ok") == 2
    assert grew("breachwatch_polls_total", status="error") == 2
    assert grew("breachwatch_fetch_errors_total", kind="http_4xx") == 1
    assert grew("breachwatch_fetch_errors_total", kind="not_a_feed") == 1
    assert _sample(after, "breachwatch_last_poll_timestamp_seconds") >= started - 1
