"""Load what the alert renderers need for a set of stories, in two queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.view import AlertView, Outlet
from storage.models import Article, Source, Story


def _outlet_name(article: Article, source_name: str | None) -> str:
    return article.outlet or source_name or urlsplit(article.canonical_url).hostname or "unknown"


async def load(session: AsyncSession, story_ids: Iterable[int]) -> dict[int, AlertView]:
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    stories = {s.id: s for s in (await session.execute(select(Story).where(Story.id.in_(ids)))).scalars()}
    rows = await session.execute(
        select(Article, Source.name)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.in_(ids))
        .order_by(Article.first_seen_at, Article.id)
    )
    by_story: dict[int, list[tuple[Article, str | None]]] = defaultdict(list)
    for article, source_name in rows.all():
        if article.story_id is not None:
            by_story[article.story_id].append((article, source_name))
    views = {}
    for sid, story in stories.items():
        articles = by_story.get(sid, [])
        lead = next((a for a in articles if a[0].id == story.lead_article_id), articles[0] if articles else None)
        others = tuple(
            Outlet(_outlet_name(a, n), a.url or a.canonical_url, a.language)
            for a, n in articles
            if lead is None or a.id != lead[0].id
        )
        views[sid] = AlertView(
            story_id=sid,
            title=story.title or (lead[0].title if lead else ""),
            url=(lead[0].url or lead[0].canonical_url) if lead else "",
            outlet=_outlet_name(*lead) if lead else "unknown",
            summary=story.summary or (lead[0].summary if lead else ""),
            published_at=(lead[0].published_at or lead[0].first_seen_at) if lead else story.first_seen_at,
            language=story.language,
            categories=tuple(story.categories or ()),
            facts=dict(story.facts or {}),
            evidence={k: list(v) for k, v in (story.evidence or {}).items() if isinstance(v, list)},
            score=story.score,
            others=others,
            version=story.version,
        )
    return views


async def latest_match(session: AsyncSession) -> int | None:
    """The most recent story that alerts, for `/alerts test`."""
    query = select(Story.id).where(Story.match.is_(True)).order_by(Story.first_seen_at.desc(), Story.id.desc())
    return (await session.execute(query.limit(1))).scalar_one_or_none()
