"""The real breachwatch bot against the emulator, on real SQL: fixtures shared by the Discord-facing tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.alerts.fanout import fan_out
from bot.alerts.worker import DeliveryWorker
from bot.core.clock import utcnow
from bot.discord_app.client import BreachwatchBot
from bot.discord_app.pacing import Pacer
from bot.runtime import make_command_pool
from bot.services import Services, make_http_session
from bot.settings import Settings
from tests.emulator.server import Emulator
from tests.factories import make_source, make_story


class TestBot(BreachwatchBot):
    __test__ = False

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s before a re-IDENTIFY to respect Discord's pacing; tests need not."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**values): settings overrides for the bot's services")


@pytest.fixture
async def services(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], request: pytest.FixtureRequest
) -> AsyncIterator[Services]:
    marker = request.node.get_closest_marker("settings")
    overrides = dict(marker.kwargs) if marker else {}
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(_env_file=None, database_url=url, **overrides)  # type: ignore[call-arg]
    http = make_http_session(settings)
    scheduler = AsyncIOScheduler()
    # As bot.runtime builds it for Discord roles; pebble starts the worker only when a command first needs it.
    with make_command_pool(settings) as pool:
        yield Services(settings, engine, sessions, http, scheduler, command_pool=pool)
    if scheduler.running:
        scheduler.shutdown(wait=False)
    await http.close()


def make_bot(services: Services, **kw: Any) -> TestBot:
    kw.setdefault("pacer", Pacer(rate=1000, burst=1000))
    return TestBot(services, guild_ready_timeout=0.05, **kw)


@pytest.fixture
async def bw(services: Services, start_discord: Any) -> TestBot:
    bot = make_bot(services)
    await start_discord(bot)
    return bot


def worker(bot: BreachwatchBot, **kw: Any) -> DeliveryWorker:
    return DeliveryWorker(bot.services.sessions, bot.sender, **kw)


async def subscribe(emu: Emulator, channel: Any = None, **options: Any) -> Any:
    inv = await emu.invoke("alerts", {"channel": channel or emu.channel, **options}, subcommand="subscribe")
    return await inv.wait_message()


async def new_story(services: Services, **kw: Any) -> int:
    """A matching story as the pipeline leaves it, queued for every subscription it passes."""
    async with services.sessions.begin() as s:
        source = await make_source(s, url=f"https://feed.example/{utcnow().timestamp()}")
        story = await make_story(s, source, **kw)
        await fan_out(s, story, utcnow() + timedelta(seconds=1))
        return story.id
