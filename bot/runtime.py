"""Start, run and stop the whole process: migrate, build the services, schedule, shut down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url

from bot import __version__, jobs
from bot.alerts import jobs as alert_jobs
from bot.alerts.console import ConsoleSender
from bot.health import HealthServer
from bot.services import Services, make_http_session
from bot.settings import Settings
from storage.engine import create_engine, session_factory
from storage.migrate import current, upgrade

log = logging.getLogger(__name__)


def describe_database(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def run(settings: Settings, stop: asyncio.Event) -> None:
    """Run until `stop` is set. Shutdown stops the scheduler, then closes HTTP and the database."""
    db = describe_database(settings.database_url)
    log.info(
        "breachwatch %s starting (%s mode), database %s",
        __version__,
        "console" if settings.console_mode else "discord",
        db,
    )
    await upgrade(settings.database_url)
    log.info("database at schema revision %s", await current(settings.database_url))

    engine = create_engine(settings.database_url)
    http = make_http_session(settings)
    scheduler = AsyncIOScheduler(timezone=UTC)
    services = Services(settings, engine, session_factory(engine), http, scheduler)
    health = HealthServer(
        services.sessions,
        settings.health_host,
        settings.health_port,
        gateway_ready=None if settings.console_mode else services.gateway_ready,
    )
    try:
        try:
            await health.start()
        except OSError as exc:
            log.error("health server could not listen on %s:%s: %s", settings.health_host, settings.health_port, exc)
        if settings.console_mode:
            await alert_jobs.ensure_console_subscription(services)
            alert_jobs.install(services, ConsoleSender())
        names = jobs.install(services)
        scheduler.start()
        log.info(
            "scheduler started with jobs: %s; poll interval %ss",
            ", ".join(names) or "none",
            settings.poll_interval,
        )
        await stop.wait()
        log.info("shutting down")
    finally:
        await health.stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        await http.close()
        await engine.dispose()
        log.info("stopped cleanly")


async def run_discord(services: Services, stop: asyncio.Event) -> None:
    """Connect to Discord until `stop` is set or the connection fails for good; the bot starts the scheduler."""
    from bot.discord_app.client import BreachwatchBot
    from bot.discord_app.endpoints import apply_settings

    token = services.settings.discord_token
    assert token is not None
    bot = BreachwatchBot(services)
    apply_settings(bot, services.settings)
    services.gateway_ready = lambda: bot.is_ready() and not bot.is_closed()
    async with bot:
        runner = asyncio.create_task(bot.start(token.get_secret_value()))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if runner in done:
            runner.result()
        else:
            await bot.close()
            await asyncio.gather(runner, return_exceptions=True)


def run_until_signalled(settings: Settings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop)

    asyncio.run(main())
