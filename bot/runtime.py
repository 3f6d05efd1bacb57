"""Start, run and stop the whole process: migrate, build the services, schedule, shut down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Coroutine
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot import __version__, i18n, process
from bot.alerts import jobs as alert_jobs
from bot.alerts.console import ConsoleSender
from bot.alerts.fanout import GuildJudge
from bot.alerts.queueing import AlertQueueing
from bot.classify.encoder import EncoderError, load_encoder
from bot.classify.judge import Judge
from bot.classify.model import ModelError, load_model
from bot.classify.rules import ClassifierCache
from bot.daemon_threads import DaemonThreads
from bot.feeds import job as poll_job
from bot.feeds.job import make_parse_pool
from bot.feeds.pages import PageFetcher
from bot.feeds.poller import PollConfig
from bot.feeds.sources_file import SourcesFileError, load_sources_file
from bot.feeds.workers import ParsePool
from bot.health import HealthServer
from bot.process import Processor
from bot.scheduling import stop_jobs
from bot.services import Services, guard_for, make_http_session
from bot.settings import Settings, SettingsError, StartupError
from storage.engine import DatabaseLocationError, check_sqlite_location, create_engine, session_factory
from storage.migrate import current, upgrade

if TYPE_CHECKING:
    from bot.discord_app.client import BreachwatchBot

log = logging.getLogger(__name__)


def describe_database(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Role:
    """What this process does: `all` (the default), `poller` (fetch and process) or `bot` (Discord and delivery)."""

    name: str = "all"
    shard_ids: list[int] | None = None
    shard_count: int | None = None

    @property
    def polls(self) -> bool:
        return self.name in ("all", "poller")

    @property
    def delivers(self) -> bool:
        return self.name in ("all", "bot")


def check_start(settings: Settings, role: Role) -> None:
    """What an operator may have got wrong, found before anything starts, each as one line (StartupError): the
    sources file a poller reads, and the folder and file of an SQLite database."""
    if role.polls:
        try:
            load_sources_file(settings.sources_file)
        except SourcesFileError as exc:
            raise StartupError(f"BREACHWATCH_SOURCES_FILE: {exc}") from None
    try:
        check_sqlite_location(settings.database_url)
    except DatabaseLocationError as exc:
        raise StartupError(f"BREACHWATCH_DATABASE_URL: {exc}") from None


def _one_line(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0]}" if text else type(cause).__name__


async def migrate(settings: Settings) -> str | None:
    """Bring the schema up to date; a database that cannot be reached, opened or written (locked, read-only, a
    server that refuses) ends the start in one line."""
    try:
        await upgrade(settings.database_url)
        return await current(settings.database_url)
    except (SQLAlchemyError, OSError) as exc:
        where = describe_database(settings.database_url)
        raise StartupError(f"database {where} cannot be used: {_one_line(exc)}") from None


def build_judge(settings: Settings) -> Judge:
    """The classifier the process uses: the lexicon, and the encoder with the trained model unless turned off."""
    try:
        encoder = load_encoder(settings.encoder, threads=settings.encoder_threads, cache_dir=settings.encoder_cache)
        model = load_model() if encoder is not None else None
        judge = Judge(encoder, model)
    except (EncoderError, ModelError) as exc:
        raise SettingsError(f"BREACHWATCH_ENCODER: {exc}") from None
    if judge.learned:
        log.info("classifier: lexicon first pass, then %s and the trained model", judge.encoder_name)
    else:
        log.warning("classifier: lexicon only (BREACHWATCH_ENCODER=none); expect lower recall, see docs/classifier.md")
    return judge


def build_services(settings: Settings, scheduler: AsyncIOScheduler) -> Services:
    """The engine, the HTTP session and the process's one classifier cache, bounded by guilds and by bytes."""
    engine = create_engine(settings.database_url)
    services = Services(settings, engine, session_factory(engine), make_http_session(settings), scheduler)
    services.classifiers = ClassifierCache(
        max_guilds=settings.classifier_cache_guilds, max_bytes=settings.classifier_cache_mb * 1024 * 1024
    )
    return services


def build_processor(services: Services, judge: Judge) -> Processor:
    settings = services.settings
    pages = PageFetcher(
        services.http,
        guard_for(settings),
        PollConfig.from_settings(settings).limits,
        google_news=settings.google_news_base.rstrip("/"),
    )
    return Processor(
        services.sessions,
        judge=judge,
        fetch_page=pages,
        after_assign=AlertQueueing(GuildJudge(judge, services.classifiers)),
        window_days=settings.dedupe_window_days,
    )


