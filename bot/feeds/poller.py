"""One polling cycle: lease the due sources, fetch them with bounded concurrency (overall and per host), parse
off the event loop, and store what came back. Decisions (schedule, backoff, disabling) come from the pure
bot.feeds.schedule; I/O (HTTP session, parse pool, database) is handed in.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.core.clock import utcnow
from bot.core.outlets import outlet_name, outlet_names
from bot.feeds.alertable import alertable_keys
from bot.feeds.fetch import FetchLimits, FetchResult, fetch_feed
from bot.feeds.netguard import AddressGuard
from bot.feeds.parse import FeedParseError, ParsedFeed
from bot.feeds.schedule import Plan, Policy, SourceHealth, plan_after_fetch
from bot.feeds.workers import ParsePool
from bot.settings import Settings
from storage import sources as source_store
from storage.articles import store_entries
from storage.sources import FetchRecord, SourceState

log = logging.getLogger(__name__)
WRITE_BATCH = 50
QUEUE_FEEDS = WRITE_BATCH
FETCH_LOG_DAYS = 14


@dataclass(frozen=True)
class PollConfig:
    policy: Policy
    limits: FetchLimits
    concurrency: int = 20
    per_host: int = 2
    alert_max_age: timedelta = timedelta(hours=48)
    edit_interval: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=10)
    # Parsed feeds stored per transaction, and how many may wait for the writer (their memory is the bound).
    write_batch: int = WRITE_BATCH
    queue_feeds: int = QUEUE_FEEDS

    @classmethod
    def from_settings(cls, settings: Settings) -> PollConfig:
        return cls(
            policy=Policy(
                poll_interval=settings.poll_interval,
                disable_after_days=settings.disable_after_days,
                disable_min_failures=settings.disable_min_failures,
            ),
            limits=FetchLimits(
                max_bytes=settings.max_feed_bytes,
                total_timeout=settings.fetch_timeout,
                connect_timeout=settings.connect_timeout,
            ),
            concurrency=settings.fetch_concurrency,
            per_host=settings.per_host_concurrency,
            alert_max_age=timedelta(hours=settings.alert_max_age_hours),
            edit_interval=timedelta(seconds=settings.edit_min_interval),
            lease=timedelta(seconds=settings.poll_lease or settings.fetch_timeout + settings.parse_timeout + 120),
        )


@dataclass
class SourceOutcome:
    """What happened to one feed URL in a cycle (all scopes that share the URL were fetched once)."""

    url: str
    status: str  # ok | not_modified | error
    http_status: int | None
    entries: int
    new: int
    duration: float
    nbytes: int
    error_kind: str | None
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "entries": self.entries,
            "new": self.new,
            "error": f"{self.error_kind}: {self.error}" if self.error_kind else None,
            "duration_s": round(self.duration, 3),
            "bytes": self.nbytes,
        }


@dataclass
class Fetched:
    url: str
    rows: list[SourceState]
    started_at: datetime
    fetch: FetchResult
    feed: ParsedFeed | None = None
    parse_error: FeedParseError | None = None

    @property
    def error(self) -> tuple[str, str] | None:
        if self.fetch.status == "error":
            return self.fetch.error_kind or "error", self.fetch.error or ""
        if self.parse_error is not None:
            return self.parse_error.kind, str(self.parse_error)
        return None


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


async def _hand_over(queue: asyncio.Queue[Fetched | None], item: Fetched | None, writer: asyncio.Task[None]) -> None:
    """Queue `item` for the writer; if the writer has stopped (it failed), give up rather than wait forever."""
    if writer.done():
        return
    if not queue.full():  # no await between the check and the put: nothing else can fill it meanwhile
        queue.put_nowait(item)
        return
    put = asyncio.ensure_future(queue.put(item))
    try:
        await asyncio.wait({put, writer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not put.done():  # the writer stopped, or this cycle is being cancelled
            put.cancel()


class Poller:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        http: aiohttp.ClientSession,
        parser: ParsePool,
        config: PollConfig,
        guard: AddressGuard,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.http = http
        self.parser = parser
        self.config = config
        self.guard = guard
        self.rng = rng or random.Random()
        self.clock = clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        # Site -> outlet name (bot.core.outlets), read from the operator's sources at the start of each cycle.
        self.outlet_names: dict[str, str] = {}

    async def fetch_and_parse(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, language: str | None = None
    ) -> tuple[FetchResult, ParsedFeed | None, FeedParseError | None]:
        """Fetch and parse one URL, storing nothing (`sources check` and the cycle both use this)."""
        result = await fetch_feed(
            self.http, url, guard=self.guard, limits=self.config.limits, etag=etag, last_modified=last_modified
        )
        if result.status != "ok":
            return result, None, None
        try:
            feed = await self.parser.parse(result.body, result.headers, result.final_url, language)
        except FeedParseError as exc:
            return result, None, exc
        finally:
            result.body = b""  # parsed: the bytes are not needed any more
        return result, feed, None

    async def run_cycle(
        self,
        *,
        force: bool = False,
        urls: list[str] | None = None,
        progress: Callable[[SourceOutcome], None] | None = None,
        on_claimed: Callable[[int], None] | None = None,
    ) -> list[SourceOutcome]:
        """Poll every due source (every enabled one with `force`, or only `urls`) once.

        The scheduled cycle claims in small chunks as fetch slots free up, rather than everything at once, so that
        N pollers share the due set between them and each lease starts close to its fetch (a lease taken for a
        whole cycle of thousands of feeds would expire before the last of them is reached).
        """
        start = self.clock()
        async with self.sessions.begin() as session:
            await source_store.prune_fetch_log(session, start - timedelta(days=FETCH_LOG_DAYS))
            self.outlet_names = outlet_names(await source_store.operator_source_names(session))
        # Bounded, so parsed feeds never pile up in memory faster than the single writer stores them: a full
        # queue holds the fetch slot, and fetching waits for the database rather than the other way round.
        queue: asyncio.Queue[Fetched | None] = asyncio.Queue(maxsize=self.config.queue_feeds)
        outcomes: list[SourceOutcome] = []
        writer = asyncio.create_task(self._writer(queue, outcomes, progress))
        overall = asyncio.Semaphore(self.config.concurrency)
        per_host: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.config.per_host))
        chunked = not force and urls is None
        in_flight = 0
        room = asyncio.Event()
        claimed = 0

        def finished(_: asyncio.Task[None]) -> None:
            nonlocal in_flight
            in_flight -= 1
            if in_flight <= self.config.concurrency:
                room.set()

        try:
            async with asyncio.TaskGroup() as tasks:
                while True:
                    limit = max(1, 2 * self.config.concurrency - in_flight) if chunked else 100_000
                    async with self.sessions.begin() as session:
                        rows = await source_store.claim_sources(
                            session,
                            self.clock(),
                            self.owner,
                            lease=self.config.lease,
                            limit=limit,
                            force=force,
                            urls=urls,
                            due_by=start,
                        )
                    groups: dict[str, list[SourceState]] = defaultdict(list)
                    for row in rows:
                        groups[row.url].append(row)
                    claimed += len(groups)
                    if not chunked and on_claimed is not None:
                        on_claimed(claimed)
                    for url, group in groups.items():
                        in_flight += 1
                        task = tasks.create_task(self._one(url, group, overall, per_host[_host(url)], queue, writer))
                        task.add_done_callback(finished)
                    if not chunked or not rows:
                        break
                    # Claim the next chunk once half the slots are free, so fetches never wait on the database.
                    room.clear()
                    if in_flight > self.config.concurrency:
                        await room.wait()
        finally:
            try:
                await _hand_over(queue, None, writer)
                await writer
            finally:
                current = asyncio.current_task()
                # A cancelled cycle is a shutdown: the database may be closing under us, and leases expire anyway.
                if current is None or not current.cancelling():
                    await self._release_leftovers()
        if chunked and on_claimed is not None:
            on_claimed(claimed)
        if not outcomes:
            return []
        metrics.LAST_POLL.set(time.time())
        log.info(
            "poll cycle: %d feeds, %d ok, %d not modified, %d failed, %d new entries",
            len(outcomes),
            sum(o.status == "ok" for o in outcomes),
            sum(o.status == "not_modified" for o in outcomes),
            sum(o.status == "error" for o in outcomes),
            sum(o.new for o in outcomes),
        )
        return outcomes

    async def _release_leftovers(self) -> None:
        """Leases still held after a cycle belong to fetches that never got recorded (the cycle failed, or a commit
        was lost with its connection): release them so those sources come due again now, not when leases expire."""
        for attempt in range(3):
            try:
                async with self.sessions.begin() as session:
                    released = await source_store.release_all(session, self.owner)
            except Exception as exc:
                log.warning("could not release leftover leases (try %d): %s", attempt + 1, exc)
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if released:
                log.warning("released %d leases of sources this cycle did not finish", released)
            return

    async def _one(
        self,
        url: str,
        rows: list[SourceState],
        overall: asyncio.Semaphore,
        host: asyncio.Semaphore,
        queue: asyncio.Queue[Fetched | None],
        writer: asyncio.Task[None],
    ) -> None:
        # Validators are sent only when every scope sharing the URL agrees; a new scope needs the full body.
        etag = rows[0].etag if all(r.etag == rows[0].etag for r in rows) else None
        modified = rows[0].last_modified if all(r.last_modified == rows[0].last_modified for r in rows) else None
        language = next((r.language for r in rows if r.language), None)
        started = self.clock()
        async with overall:
            try:
                async with host:
                    result = await fetch_feed(
                        self.http, url, guard=self.guard, limits=self.config.limits, etag=etag, last_modified=modified
                    )
                fetched = Fetched(url, rows, started, result)
                if result.status == "ok":
                    try:
                        fetched.feed = await self.parser.parse(result.body, result.headers, result.final_url, language)
                    except FeedParseError as exc:
                        fetched.parse_error = exc
                    result.body = b""
            except Exception as exc:  # a bug here must cost one source, not the cycle
                log.exception("polling %s failed unexpectedly", url)
                result = FetchResult(url=url, final_url=url, status="error", error_kind="internal", error=repr(exc))
                fetched = Fetched(url, rows, started, result)
            await _hand_over(queue, fetched, writer)

    async def _writer(
        self,
        queue: asyncio.Queue[Fetched | None],
        outcomes: list[SourceOutcome],
        progress: Callable[[SourceOutcome], None] | None,
    ) -> None:
        """The only database writer of a cycle: results are stored in batches, one transaction each."""
        done = False
        while not done:
            item = await queue.get()
            batch: list[Fetched] = []
            while item is not None:
                batch.append(item)
                if len(batch) >= self.config.write_batch or queue.empty():
                    break
                item = queue.get_nowait()
            done = item is None
            if not batch:
                continue
            try:
                async with self.sessions.begin() as session:
                    stored = await self._store_batch(session, batch)
            except Exception:
                log.exception("storing a batch of %d feeds failed; retrying them one by one", len(batch))
                stored = []
                for fetched in batch:
                    stored.append(await self._store_alone(fetched))
            for outcome in stored:
                outcomes.append(outcome)
                metrics.POLLS.labels(outcome.status).inc()
                if outcome.error_kind is not None:
                    metrics.FETCH_ERRORS.labels(outcome.error_kind).inc()
                if progress is not None:
                    progress(outcome)

    async def _store_alone(self, fetched: Fetched) -> SourceOutcome:
        try:
            async with self.sessions.begin() as session:
                return (await self._store_batch(session, [fetched]))[0]
        except Exception as exc:
            log.exception("storing the result of %s failed", fetched.url)
            return self._outcome(fetched, 0, error=("storage", f"could not store the result: {exc}"))

    def _outcome(self, fetched: Fetched, new: int, error: tuple[str, str] | None = None) -> SourceOutcome:
        error = error or fetched.error
        return SourceOutcome(
            url=fetched.url,
            status="error" if error else fetched.fetch.status,
            http_status=fetched.fetch.http_status,
            entries=len(fetched.feed.entries) if fetched.feed else 0,
            new=new,
            duration=fetched.fetch.duration,
            nbytes=fetched.fetch.nbytes,
            error_kind=error[0] if error else None,
            error=error[1] if error else None,
        )

    def plan(self, row: SourceState, fetched: Fetched, now: datetime) -> Plan:
        return plan_after_fetch(
            self.config.policy,
            SourceHealth(row.consecutive_failures, row.first_failure_at),
            succeeded=fetched.error is None,
            server_hint=fetched.fetch.server_hint,
            now=now,
            rng=self.rng,
        )

    async def _store_batch(self, session: AsyncSession, batch: list[Fetched]) -> list[SourceOutcome]:
        """Store the entries feed by feed, then every fetch of the batch at once (storage.sources.record_fetches)."""
        records: list[tuple[int, FetchRecord, bool]] = []
        outcomes = [await self._store(session, fetched, records) for fetched in batch]
        await source_store.record_fetches(session, records)
        return outcomes

    async def _store(
        self, session: AsyncSession, fetched: Fetched, records: list[tuple[int, FetchRecord, bool]]
    ) -> SourceOutcome:
        now = self.clock()
        error = fetched.error
        new_max = 0
        entries = fetched.feed.entries if fetched.feed is not None else []
        # An aggregated entry is on its publisher's site, a link-less one on its feed's.
        outlets = {
            e.entry_key: outlet_name(e.publisher_url or e.canonical_url or fetched.url, self.outlet_names)
            for e in entries
        }
        for row in fetched.rows:
            new = 0
            baseline = False
            if error is None and fetched.feed is not None:
                baseline = row.baseline_at is None
                result = await store_entries(
                    session,
                    row.id,
                    fetched.feed.entries,
                    now,
                    outlets=outlets,
                    alertable_keys=alertable_keys(
                        fetched.feed.entries, now, baseline=baseline, max_age=self.config.alert_max_age
                    ),
                    edit_interval=self.config.edit_interval,
                )
                new = result.new
            plan = self.plan(row, fetched, now)
            record = FetchRecord(
                started_at=fetched.started_at,
                duration_ms=int(fetched.fetch.duration * 1000),
                status="error" if error else fetched.fetch.status,
                http_status=fetched.fetch.http_status,
                nbytes=fetched.fetch.nbytes,
                entries=len(fetched.feed.entries) if fetched.feed else 0,
                new_entries=new,
                error_kind=error[0] if error else None,
                error=error[1] if error else None,
                etag=fetched.fetch.etag,
                last_modified=fetched.fetch.last_modified,
                next_fetch_at=plan.next_fetch_at,
                consecutive_failures=plan.consecutive_failures,
                first_failure_at=plan.first_failure_at,
                disable=plan.disable,
            )
            records.append((row.id, record, baseline))
            if plan.disable:
                log.warning("source %s (guild %s) disabled: %s", row.url, row.guild_id, record.error)
            new_max = max(new_max, new)
        return self._outcome(fetched, new_max)
