"""`breachwatch db upgrade|current`: apply or show the schema migrations."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.settings import load_settings
from storage.migrate import current, head, upgrade


def _upgrade(args: argparse.Namespace) -> int:
    url = load_settings().database_url
    asyncio.run(upgrade(url, args.revision))
    print(f"database at revision {asyncio.run(current(url))}")
    return 0


def _current(_args: argparse.Namespace) -> int:
    url = load_settings().database_url
    rev = asyncio.run(current(url))
    latest = head()
    state = "up to date" if rev == latest else f"behind head {latest}"
    print(f"{rev or 'empty (no migrations applied)'} ({state})")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    db = subparsers.add_parser("db", help="database schema migrations")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    up = db_sub.add_parser("upgrade", help="migrate the database to the latest schema")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    up.set_defaults(func=_upgrade)
    cur = db_sub.add_parser("current", help="show the database's schema revision")
    cur.set_defaults(func=_current)
