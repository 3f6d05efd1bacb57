"""The process's long-lived dependencies, built once outside the bot and passed in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import __version__
from bot.classify.rules import ClassifierCache
from bot.feeds.netguard import AddressGuard, make_connector
from bot.feeds.workers import ParsePool
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.classify.judge import Judge
    from bot.process import Processor

HOMEPAGE = "https://github.com/breachwatch/breachwatch"
USER_AGENT = f"breachwatch/{__version__} (+{HOMEPAGE})"


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: aiohttp.ClientSession
    scheduler: AsyncIOScheduler
    # Replaced by the Discord client once it exists; /healthz asks it in bot roles.
    gateway_ready: Callable[[], bool] = field(default=lambda: False)
    # Scheduled jobs running now (bot.scheduling), so shutdown can let them unwind before the database closes.
    running_jobs: set[asyncio.Task[None]] = field(default_factory=set)
    # The two-stage classifier (lexicon, then encoder and trained model) and the processing step built on it;
    # bot.runtime builds both. None where a process only delivers or syncs.
    judge: Judge | None = None
    processor: Processor | None = None
    # Compiled classifiers of tuned guilds, shared by fan-out, /keywords test and backtests; bounded (least
    # recently used guilds are recompiled on demand) because each one holds its own automaton.
    classifiers: ClassifierCache = field(default_factory=ClassifierCache)
    # Worker processes for slash commands' heavy work (/sources add|check parses, /keywords previews), under the
    # parse limits and with a bounded number of jobs; bot.runtime builds it for the roles that answer commands.
    command_pool: ParsePool | None = None


def make_http_session(settings: Settings) -> aiohttp.ClientSession:
    """The one ClientSession of the process; per-request limits are applied by the fetchers.

    Its connector refuses non-public addresses at connect time unless BREACHWATCH_ALLOW_PRIVATE_SOURCES is set.
    """
    timeout = aiohttp.ClientTimeout(total=settings.fetch_timeout, sock_connect=settings.connect_timeout)
    connector = make_connector(guard_for(settings), limit=settings.fetch_concurrency)
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT},
        timeout=timeout,
        connector=connector,
        auto_decompress=True,
    )


def guard_for(settings: Settings) -> AddressGuard:
    return AddressGuard(allow_private=settings.allow_private_sources)
