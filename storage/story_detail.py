"""`/story id`: one story with everything a reader may want to check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.outlets import outlet_name
from storage.models import Article, Feedback, Source, Story
from storage.scope import article_in_scope


@dataclass(frozen=True)
class StoryArticle:
    article_id: int
    title: str
    outlet: str  # the outlet name stored on the article, else its site (bot.core.outlets)
    url: str
    language: str | None
    published_at: datetime | None
    first_seen: datetime


@dataclass(frozen=True)
class StoryDetail:
    story_id: int
    title: str
    summary: str
    facts: dict[str, Any]
    language: str | None
    categories: tuple[str, ...]
    first_seen: datetime
    updated_at: datetime
    event_date: datetime | None
    outlet_count: int
    articles: tuple[StoryArticle, ...]
    relevant_votes: int
    not_relevant_votes: int


async def get_story_detail(session: AsyncSession, story_id: int, *, guild_id: int | None = None) -> StoryDetail | None:
    """The story and all its articles (oldest first), or None when there is no such story. With `guild_id`, only the
    articles that guild may see (storage.scope), and None when it may see none: the story is not its to show. The
    story's own title, summary and facts are returned as stored; bot.alerts.read_model.story_detail scopes them."""
    story = await session.get(Story, story_id)
    if story is None:
        return None
    query = (
        select(Article, Source.name)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id == story_id)
        .order_by(Article.first_seen_at, Article.id)
    )
    if guild_id is not None:
        query = query.where(article_in_scope(guild_id))
    rows = (await session.execute(query)).all()
    if guild_id is not None and not rows:
        return None
    articles = tuple(
        StoryArticle(
            article_id=a.id,
            title=a.title,
            outlet=a.outlet or outlet_name(a.canonical_url),
            url=a.url or a.canonical_url,
            language=a.language,
            published_at=a.published_at,
            first_seen=a.first_seen_at,
        )
        for a, _source_name in rows
    )
    votes = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((Feedback.relevant.is_(True), 1), else_=0)), 0),
                func.coalesce(func.sum(case((Feedback.relevant.is_(False), 1), else_=0)), 0),
            ).where(Feedback.story_id == story_id)
        )
    ).one()
    return StoryDetail(
        story_id=story.id,
        title=story.title,
        summary=story.summary,
        facts=dict(story.facts or {}),
        language=story.language,
        categories=tuple(story.categories or ()),
        first_seen=story.first_seen_at,
        updated_at=story.updated_at,
        event_date=story.event_date,
        outlet_count=story.outlet_count,
        articles=articles,
        relevant_votes=int(votes[0]),
        not_relevant_votes=int(votes[1]),
    )
