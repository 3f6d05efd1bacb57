"""The poll job is scheduled by bot.feeds.job.install, syncs the sources file once, and a failure never stops it."""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

import aiohttp
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.feeds.job import install, make_parse_pool, poll_job
from bot.scheduling import guarded
from bot.services import Services
from bot.settings import load_settings
from storage.engine import create_engine, session_factory
from storage.models import FetchLog, Source
from tests.feedserver import FeedServer


def _services(
    tmp_path: Path, urls: list[str], engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> Services:
    path = tmp_path / "sources.toml"
    path.write_text("".join(f'[[source]]\nurl = "{u}"\n' for u in urls), encoding="utf-8")
    settings = load_settings(
        sources_file=path, allow_private_sources=True, parse_workers=0, poll_tick=0.2, fetch_timeout=3
    )
    return Services(settings, engine, sessions, aiohttp.ClientSession(), AsyncIOScheduler(timezone=UTC))


async def test_install_schedules_the_poll_job(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
    feed_server: FeedServer,
) -> None:  # fmt: skip
    services = _services(tmp_path, [feed_server.url("/feed")], engine, sessions)
    pool = make_parse_pool(services.settings)
    try:
        install(services, pool)
        assert [job.id for job in services.scheduler.get_jobs()] == ["poll_feeds"]
        job = services.scheduler.get_job("poll_feeds")
        assert job is not None and job.next_run_time is not None  # scheduled, not paused
        services.scheduler.start()
        for _ in range(100):
            async with sessions() as session:
                if await session.scalar(select(func.count()).select_from(FetchLog)):
                    break
            await asyncio.sleep(0.1)
        async with sessions() as session:
            source = (await session.scalars(select(Source))).one()
        assert source.origin == "config" and source.baseline_at is not None
    finally:
        services.scheduler.shutdown(wait=False)
        pool.close()
        await services.http.close()
        await asyncio.sleep(0)


async def test_job_survives_a_broken_sources_file_and_a_failing_cycle(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    services = _services(tmp_path, [], engine, sessions)
    services.settings.sources_file.write_text("[[source]\n", encoding="utf-8")
    pool = make_parse_pool(services.settings)
    job = poll_job(services, pool)
    # A database without the schema: every cycle fails inside the job.
    empty = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    broken = Services(services.settings, empty, session_factory(empty), services.http, services.scheduler)
    try:
        await job(services)  # broken file: logged, polling goes on with what is stored
        assert "sources file not synced" in caplog.text
        failing = poll_job(broken, pool)
        job_run = guarded("poll_feeds", failing, broken)
        await job_run()
        await job_run()  # still callable: the failure was logged, not raised
        assert caplog.text.count("job poll_feeds failed") == 2
    finally:
        pool.close()
        await empty.dispose()
        await services.http.close()
