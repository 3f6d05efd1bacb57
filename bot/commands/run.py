"""`breachwatch run`: the long-running process (console mode without a token)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot import logs
from bot.runtime import Role, run_until_signalled
from bot.settings import load_settings


def _shard_ids(text: str) -> list[int]:
    try:
        ids = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("shard ids are comma-separated numbers, e.g. 0,1") from None
    if not ids or ids[0] < 0:
        raise argparse.ArgumentTypeError("give at least one shard id, none negative")
    return ids


def _run(args: argparse.Namespace) -> int:
    if (args.shard_ids is None) != (args.shard_count is None):
        print("breachwatch: --shard-ids and --shard-count go together", file=sys.stderr)
        return 2
    if args.shard_ids is not None and args.shard_ids[-1] >= args.shard_count:
        print("breachwatch: every shard id must be below --shard-count", file=sys.stderr)
        return 2
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_json)
    if settings.discord_token is not None:
        logs.register_secret(settings.discord_token.get_secret_value())
    run_until_signalled(settings, Role(args.role, args.shard_ids, args.shard_count))
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("run", help="run the bot (console mode when DISCORD_TOKEN is unset)")
    parser.add_argument(
        "--role",
        choices=("all", "poller", "bot"),
        default="all",
        help="all (default): everything in one process; poller: fetch, classify and group; "
        "bot: Discord gateway, slash commands and delivery",
    )
    parser.add_argument("--shard-ids", type=_shard_ids, help="bot role: the shards this process runs, e.g. 0,1")
    parser.add_argument("--shard-count", type=int, help="bot role: the total number of shards")
    parser.set_defaults(func=_run)
