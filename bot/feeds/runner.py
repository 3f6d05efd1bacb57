"""Everything a one-shot command needs to poll: migrated database, HTTP session, parse pool, poller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feeds.job import make_parse_pool
from bot.feeds.poller import PollConfig, Poller
from bot.services import guard_for, make_http_session
from bot.settings import Settings
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade


@dataclass
class FeedRuntime:
    sessions: async_sessionmaker[AsyncSession] | None
    poller: Poller


@asynccontextmanager
async def feed_runtime(settings: Settings, *, database: bool = True) -> AsyncIterator[FeedRuntime]:
    """A poller wired to real resources; `database=False` for commands that store nothing."""
    engine = None
    if database:
        await upgrade(settings.database_url)
        engine = create_engine(settings.database_url)
    http = make_http_session(settings)
    pool = make_parse_pool(settings)
    try:
        sessions = session_factory(engine) if engine is not None else None
        # A poller needs a session factory; `sources check` never stores, so a dummy is never called.
        poller = Poller(
            sessions or _no_database(),
            http,
            pool,
            PollConfig.from_settings(settings),
            guard_for(settings),
        )
        yield FeedRuntime(sessions, poller)
    finally:
        pool.close()
        await http.close()
        if engine is not None:
            await engine.dispose()


def _no_database() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker()
