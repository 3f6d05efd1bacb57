"""`breachwatch reprocess ID ... | --all`: put set-aside articles back in the processing queue."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.settings import load_settings
from storage import stories as repo
from storage.engine import create_engine, session_factory


async def _reprocess(ids: list[int] | None) -> list[int]:
    engine = create_engine(load_settings().database_url)
    try:
        async with session_factory(engine).begin() as session:
            return await repo.reprocess_articles(session, ids)
    finally:
        await engine.dispose()


def _run(args: argparse.Namespace) -> int:
    if bool(args.ids) == args.all:
        print("breachwatch: give article ids or --all, not both", file=sys.stderr)
        return 2
    ids = None if args.all else sorted(set(args.ids))
    back = asyncio.run(_reprocess(ids))
    if back:
        print(f"{len(back)} article(s) back in the queue: {', '.join(map(str, back))}")
        print("a running `breachwatch run` (poller role) processes them within seconds")
    else:
        print("no set-aside article to take back")
    missed = sorted(set(ids or []) - set(back))
    if missed:
        print(f"not set aside, left alone: {', '.join(map(str, missed))}")
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "reprocess", help="put set-aside articles (see `stories --set-aside`) back in the processing queue"
    )
    parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="article ids")
    parser.add_argument("--all", action="store_true", help="every set-aside article")
    parser.set_defaults(func=_run)
