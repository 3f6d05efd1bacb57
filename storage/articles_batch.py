"""Bulk insertion of ad-hoc items as articles, for `breachwatch dedupe` and the benchmarks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.models import Article, Source


async def insert_items(
    session: AsyncSession,
    items: Sequence[dict[str, Any]],
    parse_date: Callable[[Any], datetime | None],
) -> list[int]:
    """Store each item as an unprocessed article of one throw-away source; the same URL is one article.

    Items come as the caller read them: clean `title` and `summary`, `lang` and `analysis_language` decided."""
    source = Source(url="batch:dedupe", name="dedupe input", origin="operator")
    session.add(source)
    await session.flush()
    now = utcnow()
    by_url: dict[str, Article] = {}
    ids: list[int] = []
    for number, item in enumerate(items):
        url = str(item.get("url") or f"urn:breachwatch:item:{number}")
        article = by_url.get(url)
        if article is None:
            published = parse_date(item.get("published") or item.get("date"))
            title, summary = str(item.get("title") or ""), str(item.get("summary") or "")
            article = Article(
                source_id=source.id,
                canonical_url=url,
                url=item.get("url"),
                title=title,
                summary=summary,
                language=item.get("lang"),
                analysis_language=item.get("analysis_language"),
                outlet=item.get("outlet"),
                published_at=published,
                first_seen_at=published or now,
                updated_at=now,
                content_hash=hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest(),
            )
            session.add(article)
            await session.flush()
            by_url[url] = article
        ids.append(article.id)
    return ids


async def story_ids(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, int]:
    rows = await session.execute(select(Article.id, Article.story_id).where(Article.id.in_(list(set(article_ids)))))
    return {int(a): int(s) for a, s in rows.all() if s is not None}