async def run(settings: Settings, stop: asyncio.Event, role: Role | None = None) -> None:
    """Run until `stop` is set. Shutdown stops the scheduler, then closes HTTP and the database."""
    role = role or Role()
    mode = "console" if settings.console_mode else "discord"
    log.info(
        "breachwatch %s starting: role %s, %s mode, database %s",
        __version__,
        role.name,
        mode,
        describe_database(settings.database_url),
    )
    # Read and checked now, so a catalogue with a gap stops the start with the entries named, not a later reply.
    i18n.catalogues()
    check_start(settings, role)
    log.info("database at schema revision %s", await migrate(settings))

    scheduler = AsyncIOScheduler(timezone=UTC)
    services = build_services(settings, scheduler)
    engine, http = services.engine, services.http
    # Pollers classify new articles; bots answer /keywords test and backtest rule changes with the same judge.
    services.judge = await asyncio.to_thread(build_judge, settings)
    if role.polls:
        services.processor = build_processor(services, services.judge)
    discord_role = role.delivers and not settings.console_mode
    health = HealthServer(
        services.sessions,
        settings.health_host,
        settings.health_port,
        gateway_ready=(lambda: services.gateway_ready()) if discord_role else None,
    )
    # Closed at shutdown once the jobs have unwound: a poll cycle cut short may still be parsing.
    pools = ExitStack()
    # The Discord client, closed first at shutdown (its gateway ends before the jobs and the database stop).
    clients = AsyncExitStack()
    try:
        try:
            await health.start()
        except OSError as exc:
            log.error("health server could not listen on %s:%s: %s", settings.health_host, settings.health_port, exc)
        if role.polls:
            poll_job.install(services, pools.enter_context(make_parse_pool(settings)))
            process.install(services)
        client: BreachwatchBot | None = None
        started = True
        if discord_role:
            services.command_pool = pools.enter_context(make_command_pool(settings))
            await asyncio.to_thread(services.command_pool.start)
            client = await clients.enter_async_context(discord_client(services, role))
            token = settings.discord_token
            assert token is not None
            # Logging in hands the HTTP client its token and runs setup_hook (cogs, translator, command sync): from
            # then on the sender can post, as it must before the delivery job first runs. The gateway comes after.
            from bot.discord_app.client import login_with_retry

            started = await until_stopped(client, login_with_retry(client, token.get_secret_value()), stop)
            if started:
                alert_jobs.install(services, client.sender, client.shard_filter)
        elif role.delivers:
            await alert_jobs.ensure_console_subscription(services)
            alert_jobs.install(services, ConsoleSender())
        if started:
            # The one place the scheduler starts: every job is installed and whatever they send through can send.
            scheduler.start()
            names = ", ".join(job.id for job in scheduler.get_jobs()) or "none"
            log.info("scheduler started with jobs: %s; poll interval %ss", names, settings.poll_interval)
            if client is None:
                await stop.wait()
            else:
                await until_stopped(client, client.connect(), stop)
        log.info("shutting down")
    finally:
        await clients.aclose()
        await health.stop()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        # A job the scheduler launched just before the signal is a task that has not run its first step, so it is
        # not yet among the running jobs: one turn of the loop lets it register, so that it is cancelled and unwound
        # here, while the database is still open. Left to asyncio.run's final cancellation it could hang for good in
        # a connection's close on a disposed engine (seen: SIGINT right after start, under load).
        await asyncio.sleep(0)
        await stop_jobs(services)
        pools.close()
        await http.close()
        await engine.dispose()
        log.info("stopped cleanly")


def make_command_pool(settings: Settings) -> ParsePool:
    """Worker processes for the slash commands' heavy work, with the parse pool's time and memory limits."""
    return ParsePool(
        settings.command_workers, settings.parse_timeout, settings.parse_memory_mb, max_jobs=settings.command_jobs
    )


def discord_client(services: Services, role: Role) -> BreachwatchBot:
    """The Discord client (and its sender) for this role's shards; /healthz asks it whether the gateway is up."""
    from bot.discord_app.client import BreachwatchBot
    from bot.discord_app.endpoints import apply_settings

    client = BreachwatchBot(services, shard_ids=role.shard_ids, shard_count=role.shard_count)
    apply_settings(client, services.settings)
    services.gateway_ready = lambda: client.is_ready() and not client.is_closed()
    return client


async def until_stopped(client: BreachwatchBot, work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run `work` (a login, the gateway connection) until it ends, True, or until `stop` is set, False: then the
    client is closed and `work` cancelled. A failure of `work` (a bad token, a lost connection) is raised."""
    runner = asyncio.create_task(work)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if runner in done:
        runner.result()
        return True
    await client.close()
    # Closing ends a connection; a login waiting between two tries (Discord unreachable) is cancelled instead.
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    return False


def run_until_signalled(settings: Settings, role: Role | None = None) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.set_default_executor(DaemonThreads())
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, stop, role)

    asyncio.run(main())
