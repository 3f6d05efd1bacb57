"""No alert is lost to the environment (issue 15, item 3).

A full disk (a real tmpfs of a few MB holding the SQLite file) and a PostgreSQL backend terminated mid-transaction
make the processing step pause and try again; neither sets an article aside, and once the disk is freed or the
database is back every alert is queued and delivered once. Only an article whose own processing fails is set aside,
shown by `breachwatch stories --set-aside` and /metrics, and `breachwatch reprocess` takes it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import io
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.alerts.console import ConsoleSender
from bot.alerts.queueing import after_assign
from bot.alerts.worker import DeliveryWorker
from bot.classify import classify
from bot.cli import main as cli_main
from bot.core.clock import utcnow
from bot.faults import DATABASE, DISK, environment_fault
from bot.feeds.fetch import network_down
from bot.health import HealthServer
from bot.process import Processor
from bot.stories.assign import AssignResult
from storage import subscriptions
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Article, Delivery, Source
from storage.subscriptions import SubscriptionFilters
from tests.conftest import IN_CI
from tests.pg import PG_ADMIN_URL

Sessions = async_sessionmaker[AsyncSession]

# Three separate incidents the bundled lexicon classifier alerts on, and a fourth report of the first.
INCIDENTS = [
    (
        "Hackers steal 2 million licence plate scans from Vigilex parking cameras",
        "The intruders copied plate-reader images and locations of drivers from Vigilex servers in Ohio.",
    ),
    (
        "Police facial recognition database left open online, exposing millions of face images",
        "Researchers found the face recognition system of the Quarrow police with its mugshot database exposed "
        "without a password.",
    ),
    (
        "Spyware maker Tallisker hacked: victims' GPS location data and messages leaked",
        "Attackers stole the stalkerware vendor's database with the location histories of 40,000 victims.",
    ),
    (
        "Vigilex parking camera breach: 2 million licence plate records stolen, company confirms",
        "Vigilex said attackers took licence plate images and driver locations from its Ohio servers.",
    ),
]


class RecordingSender(ConsoleSender):
    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.sent: list[tuple[int, str]] = []

    async def send(self, channel_id: int, payload: dict[str, Any], *, nonce: str, reply_to: int | None = None) -> int:
        self.sent.append((channel_id, nonce))
        return await super().send(channel_id, payload, nonce=nonce, reply_to=reply_to)


async def _source(sessions: Sessions) -> int:
    async with sessions.begin() as s:
        source = Source(url="https://news.example/feed", name="Example News")
        s.add(source)
        await s.flush()
        return source.id


async def _article(
    sessions: Sessions, source_id: int, n: int, title: str, summary: str, content: str | None = None
) -> int:
    url = f"https://news.example/{n}"
    async with sessions.begin() as s:
        article = Article(
            source_id=source_id,
            canonical_url=url,
            url=url,
            title=title,
            summary=summary,
            content=content,
            language="en",
            outlet=f"outlet{n}.example",
            content_hash=hashlib.sha256(url.encode()).hexdigest(),
            published_at=utcnow(),
        )
        s.add(article)
        await s.flush()
        return article.id


async def _counts(sessions: Sessions) -> tuple[int, int, int]:
    """(unprocessed articles, set-aside articles, delivery rows)."""
    async with sessions() as s:
        pending = await s.scalar(select(func.count()).where(Article.processed_at.is_(None)))
        aside = await s.scalar(select(func.count()).where(Article.set_aside_at.is_not(None)))
        rows = await s.scalar(select(func.count()).select_from(Delivery))
    return int(pending or 0), int(aside or 0), int(rows or 0)


def _retries(kind: str) -> float:
    return float(metrics.REGISTRY.get_sample_value("breachwatch_processing_paused_total", {"kind": kind}) or 0.0)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MB tmpfs (root can mount one: the developers' machines and CI run as root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0 or shutil.disk_usage(mount).total > 8 * 2**20:
        reason = f"cannot mount a small tmpfs here: {done.stderr.strip() or 'not mounted'}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path, spare: int = 0) -> Path:
    """Write a file until the filesystem says ENOSPC, down to its last 512-byte block, then give back `spare`
    bytes."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as fh:
        for size in (1 << 16, 1 << 12, 1 << 9):
            block = b"\0" * size
            try:
                while True:
                    fh.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        if spare:
            fh.truncate(fh.tell() - spare)
    return filler


