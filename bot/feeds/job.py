"""The scheduled poll: sync the sources file once at start, then each tick poll whatever is due."""

from __future__ import annotations

import atexit
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
    """Owns the parse pool for the life of the process; its call is the guarded job body."""

    def __init__(self) -> None:
        self._poller: Poller | None = None
        self._pool: ParsePool | None = None
        self._synced = False

    def poller(self, services: Services) -> Poller:
        if self._poller is None:
            self._pool = make_parse_pool(services.settings)
            atexit.register(self.close)
            self._poller = Poller(
                services.sessions,
                services.http,
                self._pool,
                PollConfig.from_settings(services.settings),
                guard_for(services.settings),
            )
        return self._poller

    async def __call__(self, services: Services) -> None:
        if not self._synced:
            # Tried once per process; a broken file is reported and the sources already stored keep polling.
            self._synced = True
            try:
                await sync_sources_file(services.settings, services.sessions)
            except SourcesFileError as exc:
                log.error("sources file not synced: %s", exc)
        await self.poller(services).run_cycle()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def install(services: Services) -> None:
    """Schedule the poll job; bot.runtime calls this (processing is bot.process's job, delivery bot.alerts.jobs')."""
    # The poll job syncs the sources file on its first run, right at start, then polls what is due each tick.
    tick = min(services.settings.poll_tick, services.settings.poll_interval)
    add_interval_job(services, "poll_feeds", PollJob(), tick, first_run=datetime.now(UTC))
