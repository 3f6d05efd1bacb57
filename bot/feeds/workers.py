"""Parsing off the event loop, bounded in time and memory.

Parsing runs in worker processes (pebble): a document that takes too long gets its worker killed and replaced,
one that needs too much memory hits the worker's address-space limit, and either is an error for that source
alone. With `workers=0` parsing runs in a thread instead (entity pre-checks still apply; the time bound then
only stops waiting).

The same pool runs the slash commands' heavy work (`/sources add|check` parses, `/keywords` backtests) in a
sibling instance the runtime builds for Discord roles: `run` calls any module-level function under the same time
and memory limits, and `max_jobs` bounds how many jobs may be admitted at once (running or waiting), so a burst of
commands is refused with PoolBusy instead of queueing without end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Any, TypeVar

import pebble

from bot.feeds.parse import PARSE, FeedParseError, ParsedFeed, decide_languages, parse_document

MAX_TASKS_PER_WORKER = 500

log = logging.getLogger(__name__)

T = TypeVar("T")


class PoolBusy(Exception):
    """Every job slot of a bounded pool is taken; the caller should refuse now and let the user retry."""


class WorkerTimeout(Exception):
    """A job ran past its time limit; its worker process was killed."""


class WorkerMemory(Exception):
    """A job needed more memory than a worker may take (exitcode None), or its worker died (with that code)."""

    def __init__(self, message: str, exitcode: int | None = None) -> None:
        super().__init__(message)
        self.exitcode = exitcode


def _init_worker(memory_mb: int) -> None:
    # Should anything pull numpy in, its thread pools must not reserve address space per thread.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    if memory_mb > 0:
        import resource

        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_context() -> multiprocessing.context.BaseContext:
    """Workers fork from a small server process that imported only the parser.

    Spawned workers would re-import the main module (the whole bot: ~80 MB each); forking the event-loop
    process itself is unsafe. The forkserver preloads just what parsing needs.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["bot.feeds.parse"])
    return ctx


def _ready() -> bool:
    return True


