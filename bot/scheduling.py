"""How a job is scheduled: every interval, guarded (an exception is logged and the schedule goes on), and
cancelled at shutdown. Each feature's `install` uses these; bot.runtime calls the installs and starts the scheduler."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.services import Services

log = logging.getLogger(__name__)

JobFn = Callable[[Services], Awaitable[Any]]
JOB_UNWIND_S = 5.0  # how long shutdown waits for cancelled jobs to finish their clean-up


def guarded(name: str, fn: JobFn, services: Services) -> Callable[[], Awaitable[None]]:
    @functools.wraps(fn)
    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            services.running_jobs.add(task)
        try:
            await fn(services)
        except Exception:
            log.exception("job %s failed; it runs again at its next time", name)
        finally:
            services.running_jobs.discard(task)

    return run


async def stop_jobs(services: Services) -> None:
    """Cancel the jobs still running and wait for them to unwind, so that none is still using the database or the
    HTTP session when those close (a poll cycle cut short while the engine is being disposed could hang there)."""
    tasks = [task for task in services.running_jobs if not task.done()]
    for task in tasks:
        # The scheduler's shutdown has cancelled most of them already; a second cancel would land in their clean-up
        # (SQLAlchemy closing an aiosqlite connection) and leave a close that never finishes.
        if not task.cancelling():
            task.cancel()
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=JOB_UNWIND_S)
        if pending:
            log.warning("%d job(s) still running after %.0fs at shutdown", len(pending), JOB_UNWIND_S)


def add_interval_job(
    services: Services, name: str, fn: JobFn, seconds: float, *, first_run: datetime | None = None
) -> None:
    """Run `fn` every `seconds`, first at `first_run` (default: one interval after start).

    APScheduler 3 treats next_run_time=None as "paused", so it is only passed when a first run is wanted.
    """
    extra: dict[str, Any] = {} if first_run is None else {"next_run_time": first_run}
    services.scheduler.add_job(
        guarded(name, fn, services),
        "interval",
        seconds=seconds,
        id=name,
        name=name,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        **extra,
    )
