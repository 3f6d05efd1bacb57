"""Scheduled jobs. Each is guarded: an exception is logged and the schedule goes on."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.services import Services

log = logging.getLogger(__name__)

JobFn = Callable[[Services], Awaitable[Any]]


def guarded(name: str, fn: JobFn, services: Services) -> Callable[[], Awaitable[None]]:
    @functools.wraps(fn)
    async def run() -> None:
        try:
            await fn(services)
        except Exception:
            log.exception("job %s failed; it runs again at its next time", name)

    return run


def add_interval_job(services: Services, name: str, fn: JobFn, seconds: float) -> None:
    services.scheduler.add_job(
        guarded(name, fn, services),
        "interval",
        seconds=seconds,
        id=name,
        name=name,
        max_instances=1,
        coalesce=True,
        next_run_time=None,
        misfire_grace_time=None,
    )


def install(services: Services) -> list[str]:
    """Schedule the pipeline's jobs; returns their names for the start-up log."""
    return [job.id for job in services.scheduler.get_jobs()]
