"""`breachwatch run`: the long-running process (console mode without a token)."""

from __future__ import annotations

import argparse
from typing import Any

from bot import logs
from bot.runtime import run_until_signalled
from bot.settings import load_settings


def _run(_args: argparse.Namespace) -> int:
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_json)
    if settings.discord_token is not None:
        logs.register_secret(settings.discord_token.get_secret_value())
    run_until_signalled(settings)
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("run", help="run the bot (console mode when DISCORD_TOKEN is unset)")
    parser.set_defaults(func=_run)
