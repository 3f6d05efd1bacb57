"""Parsing off the event loop, bounded in time and memory.

Parsing runs in worker processes (pebble): a document that takes too long gets its worker killed and replaced,
one that needs too much memory hits the worker's address-space limit, and either is an error for that source
alone. With `workers=0` parsing runs in a thread instead (entity pre-checks still apply; the time bound then
only stops waiting).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
from collections.abc import Mapping
from datetime import datetime

import pebble

from bot.feeds.parse import PARSE, FeedParseError, ParsedFeed, decide_languages, parse_document

MAX_TASKS_PER_WORKER = 500


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


class ParsePool:
    def __init__(self, workers: int = 2, timeout: float = 30.0, memory_mb: int = 1024) -> None:
        self.workers = workers
        self.timeout = timeout
        self.memory_mb = memory_mb
        self._pool: pebble.ProcessPool | None = None
        if workers > 0:
            self._pool = pebble.ProcessPool(
                max_workers=workers,
                max_tasks=MAX_TASKS_PER_WORKER,
                initializer=_init_worker,
                initargs=(memory_mb,),
                context=_worker_context(),
            )

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
        """Parse in a worker; raises FeedParseError for anything that goes wrong with this document."""
        limit = time_limit if time_limit is not None else self.timeout
        try:
            if self._pool is None:
                args = (body, dict(headers), base_url, fallback_language, now, True)
                return await asyncio.wait_for(asyncio.to_thread(parse_document, *args), limit)
            args = (body, dict(headers), base_url, fallback_language, now, False)
            future = self._pool.schedule(parse_document, args=args, timeout=limit)
            feed: ParsedFeed = await asyncio.wrap_future(future)
        except FeedParseError:
            raise
        except (TimeoutError, concurrent.futures.TimeoutError):
            raise FeedParseError(PARSE, f"parsing took longer than {limit:g}s and was stopped") from None
        except MemoryError:
            raise FeedParseError(PARSE, f"parsing needed more than {self.memory_mb} MB and was stopped") from None
        except pebble.ProcessExpired as exc:
            raise FeedParseError(
                PARSE, f"parser process died (exit code {exc.exitcode}): out of memory or crashed"
            ) from None
        except Exception as exc:
            raise FeedParseError(PARSE, f"parser failed: {type(exc).__name__}: {exc}") from None
        if any(entry.analysis_language is None for entry in feed.entries):
            # One language model in this process rather than one per worker.
            feed = await asyncio.to_thread(decide_languages, feed, fallback_language)
        return feed

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=5)
            self._pool = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
