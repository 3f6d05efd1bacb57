"""`breachwatch sync [--guild ID]`: push the slash commands to Discord now, whatever the stored hash says."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import logs
from bot.services import Services, make_http_session
from bot.settings import Settings, load_settings
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    from bot.discord_app.client import sync_commands_now  # discord is imported only by the commands that need it

    assert settings.discord_token is not None
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    http = make_http_session(settings)
    services = Services(settings, engine, session_factory(engine), http, AsyncIOScheduler())
    try:
        await sync_commands_now(services, guild_id)
    finally:
        await http.close()
        await engine.dispose()
    where = f"guild {guild_id}" if guild_id else "all guilds (global commands)"
    print(f"slash commands synced to {where}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.console_mode:
        print("breachwatch: sync needs DISCORD_TOKEN", file=sys.stderr)
        return 2
    logs.configure(settings.log_level, settings.log_json)
    logs.register_secret(settings.discord_token.get_secret_value() if settings.discord_token else None)
    return asyncio.run(sync_commands(settings, args.guild))


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("sync", help="sync slash commands to Discord now")
    parser.add_argument("--guild", type=int, help="sync to this guild only (instant, for testing)")
    parser.set_defaults(func=_sync)
