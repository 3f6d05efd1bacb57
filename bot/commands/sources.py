"""`breachwatch sources list | add URL | remove URL | check URL`: the operator's view of the feeds."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.core.clock import utcnow
from bot.feeds.runner import feed_runtime
from bot.feeds.sources_file import validate_feed_url
from bot.settings import Settings, load_settings
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import GLOBAL_SCOPE, Source
from storage.sources import add_source, list_sources, remove_source


def _scope(row: Source) -> str:
    return "operator" if row.guild_id == GLOBAL_SCOPE else f"guild:{row.guild_id}"


def _state(row: Source) -> str:
    if not row.enabled:
        return f"disabled ({row.disabled_reason})"
    if row.last_error:
        return f"failing x{row.consecutive_failures}: {row.last_error}"
    if row.last_success_at is None:
        return "not polled yet"
    return "ok"


def _row_json(row: Source) -> dict[str, Any]:
    return {
        "url": row.url,
        "scope": _scope(row),
        "name": row.name,
        "language": row.language,
        "origin": row.origin,
        "enabled": row.enabled,
        "state": _state(row),
        "last_http_status": row.last_http_status,
        "last_success_at": row.last_success_at.isoformat() if row.last_success_at else None,
        "next_fetch_at": row.next_fetch_at.isoformat() if row.next_fetch_at else None,
    }


async def _with_sessions(settings: Settings, work: Any) -> Any:
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    rows: list[Source] = asyncio.run(_with_sessions(settings, lambda s: list_sources(s, include_disabled=args.all)))
    if args.json:
        for row in rows:
            print(json.dumps(_row_json(row), ensure_ascii=False))
        return 0
    for row in rows:
        lang = row.language or "--"
        print(f"{_scope(row):<24} {lang:<3} {row.url}\n{'':28}{row.name or ''} [{row.origin}] {_state(row)}")
    print(f"{len(rows)} sources")
    return 0


def _add(args: argparse.Namespace) -> int:
    try:
        url = validate_feed_url(args.url)
    except ValueError as exc:
        print(f"breachwatch sources add: {exc}", file=sys.stderr)
        return 2
    settings = load_settings()

    async def work(session: Any) -> tuple[Source, bool]:
        return await add_source(session, url, utcnow(), name=args.name, language=args.language, homepage=None)

    row, created = asyncio.run(_with_sessions(settings, work))
    print(f"{'added' if created else 'already present, enabled'}: {row.url}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    settings = load_settings()
    removed: bool = asyncio.run(_with_sessions(settings, lambda s: remove_source(s, args.url.strip(), utcnow())))
    if not removed:
        print(f"no enabled operator source {args.url}", file=sys.stderr)
        return 1
    print(f"removed: {args.url} (its articles are kept)")
    return 0


async def _check(settings: Settings, url: str) -> int:
    async with feed_runtime(settings, database=False) as runtime:
        result, feed, parse_error = await runtime.poller.fetch_and_parse(url)
    http = result.http_status if result.http_status is not None else "-"
    print(f"{url}\n  fetch: {result.status}, HTTP {http}, {result.nbytes} bytes in {result.duration:.2f}s")
    if result.final_url != url:
        print(f"  redirected to: {result.final_url}")
    if result.error_kind:
        print(f"  error: {result.error_kind}: {result.error}")
        return 1
    if parse_error is not None:
        print(f"  error: {parse_error.kind}: {parse_error}")
        return 1
    assert feed is not None
    print(f"  feed: {feed.title or '(untitled)'} [{feed.version or 'unknown format'}], language {feed.language or '?'}")
    if feed.bozo:
        print(f"  warning: not well-formed ({feed.bozo}); entries were still read")
    print(f"  entries: {len(feed.entries)}")
    for entry in feed.entries[:5]:
        when = entry.published_at.strftime("%Y-%m-%d") if entry.published_at else "undated"
        print(f"    - {when} [{entry.language or '?'}] {entry.title[:100]}")
    return 0


def _check_cmd(args: argparse.Namespace) -> int:
    try:
        url = validate_feed_url(args.url)
    except ValueError as exc:
        print(f"breachwatch sources check: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_check(load_settings(), url))


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser("sources", help="list, add, remove or check feed sources")
    sub = parser.add_subparsers(dest="sources_command", metavar="ACTION")
    sub.required = True
    p_list = sub.add_parser("list", help="every source with its state")
    p_list.add_argument("--all", action="store_true", help="include disabled and removed sources")
    p_list.add_argument("--json", action="store_true", help="one JSON object per source per line")
    p_list.set_defaults(func=_list)
    p_add = sub.add_parser("add", help="add an operator source (kept beside the sources file)")
    p_add.add_argument("url")
    p_add.add_argument("--name")
    p_add.add_argument("--language")
    p_add.set_defaults(func=_add)
    p_remove = sub.add_parser("remove", help="stop polling an operator source")
    p_remove.add_argument("url")
    p_remove.set_defaults(func=_remove)
    p_check = sub.add_parser("check", help="fetch and parse a feed once and report; stores nothing")
    p_check.add_argument("url")
    p_check.set_defaults(func=_check_cmd)
