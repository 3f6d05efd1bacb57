"""Scaled-out polling under faults, on PostgreSQL: two `breachwatch run --role poller` processes share 200
loopback feeds (each fetched once per cycle), one is SIGKILLed mid-cycle and the other takes its sources over once
the leases expire, and the database connections are killed under them."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.feeds.poller import WRITE_BATCH
from storage.models import Article, FetchLog, Source, Story
from tests.feedserver import Item, rss
from tests.procs import Proc, eventually, product_env, start, terminate_backends, write_sources

pytestmark = pytest.mark.faults

FEEDS = 200
BREACHES = {
    7: Item(
        "b-7",
        "Hackers stole 80,000 licence plate images from Vigilex parking cameras",
        "The intruders copied plate-reader images and driver locations from the vendor's servers.",
        "https://loop.example/breach/vigilex",
    ),
    77: Item(
        "b-77",
        "Face recognition database of Lisbon transit police leaked online",
        "A misconfigured server exposed 2 million biometric face templates collected by station cameras.",
        "https://loop.example/breach/lisbon",
    ),
    177: Item(
        "b-177",
        "Stalkerware maker Trackly breached, phone locations of 300,000 victims exposed",
        "Attackers dumped GPS histories and intercepted messages harvested by the spyware app.",
        "https://loop.example/breach/trackly",
    ),
}


@dataclass
class Farm:
    """200 feeds on one loopback server, each request recorded per feed with its time."""

    server: TestServer
    delay: float = 0.0
    hits: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def urls(self) -> list[str]:
        return [str(self.server.make_url(f"/f/{n}")) for n in range(FEEDS)]

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.hits.values())


def _items(n: int) -> list[Item]:
    items = [Item(f"f{n}-1", f"Town council {n} meets on Tuesday", "Agenda items.", f"https://loop.example/{n}/1")]
    if n in BREACHES:
        items.append(BREACHES[n])
    return items


@pytest.fixture
async def farm() -> AsyncIterator[Farm]:
    app = web.Application()
    box: list[Farm] = []

    async def feed(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        box[0].hits[n].append(time.monotonic())
        if box[0].delay:
            await asyncio.sleep(box[0].delay)
        return web.Response(body=rss(_items(n)), content_type="application/rss+xml")

    app.router.add_get("/f/{n}", feed)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    box.append(Farm(server))
    yield box[0]
    await server.close()


async def _count(engine: AsyncEngine, model: type, *where: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(model).where(*where))).scalar_one())  # type: ignore[arg-type]


async def _pollers(tmp_path: Path, pg_url: str, farm: Farm, **extra: str) -> list[Proc]:
    write_sources(tmp_path, farm.urls())
    env = product_env(
        tmp_path,
        pg_url,
        BREACHWATCH_FETCH_CONCURRENCY="10",
        BREACHWATCH_PER_HOST_CONCURRENCY="10",  # every feed is on 127.0.0.1
        BREACHWATCH_POLL_TICK="1",
        **extra,
    )
    return [await start(f"poller{i}", tmp_path, env, "--role", "poller") for i in range(2)]


async def _stop_all(procs: list[Proc]) -> None:
    codes = await asyncio.gather(*(p.stop() for p in procs))
    for proc, code in zip(procs, codes, strict=True):
        assert code in (0, -9), f"{proc.name} exited {code}:\n{proc.log()[-3000:]}"


def _fetched_feeds(procs: list[Proc]) -> list[int]:
    """Feeds per cycle as each process logged them ("poll cycle: N feeds")."""
    import re

    return [sum(int(n) for n in re.findall(r"poll cycle: (\d+) feeds", p.log())) for p in procs]


async def test_two_pollers_fetch_each_feed_once_per_cycle(
    tmp_path: Path, pg_url: str, pg_db: AsyncEngine, farm: Farm
) -> None:
    interval = 8.0
    procs = await _pollers(tmp_path, pg_url, farm, BREACHWATCH_POLL_INTERVAL=str(interval))
    try:
        await eventually(
            lambda: _async(all(len(farm.hits[n]) >= 2 for n in range(FEEDS))), 60, "two cycles of every feed"
        )
        await eventually(lambda: _processed(pg_db), 60, "every article processed")
        await asyncio.sleep(1)  # let the last fetches of the cycle be recorded
    finally:
        await _stop_all(procs)
    for n in range(FEEDS):
        gaps = [b - a for a, b in zip(farm.hits[n], farm.hits[n][1:], strict=False)]
        # One fetch per interval (plus up to 10% jitter): a double fetch would show as a gap of a second or less.
        assert all(gap > interval * 0.8 for gap in gaps), (n, gaps)
    per_process = _fetched_feeds(procs)
    assert all(count > 0 for count in per_process), per_process  # both pollers did a share of the work
    assert await _count(pg_db, FetchLog) == farm.total  # every request recorded, once
    assert await _count(pg_db, Article) == FEEDS + len(BREACHES)  # nothing stored twice
    await _assert_stories(pg_db)


async def test_sigkill_one_poller_mid_cycle_the_other_takes_over(
    tmp_path: Path, pg_url: str, pg_db: AsyncEngine, farm: Farm
) -> None:
    farm.delay = 0.15  # ~2 s of fetching per poller per cycle, so there is a middle to kill it in
    # Long enough for one chunk to be fetched and recorded on a loaded 2-core machine, short enough for a test.
    lease = 6.0
    procs = await _pollers(tmp_path, pg_url, farm, BREACHWATCH_POLL_INTERVAL="600", BREACHWATCH_POLL_LEASE=str(lease))
    victim, survivor = procs
    try:
        await eventually(lambda: _async(len(victim_hits(farm)) >= 0 and farm.total >= 40), 60, "the cycle under way")
        victim.kill()
        killed_at = time.monotonic()
        await eventually(lambda: _has(pg_db, Source, FEEDS, Source.last_fetch_at.is_not(None)), 60, "every source done")
        done_at = time.monotonic()
        await asyncio.sleep(1.5)  # a second chance to double-fetch, which must not be taken
    finally:
        await _stop_all(procs)
    assert victim.proc.returncode == -9
    assert all(len(farm.hits[n]) >= 1 for n in range(FEEDS))
    refetched = [n for n in range(FEEDS) if len(farm.hits[n]) > 1]
    # Only what the dead poller held is fetched again, once: its claimed chunk (at most 2 x concurrency) plus what
    # it had fetched but its writer had not yet recorded (at most one write batch).
    assert all(len(farm.hits[n]) == 2 for n in refetched)
    assert len(refetched) <= 2 * 10 + WRITE_BATCH, refetched
    assert await _count(pg_db, FetchLog) == FEEDS  # each source's fetch recorded exactly once
    assert await _count(pg_db, Article) == FEEDS + len(BREACHES)
    assert done_at - killed_at < 30
    if refetched:
        # The survivor waited for the leases to run out before taking the dead poller's sources.
        assert min(farm.hits[n][1] for n in refetched) - killed_at >= lease - 1.0
    assert survivor.alive is False  # stopped cleanly by _stop_all


def victim_hits(farm: Farm) -> list[int]:
    return [n for n, hits in farm.hits.items() if hits]


async def test_database_connections_killed_mid_cycle(
    tmp_path: Path, pg_url: str, pg_db: AsyncEngine, farm: Farm
) -> None:
    farm.delay = 0.02
    interval = 4.0
    procs = await _pollers(tmp_path, pg_url, farm, BREACHWATCH_POLL_INTERVAL=str(interval))
    killed = 0
    try:
        await eventually(lambda: _async(farm.total >= 100), 60, "the first cycle under way")
        for _ in range(4):  # four rounds of killed connections, a second and a half apart, bounded
            killed += await terminate_backends(pg_url)
            await asyncio.sleep(1.5)
        after_faults = time.monotonic()
        # Going on: every feed fetched (and recorded) again after the last fault.
        try:
            await eventually(
                lambda: _async(all(farm.hits[n][-1] > after_faults for n in range(FEEDS))), 40, "a full cycle after"
            )
        except AssertionError as exc:
            stale = [n for n in range(FEEDS) if farm.hits[n][-1] <= after_faults]
            tail = "".join(p.log() for p in procs)[-4000:]
            raise AssertionError(f"{exc}; feeds not fetched again: {stale}\n{tail}") from None
        await eventually(lambda: _processed(pg_db), 60, "every article processed")
        await asyncio.sleep(interval / 2)
    finally:
        await _stop_all(procs)
    assert killed > 0  # the faults really hit live connections
    logs = "".join(p.log() for p in procs)
    assert "connection" in logs.lower()  # the failure was logged, not swallowed
    assert all(p.proc.returncode == 0 for p in procs)  # and neither process died of it
    assert await _count(pg_db, Article) == FEEDS + len(BREACHES)
    await _assert_stories(pg_db)
    # Nothing lost: every source has a recorded fetch after the faults and none is stuck with a stale lease.
    assert await _count(pg_db, Source, Source.last_success_at.is_not(None)) == FEEDS


async def _processed(engine: AsyncEngine) -> bool:
    try:
        return await _count(engine, Article, Article.processed_at.is_not(None)) == FEEDS + len(BREACHES)
    except Exception:  # the test's own connection may be among those killed
        return False


async def _assert_stories(engine: AsyncEngine) -> None:
    """One story per breach, and every article in exactly one story, counted once (two processes grouped them)."""
    async with engine.connect() as conn:
        titles = (await conn.execute(select(Story.title).where(Story.match.is_(True)))).scalars().all()
        counted = (await conn.execute(select(func.sum(Story.article_count)))).scalar_one()
        grouped = (await conn.execute(select(func.count()).where(Article.story_id.is_not(None)))).scalar_one()
    assert sorted(titles) == sorted(item.title for item in BREACHES.values())
    assert counted == grouped == FEEDS + len(BREACHES)


async def _async(value: bool) -> bool:
    return value


async def _has(engine: AsyncEngine, model: type, n: int, *where: object) -> bool:
    try:
        return await _count(engine, model, *where) >= n
    except Exception:  # the test's own connection may be among those killed
        return False
