"""`breachwatch stories [--limit N] [--json] [--set-aside]` and `breachwatch story ID`: stored stories, articles and
facts; with --set-aside, the articles whose own processing failed (`breachwatch reprocess` takes them back)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.settings import load_settings
from storage import stories as repo
from storage.engine import create_engine, session_factory
from storage.models import Article, Story


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url or article.canonical_url,
        "outlet": article.outlet,
        "language": article.language,
        "published": article.published_at.isoformat() if article.published_at else None,
        "match": article.match,
        "score": article.score,
    }


def _story_json(story: Story, articles: list[Article], events: list[Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": story.id,
        "title": story.title,
        "summary": story.summary,
        "language": story.language,
        "event_date": story.event_date.date().isoformat() if story.event_date else None,
        "match": story.match,
        "score": story.score,
        "categories": story.categories,
        "alertable": story.alertable,
        "version": story.version,
        "article_count": story.article_count,
        "outlet_count": story.outlet_count,
        "facts": story.facts,
        "articles": [_article_json(a) for a in articles],
    }
    if events is not None:
        data["events"] = [
            {"kind": e.kind, "version": e.version, "at": e.created_at.isoformat(), "details": e.details} for e in events
        ]
    return data


async def _load(limit: int | None, story_id: int | None) -> list[dict[str, Any]]:
    engine = create_engine(load_settings().database_url)
    try:
        async with session_factory(engine)() as session:
            if story_id is not None:
                # A story merged into another one is shown as that one, as `/story` shows it.
                story_id = (await repo.merged_into(session, [story_id])).get(story_id, story_id)
                story = await repo.get_story(session, story_id)
                if story is None:
                    return []
                events = await repo.story_events(session, story.id)
                return [_story_json(story, await repo.story_articles(session, story.id), events)]
            out = []
            for story in await repo.list_stories(session, limit or 20):
                out.append(_story_json(story, await repo.story_articles(session, story.id)))
            return out
    finally:
        await engine.dispose()


def _print_text(story: dict[str, Any]) -> None:
    facts = story["facts"] or {}
    flag = "MATCH" if story["match"] else "-"
    print(f"#{story['id']} [{flag} {story['score']:.2f}] {story['title']}")
    when, lang = story["event_date"] or "?", story["language"] or "?"
    print(f"  {when} · {lang} · {story['outlet_count']} outlet(s) · v{story['version']}")
    if story["summary"]:
        print(f"  {story['summary']}")
    shown = {k: v for k, v in facts.items() if v}
    if shown:
        print(f"  facts: {json.dumps(shown, ensure_ascii=False)}")
    for article in story["articles"]:
        print(f"  - {article['outlet'] or ''} {article['url']}")
    for event in story.get("events", []):
        print(f"  event v{event['version']} {event['kind']} {event['at']}")


def _set_aside_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url or article.canonical_url,
        "outlet": article.outlet,
        "set_aside_at": article.set_aside_at.isoformat() if article.set_aside_at else None,
        "reason": article.set_aside_reason,
    }


async def _load_set_aside(limit: int) -> list[dict[str, Any]]:
    engine = create_engine(load_settings().database_url)
    try:
        async with session_factory(engine)() as session:
            return [_set_aside_json(a) for a in await repo.set_aside_articles(session, limit)]
    finally:
        await engine.dispose()


def _print_set_aside(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("no article is set aside")
        return
    for row in rows:
        print(f"article {row['id']} set aside {row['set_aside_at']}: {row['title']}")
        print(f"  {row['outlet'] or ''} {row['url']}")
        print(f"  reason: {row['reason']}")
    print("`breachwatch reprocess ID ...` (or --all) puts them back in the queue")


def _stories(args: argparse.Namespace) -> int:
    if args.set_aside:
        aside = asyncio.run(_load_set_aside(args.limit))
        if args.json:
            print(json.dumps(aside, ensure_ascii=False, indent=2))
        else:
            _print_set_aside(aside)
        return 0
    rows = asyncio.run(_load(args.limit, None))
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            _print_text(row)
        if not rows:
            print("no stories yet")
    return 0


def _story(args: argparse.Namespace) -> int:
    rows = asyncio.run(_load(None, args.id))
    if not rows:
        print(f"no story {args.id}")
        return 1
    if args.json:
        print(json.dumps(rows[0], ensure_ascii=False, indent=2))
    else:
        _print_text(rows[0])
    return 0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    many = subparsers.add_parser("stories", help="list stored stories with their articles, summary and facts")
    many.add_argument("--limit", type=int, default=20, help="how many, newest first (default 20)")
    many.add_argument("--json", action="store_true", help="print JSON")
    many.add_argument(
        "--set-aside",
        action="store_true",
        help="list the articles set aside because their own processing failed (no story), newest first",
    )
    many.set_defaults(func=_stories)
    one = subparsers.add_parser("story", help="show one story with its articles, facts and events")
    one.add_argument("id", type=int)
    one.add_argument("--json", action="store_true", help="print JSON")
    one.set_defaults(func=_story)
