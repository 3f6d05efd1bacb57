"""The rows an alert is rendered from, for a set of stories, in two queries (bot.alerts.read_model shapes them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, Source, Story

StoryRows = tuple[Story, list[tuple[Article, str | None]]]  # a story, and its articles (oldest first) with source names


async def story_rows(session: AsyncSession, story_ids: Iterable[int]) -> dict[int, StoryRows]:
    """Each stored story of `story_ids` with its articles, oldest first, each with its source's name."""
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
    return {sid: (story, by_story.get(sid, [])) for sid, story in stories.items()}


async def latest_match(session: AsyncSession) -> int | None:
    """The most recent story that alerts, for `/alerts test`."""
    query = select(Story.id).where(Story.match.is_(True)).order_by(Story.first_seen_at.desc(), Story.id.desc())
    return (await session.execute(query.limit(1))).scalar_one_or_none()
