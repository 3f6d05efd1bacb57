"""Writing stories with their articles and sources the way ingestion does (ORM rows), for the search tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, Source, Story

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass
class Piece:
    outlet: str
    title: str
    summary: str = ""
    source_url: str = "https://news.example/feed"
    source_name: str = "Example News"
    language: str | None = None


@dataclass
class StorySpec:
    title: str
    summary: str
    language: str = "en"
    categories: list[str] = field(default_factory=list)
    first_seen: datetime = NOW
    articles: list[Piece] = field(default_factory=list)


async def source(session: AsyncSession, url: str, name: str, language: str | None = None) -> Source:
    found = await session.scalar(select(Source).where(Source.url == url, Source.guild_id == 0))
    if found is not None:
        return found
    src = Source(url=url, name=name, language=language)
    session.add(src)
    await session.flush()
    return src


async def add_article(session: AsyncSession, story: Story, piece: Piece) -> Article:
    src = await source(session, piece.source_url, piece.source_name)
    url = f"{piece.source_url}/{hashlib.sha1(piece.title.encode()).hexdigest()[:12]}"
    article = Article(
        source_id=src.id,
        canonical_url=url,
        url=url,
        title=piece.title,
        summary=piece.summary,
        language=piece.language or story.language,
        outlet=piece.outlet,
        content_hash=hashlib.sha256(piece.title.encode()).hexdigest(),
        story_id=story.id,
        first_seen_at=story.first_seen_at,
    )
    session.add(article)
    await session.flush()
    return article


async def add_story(session: AsyncSession, spec: StorySpec) -> Story:
    story = Story(
        title=spec.title,
        summary=spec.summary,
        language=spec.language,
        categories=spec.categories,
        first_seen_at=spec.first_seen,
        updated_at=spec.first_seen,
        match=True,
        outlet_count=max(1, len({p.outlet for p in spec.articles})),
        article_count=max(1, len(spec.articles)),
    )
    session.add(story)
    await session.flush()
    for piece in spec.articles:
        await add_article(session, story, piece)
    return story