class ParsePool:
    def __init__(
        self, workers: int = 2, timeout: float = 30.0, memory_mb: int = 1024, *, max_jobs: int | None = None
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.max_jobs = max_jobs
        self.jobs = 0  # admitted now, running or waiting for a worker
        self._started = False
        self._pool: pebble.ProcessPool | None = self._new_pool() if workers > 0 else None
        self.renewals = 0  # broken pools replaced so far
        self._renewing = asyncio.Lock()  # jobs that find the pool broken at once replace it once

    def _new_pool(self) -> pebble.ProcessPool:
        return pebble.ProcessPool(
            max_workers=self.workers,
            max_tasks=MAX_TASKS_PER_WORKER,
            initializer=_init_worker,
            initargs=(self.memory_mb,),
            context=_worker_context(),
        )

    def _renew(self) -> None:
        """Replace a broken pool. pebble gives up on a whole pool when a worker dies holding no job (killed while
        idle, or dying on its next allocation after a job's MemoryError): every later job would fail, and the bot
        would stop reading feeds until restarted. Blocking: call it from a thread."""
        old, self._pool = self._pool, self._new_pool()
        self._started = False
        self.renewals += 1
        if old is not None:
            old.stop()  # type: ignore[no-untyped-call]
            old.join(timeout=5)

    async def parse(
        self,
        body: bytes,
        headers: Mapping[str, str],
        base_url: str,
        fallback_language: str | None = None,
        now: datetime | None = None,
        *,
        time_limit: float | None = None,
    ) -> ParsedFeed:
        """Parse in a worker; raises FeedParseError for anything that goes wrong with this document, PoolBusy when
        a bounded pool has no free job slot."""
        limit = time_limit if time_limit is not None else self.timeout
        threaded = self._pool is None
        args = (body, dict(headers), base_url, fallback_language, now, threaded)
        try:
            feed: ParsedFeed = await self.run(parse_document, *args, time_limit=limit)
        except (FeedParseError, PoolBusy):
            raise
        except WorkerTimeout:
            raise FeedParseError(PARSE, f"parsing took longer than {limit:g}s and was stopped") from None
        except WorkerMemory as exc:
            if exc.exitcode is None:
                raise FeedParseError(PARSE, f"parsing needed more than {self.memory_mb} MB and was stopped") from None
            raise FeedParseError(
                PARSE, f"parser process died (exit code {exc.exitcode}): out of memory or crashed"
            ) from None
        except Exception as exc:
            raise FeedParseError(PARSE, f"parser failed: {type(exc).__name__}: {exc}") from None
        if feed.dropped_links:
            log.info(
                "%s: %d entry link(s) dropped, not http(s) or no usable host (entries kept), e.g. %r",
                base_url,
                feed.dropped_links,
                feed.dropped_examples[0],
            )
        if any(entry.analysis_language is None for entry in feed.entries):
            # One language model in this process rather than one per worker.
            feed = await asyncio.to_thread(decide_languages, feed, fallback_language)
        return feed

    def start(self) -> None:
        """Start the workers now and wait until one answers. Blocking (the first pool of a process starts the
        fork server, which imports the parser first, half a second or more): `run` calls it from a thread before
        the first job, which pebble would otherwise start on the event loop."""
        if self._pool is not None and not self._started:
            self._pool.schedule(_ready).result(timeout=60)
            self._started = True

    @property
    def full(self) -> bool:
        """No job slot is free: a caller about to do costly work for a job (a fetch) can refuse first."""
        return self.max_jobs is not None and self.jobs >= self.max_jobs

    async def run(self, fn: Callable[..., T], *args: Any, time_limit: float | None = None) -> T:
        """`fn(*args)` in a worker process (a thread with `workers=0`), killed past the time limit.

        Raises PoolBusy when `max_jobs` jobs are already admitted, WorkerTimeout and WorkerMemory for a job that
        was stopped, and whatever `fn` raised. Cancelling the caller cancels the job: pebble kills a worker whose
        job is cancelled while it runs, so nothing goes on computing for nobody.
        """
        if self.full:
            raise PoolBusy(f"{self.jobs} jobs are already running or waiting")
        limit = time_limit if time_limit is not None else self.timeout
        self.jobs += 1
        try:
            if self._pool is not None and not self._started:
                await asyncio.to_thread(self.start)
            if self._pool is None:
                return await asyncio.wait_for(asyncio.to_thread(fn, *args), limit)
            return await self._in_worker(fn, args, limit)
        except (TimeoutError, concurrent.futures.TimeoutError):
            raise WorkerTimeout(f"the job took longer than {limit:g}s and was stopped") from None
        except MemoryError:
            raise WorkerMemory(f"the job needed more than {self.memory_mb} MB and was stopped") from None
        except pebble.ProcessExpired as exc:
            message = f"the worker process died (exit code {exc.exitcode}): out of memory or crashed"
            raise WorkerMemory(message, exc.exitcode) from None
        finally:
            self.jobs -= 1

    async def _in_worker(self, fn: Callable[..., T], args: tuple[Any, ...], limit: float) -> T:
        """The job in a worker; a broken pool is replaced and the job, which did not break it, tried once more."""
        pool = self._pool
        try:
            return await self._schedule(pool, fn, args, limit)
        except BrokenProcessPool as exc:
            async with self._renewing:
                if self._pool is pool:
                    log.warning("parse worker pool broken (%s): starting a new one, trying its jobs again", exc)
                    await asyncio.to_thread(self._renew)
                    await asyncio.to_thread(self.start)
        return await self._schedule(self._pool, fn, args, limit)

    @staticmethod
    async def _schedule(
        pool: pebble.ProcessPool | None, fn: Callable[..., T], args: tuple[Any, ...], limit: float
    ) -> T:
        assert pool is not None
        if not pool.active:
            raise BrokenProcessPool("the pool stopped after a worker died")
        return await asyncio.wrap_future(pool.schedule(fn, args=args, timeout=limit))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=5)
            self._pool = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
