"""Rows for tests, written through the ORM the way ingestion would leave them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.models import Article, Source, Story


async def make_source(session: AsyncSession, url: str = "https://news.example.org/feed", **kw: Any) -> Source:
    source = Source(url=url, name=kw.pop("name", "Example News"), **kw)
    session.add(source)
    await session.flush()
    return source


async def make_story(
    session: AsyncSession,
    source: Source,
    title: str = "Licence-plate camera images stolen from border contractor",
    *,
    summary: str = "Hackers took scans of travellers' plates and faces from a vendor's servers.",
    url: str | None = None,
    outlet: str | None = None,
    match: bool = True,
    score: float = 0.9,
    categories: list[str] | None = None,
    language: str = "en",
    facts: dict[str, Any] | None = None,
    seen: datetime | None = None,
) -> Story:
    seen = seen or utcnow()
    story = Story(
        title=title,
        summary=summary,
        language=language,
        match=match,
        score=score,
        categories=categories if categories is not None else ["alpr"],
        facts=facts or {},
        evidence={"breach": ["stolen"], "alpr": ["licence plate"]},
        first_seen_at=seen,
        updated_at=seen,
    )
    session.add(story)
    await session.flush()
    link = url or f"https://news.example.org/{story.id}"
    article = Article(
        source_id=source.id,
        canonical_url=link,
        url=link,
        title=title,
        summary=summary,
        language=language,
        outlet=outlet,
        content_hash=hashlib.sha256(title.encode()).hexdigest(),
        story_id=story.id,
        first_seen_at=seen,
        published_at=seen,
    )
    session.add(article)
    await session.flush()
    story.lead_article_id = article.id
    return story


async def add_outlet(session: AsyncSession, story: Story, source: Source, outlet: str, url: str) -> Article:
    article = Article(
        source_id=source.id,
        canonical_url=url,
        url=url,
        title=story.title,
        summary="",
        language="fr",
        outlet=outlet,
        content_hash=hashlib.sha256(url.encode()).hexdigest(),
        story_id=story.id,
    )
    session.add(article)
    story.version += 1
    story.outlet_count += 1
    await session.flush()
    return article
