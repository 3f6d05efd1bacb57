"""The processing job: new articles are classified, grouped into stories and queued for delivery."""

from __future__ import annotations

import logging

from bot.alerts.queueing import after_assign
from bot.classify import classify
from bot.jobs import add_interval_job
from bot.process import process_pending
from bot.services import Services

log = logging.getLogger(__name__)

PROCESS_TICK_S = 2.0


async def process_job(services: Services) -> int:
    done = total = 0
    while True:
        done = await process_pending(
            services.sessions,
            classify,
            window_days=services.settings.dedupe_window_days,
            batch=200,
            after_assign=after_assign,
        )
        total += done
        if done < 200:
            break
    if total:
        log.info("processed %d new articles", total)
    return total


def install(services: Services) -> None:
    add_interval_job(services, "process", process_job, PROCESS_TICK_S)
