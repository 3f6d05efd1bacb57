"""The scheduled poll: sync the sources file once at start, then each tick poll whatever is due."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.clock import utcnow
from bot.feeds.poller import PollConfig, Poller
from bot.feeds.sources_file import SourcesFileError, load_sources_file
from bot.feeds.workers import ParsePool
from bot.scheduling import add_interval_job
from bot.services import Services, guard_for
from bot.settings import Settings
from storage.sources import SyncResult, sync_config_sources

log = logging.getLogger(__name__)


async def sync_sources_file(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> SyncResult:
    """Bring the operator's sources in line with the sources file (guild sources are untouched)."""
    specs = load_sources_file(settings.sources_file)
    async with sessions.begin() as session:
        result = await sync_config_sources(session, specs, utcnow())
    log.info(
        "sources file %s: %d sources (%d added, %d updated, %d retired)",
        settings.sources_file,
        len(specs),
        result.added,
        result.updated,
        result.retired,
    )
    return result


def make_parse_pool(settings: Settings) -> ParsePool:
    return ParsePool(settings.parse_workers, settings.parse_timeout, settings.parse_memory_mb)


class PollJob:
    """The guarded job body: the poller, on the parse pool bot.runtime owns (it outlives every cycle)."""

    def __init__(self, poller: Poller) -> None:
        self.poller = poller
        self._synced = False

    async def __call__(self, services: Services) -> None:
        if not self._synced:
            # Tried once per process; a broken file is reported and the sources already stored keep polling.
            self._synced = True
            try:
                await sync_sources_file(services.settings, services.sessions)
            except SourcesFileError as exc:
                log.error("sources file not synced: %s", exc)
        await self.poller.run_cycle()


def poll_job(services: Services, pool: ParsePool) -> PollJob:
    config = PollConfig.from_settings(services.settings)
    return PollJob(Poller(services.sessions, services.http, pool, config, guard_for(services.settings)))


def install(services: Services, pool: ParsePool) -> None:
    """Schedule the poll job on `pool`, which its caller (bot.runtime) enters and closes.

    Processing is bot.process's job, delivery bot.alerts.jobs'; bot.runtime installs all three.
    """
    # The poll job syncs the sources file on its first run, right at start, then polls what is due each tick.
    tick = min(services.settings.poll_tick, services.settings.poll_interval)
    add_interval_job(services, "poll_feeds", poll_job(services, pool), tick, first_run=datetime.now(UTC))
