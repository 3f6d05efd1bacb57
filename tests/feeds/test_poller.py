"""A whole polling cycle against the loopback server and a real database."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feeds.netguard import AddressGuard
from bot.feeds.poller import Fetched, PollConfig, Poller, SourceOutcome
from bot.feeds.schedule import Policy
from bot.feeds.workers import ParsePool
from storage.models import Article, FetchLog, Notice, Source
from storage.sources import FetchRecord, add_source
from tests.feeds.conftest import TEST_LIMITS
from tests.feedserver import FeedServer, Item, sample_items


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def poller(
    sessions: async_sessionmaker[AsyncSession],
    http: aiohttp.ClientSession,
    thread_parser: ParsePool,
    guard: AddressGuard,
    clock: Clock,
) -> AsyncIterator[Poller]:
    config = PollConfig(
        policy=Policy(poll_interval=600, disable_after_days=3, disable_min_failures=3),
        limits=TEST_LIMITS,
        concurrency=4,
        per_host=2,
        edit_interval=timedelta(hours=1),
    )
    yield Poller(sessions, http, thread_parser, config, guard, rng=random.Random(3), clock=clock)


async def _add(sessions: async_sessionmaker[AsyncSession], url: str, now: datetime, **kw: object) -> int:
    async with sessions.begin() as session:
        row, _ = await add_source(session, url, now, **kw)  # type: ignore[arg-type]
        return row.id


async def test_one_outlet_is_named_one_way_whichever_feed_brought_it(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    # The operator names the site news.example through its source; a guild adds another feed of the same site under
    # a name of its own, the operator an unnamed one whose feed title differs again, and a news search links to
    # itself while saying whose articles they are. Before, each feed named the outlet its own way.
    await _add(sessions, feed_server.url("/feed"), clock.now, name="News Example", homepage="https://www.news.example/")
    await _add(sessions, feed_server.url("/other/b"), clock.now, name="Our picks", guild_id=7, origin="guild")
    await _add(sessions, feed_server.url("/other/c"), clock.now)
    await _add(sessions, feed_server.url("/aggregated"), clock.now, name="Search: camera leaks")
    await _add(sessions, feed_server.url("/static"), clock.now, name="Search: other", homepage="https://search.test/")
    assert len(await poller.run_cycle()) == 5
    async with sessions() as session:
        rows = (await session.execute(select(Article.canonical_url, Article.outlet))).all()
    # /feed and /static carry the same three articles; two each from /other/b, /other/c and /aggregated.
    assert len(rows) == 9 and {outlet for _url, outlet in rows} == {"News Example"}


async def test_first_poll_baselines_then_new_entries_alert(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    sid = await _add(sessions, feed_server.url("/feed"), clock.now)
    [first] = await poller.run_cycle()
    assert (first.status, first.http_status, first.entries, first.new) == ("ok", 200, 3, 3)
    assert await poller.run_cycle() == []  # nothing due yet
    clock.advance(minutes=11)
    [unchanged] = await poller.run_cycle()
    assert (unchanged.status, unchanged.http_status, unchanged.entries) == ("not_modified", 304, 0)
    feed_server.state.items.insert(0, Item(guid="n1", title="New leak", link="https://news.example/n1",
                                           published=clock.now - timedelta(minutes=5)))  # fmt: skip
    clock.advance(minutes=11)
    [grown] = await poller.run_cycle()
    assert (grown.status, grown.entries, grown.new) == ("ok", 4, 1)
    async with sessions() as session:
        flags = dict((await session.execute(select(Article.canonical_url, Article.alertable))).all())
        source = await session.get(Source, sid)
        logs = (await session.scalars(select(FetchLog).order_by(FetchLog.id))).all()
    assert flags.pop("https://news.example/n1") is True
    assert flags and not any(flags.values())  # the baseline alerted nobody
    assert source is not None and source.baseline_at is not None and source.etag
    assert [(log.status, log.http_status, log.entries, log.new_entries) for log in logs] == [
        ("ok", 200, 3, 3), ("not_modified", 304, 0, 0), ("ok", 200, 4, 1),
    ]  # fmt: skip
    assert all(log.duration_ms >= 0 and log.error is None for log in logs) and logs[0].bytes > 0


async def test_failures_back_off_then_disable_with_notice(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    sid = await _add(sessions, feed_server.url("/status/500"), clock.now, guild_id=77, origin="guild")
    waits = []
    for _ in range(4):
        [outcome] = await poller.run_cycle(force=True)
        assert (outcome.status, outcome.error_kind) == ("error", "http_5xx")
        async with sessions() as session:
            row = await session.get(Source, sid)
            assert row is not None
            waits.append((row.next_fetch_at - clock.now).total_seconds())
        clock.advance(days=1.1)
    assert 1200 <= waits[0] < 1320 and 2400 <= waits[1] < 2640 and 4800 <= waits[2] < 5280
    async with sessions() as session:
        row = await session.get(Source, sid)
        notices = (await session.scalars(select(Notice))).all()
    assert row is not None and not row.enabled and "http_5xx" in (row.disabled_reason or "")
    assert [(n.guild_id, n.kind) for n in notices] == [(77, "source_disabled")]
    assert await poller.run_cycle(force=True) == []  # disabled sources are not polled


async def test_retry_after_sets_next_fetch(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    sid = await _add(sessions, feed_server.url("/status/429"), clock.now)
    [outcome] = await poller.run_cycle()
    assert outcome.http_status == 429
    async with sessions() as session:
        row = await session.get(Source, sid)
    assert row is not None and 7200 <= (row.next_fetch_at - clock.now).total_seconds() <= 7200 * 1.1


async def test_one_fetch_serves_every_scope_of_a_url(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    url = feed_server.url("/feed")
    await _add(sessions, url, clock.now)
    await _add(sessions, url, clock.now, guild_id=5, origin="guild")
    outcomes = await poller.run_cycle()
    assert len(outcomes) == 1 and feed_server.state.requests == 1
    async with sessions() as session:
        rows = (await session.scalars(select(Source))).all()
        assert all(r.baseline_at is not None for r in rows)
        assert await session.scalar(select(func.count()).select_from(Article)) == 3


async def test_mixed_cycle_keeps_going(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    paths = ["/feed", "/status/404", "/html", "/empty", "/gzip", "/to/private", "/loop/a", "/wrong-charset"]
    for path in paths:
        await _add(sessions, feed_server.url(path), clock.now)
    outcomes = {o.url.split(str(feed_server.port))[1]: o for o in await poller.run_cycle()}
    kinds = {path: (o.status, o.error_kind) for path, o in outcomes.items()}
    assert kinds == {
        "/feed": ("ok", None),
        "/status/404": ("error", "http_4xx"),
        "/html": ("error", "not_a_feed"),
        "/empty": ("error", "empty"),
        "/gzip": ("ok", None),
        "/to/private": ("error", "private_address"),
        "/loop/a": ("error", "too_many_redirects"),
        "/wrong-charset": ("ok", None),
    }
    assert all(o.error for o in outcomes.values() if o.status == "error")


async def test_check_stores_nothing(
    poller: Poller, feed_server: FeedServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    feed_server.state.items = sample_items(7)
    result, feed, error = await poller.fetch_and_parse(feed_server.url("/feed"))
    assert result.status == "ok" and error is None and feed is not None and len(feed.entries) == 7
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Source)) == 0
        assert await session.scalar(select(func.count()).select_from(Article)) == 0


class SlowWriterPoller(Poller):
    """A database that stores slower than the feeds arrive."""

    async def _store(
        self, session: AsyncSession, fetched: Fetched, records: list[tuple[int, FetchRecord, bool]]
    ) -> SourceOutcome:
        await asyncio.sleep(0.02)
        return await super()._store(session, fetched, records)


async def test_fetching_waits_for_a_slow_writer(
    poller: Poller,
    feed_server: FeedServer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    # Parsed feeds must not pile up in memory when storing is the bottleneck: a fetch waits for room.
    config = replace(poller.config, queue_feeds=2, write_batch=2)
    for n in range(30):
        await _add(sessions, feed_server.url(f"/feed?n={n}"), clock.now)
    slow = SlowWriterPoller(poller.sessions, poller.http, poller.parser, config, poller.guard, clock=clock)
    ahead: list[int] = []
    stored = 0

    def progress(_outcome: SourceOutcome) -> None:
        nonlocal stored
        stored += 1
        ahead.append(feed_server.state.requests - stored)

    outcomes = await slow.run_cycle(progress=progress)
    assert len(outcomes) == 30 and all(o.status == "ok" for o in outcomes)
    # At most: the queue, one batch being stored, and one feed per fetch slot.
    bound = 2 + 2 + poller.config.concurrency
    assert max(ahead) <= bound, ahead
    assert max(ahead) >= poller.config.concurrency  # fetching did run ahead of the writer, up to the bound


async def test_a_failed_writer_ends_the_cycle_instead_of_hanging(
    poller: Poller,
    feed_server: FeedServer,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    poller.config = replace(poller.config, queue_feeds=1)
    for n in range(12):
        await _add(sessions, feed_server.url(f"/feed?n={n}"), clock.now)

    def progress(_outcome: SourceOutcome) -> None:
        raise RuntimeError("progress display broke")

    with pytest.raises(RuntimeError, match="progress display broke"):
        await asyncio.wait_for(poller.run_cycle(progress=progress), timeout=20)
    async with sessions() as session:  # no source stays leased until its lease runs out
        assert await session.scalar(select(func.count()).where(Source.lease_owner.is_not(None))) == 0
