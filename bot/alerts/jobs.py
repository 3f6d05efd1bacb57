"""Delivery's scheduled jobs: the queue worker and the digest sender."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from bot.alerts.digest import send_due_digests
from bot.alerts.sender import Sender
from bot.alerts.worker import DeliveryWorker, describe
from bot.core.clock import utcnow
from bot.scheduling import add_interval_job
from bot.services import Services
from storage import subscriptions
from storage.deliveries import ShardFilter
from storage.subscriptions import SubscriptionFilters

log = logging.getLogger(__name__)

CONSOLE_GUILD = 0
CONSOLE_CHANNEL = 0
DELIVERY_TICK_S = 2.0
DIGEST_TICK_S = 60.0


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def ensure_console_subscription(services: Services) -> None:
    """Console mode has no channels: one built-in subscription stands for the terminal, in the console's language
    (set again at every start, so a changed BREACHWATCH_CONSOLE_LANGUAGE applies)."""
    filters = SubscriptionFilters(language=services.settings.console_language)
    async with services.sessions.begin() as session:
        await subscriptions.subscribe(session, CONSOLE_GUILD, CONSOLE_CHANNEL, filters)


def install(services: Services, sender: Sender, shards: ShardFilter | None = None) -> None:
    lease = timedelta(seconds=services.settings.delivery_lease)
    worker = DeliveryWorker(services.sessions, sender, owner=worker_name(), shards=shards, lease=lease)

    async def deliver(_: Services) -> None:
        stats = await worker.run_once()
        if stats.sent or stats.edited or stats.failed or stats.retried:
            log.info("delivery: %s", describe(stats))

    async def digests(_: Services) -> None:
        await send_due_digests(services.sessions, sender, utcnow())

    add_interval_job(services, "deliver", deliver, DELIVERY_TICK_S)
    add_interval_job(services, "digests", digests, DIGEST_TICK_S)