# Spare space left on the disk: none, and 32 KB, where a story's transaction still fails but the small write that
# sets an article aside fits (before the fix, both alerts were then set aside and lost).
@pytest.mark.parametrize("spare", [0, 32 * 1024])
async def test_full_disk_sets_nothing_aside_and_every_alert_goes_out_once(small_disk: Path, spare: int) -> None:
    url = f"sqlite+aiosqlite:///{small_disk / 'bw.db'}"
    await upgrade(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as s:
            await subscriptions.subscribe(s, 1, 10, SubscriptionFilters())
        source = await _source(sessions)
        processor = Processor(sessions, classify=classify, after_assign=after_assign, backoff_first=0.0)
        sender = RecordingSender()
        worker = DeliveryWorker(sessions, sender)

        await _article(sessions, source, 0, *INCIDENTS[0])
        assert await processor.run() == 1
        # Two more alerts arrive; then the disk fills before they are processed. The write-ahead log is emptied
        # first, so that any write must grow a file.
        await _article(sessions, source, 1, *INCIDENTS[1])
        await _article(sessions, source, 2, *INCIDENTS[2])
        async with sessions() as s:
            await s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        filler = _fill(small_disk, spare)
        before = _retries(DISK)

        # Far more tries than the three that set an article aside: none is set aside, none is half-stored.
        for _ in range(3 * processor.max_attempts):
            assert await processor.run() == 0
        assert _retries(DISK) - before == 3 * processor.max_attempts
        assert processor.failures == {}
        # Another report arrives. On a full disk the poller cannot store it (it stays in the feed and a later poll
        # stores it); with some space left it may be stored, and it then waits like the others.
        try:
            await _article(sessions, source, 3, *INCIDENTS[3])
            arrived = True
        except OperationalError as exc:
            assert "full" in str(exc)
            arrived = False
        with contextlib.suppress(OperationalError):  # the delivery job fails alike, and tries again next tick
            await worker.run_once()
        assert await _counts(sessions) == (2 + arrived, 0, 1)

        filler.unlink()
        if not arrived:
            await _article(sessions, source, 3, *INCIDENTS[3])
        assert await processor.run() == 3
        await worker.run_once()
        assert await _counts(sessions) == (0, 0, 3)
        # One alert per incident in the channel, each posted once (the fourth report grew the first story).
        assert len(sender.sent) == 3 and len(set(sender.sent)) == 3
        assert processor.env_failures == 0
    finally:
        await engine.dispose()


async def test_postgres_connection_killed_mid_processing_loses_and_sets_aside_nothing(pg_url: str) -> None:
    engine = create_engine(pg_url)
    sessions = session_factory(engine)
    admin = await asyncpg.connect(PG_ADMIN_URL)
    kills = 2 * 3  # more than max_attempts, on the same first article each time
    killed: list[int] = []

    async def kill_then_queue(session: AsyncSession, result: AssignResult) -> None:
        if len(killed) < kills:
            pid = int(await session.scalar(text("SELECT pg_backend_pid()")) or 0)
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            killed.append(pid)
        await after_assign(session, result)

    try:
        async with sessions.begin() as s:
            await subscriptions.subscribe(s, 1, 10, SubscriptionFilters())
        source = await _source(sessions)
        for n, (title, summary) in enumerate(INCIDENTS[:3]):
            await _article(sessions, source, n, title, summary)
        processor = Processor(sessions, classify=classify, after_assign=kill_then_queue, backoff_first=0.0)
        before = _retries(DATABASE)
        done = 0
        for _ in range(kills + 5):
            done += await processor.run()
            if done == 3:
                break
        assert len(killed) == kills and len(set(killed)) == kills
        assert _retries(DATABASE) - before == kills
        assert done == 3 and processor.failures == {}
        assert await _counts(sessions) == (0, 0, 3)
        sender = RecordingSender()
        await DeliveryWorker(sessions, sender).run_once()
        assert len(sender.sent) == 3 and len(set(sender.sent)) == 3
    finally:
        await admin.close()
        await engine.dispose()


async def test_backoff_doubles_and_a_success_resets_it(sessions: Sessions) -> None:
    source = await _source(sessions)
    await _article(sessions, source, 0, *INCIDENTS[0])
    full = OSError(errno.ENOSPC, "No space left on device")
    calls = 0

    def disk_full_twice(*args: str) -> Any:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise full
        return classify(*args)

    processor = Processor(sessions, classify=disk_full_twice, backoff_first=0.05, backoff_max=0.1)
    assert await processor.run() == 0
    assert await processor.run() == 0  # paused: nothing tried
    assert calls == 1
    processor.paused_until = 0.0
    assert await processor.run() == 0 and processor.env_failures == 2
    assert processor.paused_until - time.monotonic() > 0.05  # doubled (capped at 0.1)
    processor.paused_until = 0.0
    assert await processor.run() == 1 and processor.env_failures == 0
    assert await _counts(sessions) == (0, 0, 0)


async def test_unreachable_page_defers_the_article_not_the_queue(sessions: Sessions) -> None:
    source = await _source(sessions)
    teaser = await _article(sessions, source, 0, INCIDENTS[0][0], "Vigilex plate images stolen [...]")
    other = await _article(sessions, source, 1, *INCIDENTS[1], content=" ".join(INCIDENTS[1]) * 3)
    tries: list[str] = []

    async def unreachable(url: str) -> bytes | None:
        tries.append(url)
        raise ConnectionError("connect: cannot connect to news.example:443")

    processor = Processor(
        sessions, classify=classify, fetch_page=unreachable, page_backoff_first=60.0, page_retry_for=0.2
    )
    assert await processor.run() == 1  # the other article goes on
    async with sessions() as s:
        assert (await s.get(Article, teaser)).processed_at is None  # type: ignore[union-attr]
        assert (await s.get(Article, other)).processed_at is not None  # type: ignore[union-attr]
    assert await processor.run() == 0 and len(tries) == 1  # waiting for its next try
    processor.page_waits[teaser].retry_at = 0.0
    await asyncio.sleep(0.2)
    # Tried for page_retry_for: judged on the feed text, as when a page cannot be had.
    assert await processor.run() == 1 and len(tries) == 2
    assert await _counts(sessions) == (0, 0, 0) and processor.page_waits == {}


async def test_own_failure_is_set_aside_listed_counted_and_taken_back(
    sessions: Sessions, db_url: str, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with sessions.begin() as s:
        await subscriptions.subscribe(s, 1, 10, SubscriptionFilters())
    source = await _source(sessions)
    bad = await _article(sessions, source, 0, *INCIDENTS[0])

    def broken(*_: object) -> Any:
        raise RuntimeError("classifier exploded on this item")

    processor = Processor(sessions, classify=broken, after_assign=after_assign)
    for _ in range(processor.max_attempts):
        assert await processor.run() == 0
    assert await _counts(sessions) == (0, 1, 0)

    clean_env.setenv("BREACHWATCH_DATABASE_URL", db_url)
    assert await asyncio.to_thread(cli_main, ["stories", "--set-aside"]) == 0
    out = capsys.readouterr().out
    assert f"article {bad} set aside" in out and "RuntimeError: classifier exploded on this item" in out

    health = HealthServer(sessions, "127.0.0.1", 0)
    port = await health.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
            body = await response.text()
    finally:
        await health.stop()
    assert "breachwatch_articles_set_aside 1.0" in body

    assert await asyncio.to_thread(cli_main, ["reprocess", str(bad + 1000)]) == 1
    assert await asyncio.to_thread(cli_main, ["reprocess", "--all"]) == 0
    assert f"1 article(s) back in the queue: {bad}" in capsys.readouterr().out
    assert await _counts(sessions) == (1, 0, 0)
    assert await Processor(sessions, classify=classify, after_assign=after_assign).run() == 1
    assert await _counts(sessions) == (0, 0, 1)


@pytest.mark.parametrize(
    ("errno_value", "kind"), [(errno.ENOSPC, DISK), (errno.EIO, DISK), (errno.ECONNRESET, "network")]
)
def test_os_errors_are_the_environment(errno_value: int, kind: str) -> None:
    assert environment_fault(OSError(errno_value, os.strerror(errno_value))) == kind


def test_the_articles_own_errors_are_not_the_environment() -> None:
    for exc in (
        RuntimeError("x"),
        ValueError("bad date"),
        KeyError("title"),
        UnicodeDecodeError("utf-8", b"", 0, 1, ""),
    ):
        assert environment_fault(exc) is None


async def test_only_a_network_that_is_down_defers_a_page() -> None:
    # A refused connection on loopback is that host's state: the page is given up as before (feed text).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError) as refused:
            await http.get(f"http://127.0.0.1:{port}/")
    assert not network_down(refused.value)
    assert not network_down(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    assert not network_down(TimeoutError())
    # The resolver cannot answer, or there is no route: nobody can be reached, so the article waits.
    assert network_down(socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"))
    assert network_down(OSError(errno.ENETUNREACH, "Network is unreachable"))
