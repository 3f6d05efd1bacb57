"""`breachwatch search QUERY` (the archive from a terminal, as `/search` shows it) and `breachwatch reindex`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.core.notes import Note
from bot.core.search_query import QueryError, parse_query
from bot.i18n import t
from bot.settings import load_settings
from storage.engine import create_engine, session_factory
from storage.search import rebuild_search_index, search_stories

# The same window as /search; far below what a date or a database integer can hold, so no number typed here ends
# in an overflow deep inside the search.
MAX_DAYS = 3650
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000


def _out_of_range(args: argparse.Namespace) -> str | None:
    for option, value, low, high in (
        ("--days", args.days, 1, MAX_DAYS),
        ("--limit", args.limit, 1, MAX_LIMIT),
        ("--offset", args.offset, 0, MAX_OFFSET),
    ):
        if value is not None and not low <= value <= high:
            return f"breachwatch search: {option} must be between {low} and {high:,} (got {value:,})"
    return None


def _english(note: Note) -> str:
    return t("en", note.msg_id, **note.params)


async def _search(args: argparse.Namespace) -> int:
    problem = _out_of_range(args)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    try:
        query = parse_query(args.query)
    except QueryError as exc:
        print(_english(exc.note))
        return 1
    engine = create_engine(load_settings().database_url)
    try:
        async with session_factory(engine)() as session:
            page = await search_stories(
                session,
                query,
                category=args.category,
                language=args.language,
                days=args.days,
                source=args.source,
                limit=args.limit,
                offset=args.offset,
            )
    finally:
        await engine.dispose()
    for note in page.notes:
        print(f"note: {_english(note)}")
    more = "+" if page.total_capped else ""
    print(f"{page.total}{more} stories match “{query.describe()}”")
    for hit in page.hits:
        outlets = f"{hit.outlet_count} outlet{'s' if hit.outlet_count != 1 else ''}"
        print(f"#{hit.story_id}  {hit.first_seen:%Y-%m-%d}  {hit.language or '??'}  {outlets}  {hit.headline}")
        if hit.summary_line:
            print(f"    {hit.summary_line}")
    return 0


async def _reindex() -> int:
    engine = create_engine(load_settings().database_url)
    try:
        async with engine.begin() as conn:
            await rebuild_search_index(conn)
    finally:
        await engine.dispose()
    print("search index rebuilt")
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    search = subparsers.add_parser("search", help="search the story archive as /search does")
    search.add_argument("query", help='words, "exact phrases" and -excluded words')
    search.add_argument("--category", help="only stories in this category")
    search.add_argument("--language", help="only stories in this language (en, fr, de, es, it, pt, nl)")
    search.add_argument("--days", type=int, help=f"only stories first seen in the last N days (1 to {MAX_DAYS})")
    search.add_argument("--source", help="only stories carried by this source (name or feed URL)")
    search.add_argument("--limit", type=int, default=10, help="results per page (default 10)")
    search.add_argument("--offset", type=int, default=0, help="results to skip, for paging")
    search.set_defaults(func=lambda args: asyncio.run(_search(args)))
    reindex = subparsers.add_parser("reindex", help="rebuild the full-text search index from the stored stories")
    reindex.set_defaults(func=lambda _args: asyncio.run(_reindex()))
