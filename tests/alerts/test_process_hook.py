"""The processing step feeds delivery: a new matching story is queued, a grown one edits, a bad article is set aside."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.queueing import after_assign
from bot.classify import classify
from bot.core.clock import utcnow
from bot.process import process_pending
from storage import subscriptions
from storage.models import Article, Delivery, Source
from storage.subscriptions import SubscriptionFilters

Sessions = async_sessionmaker[AsyncSession]


async def _article(sessions: Sessions, url: str, title: str, summary: str, outlet: str, lang: str = "en") -> None:
    async with sessions.begin() as s:
        source = (await s.execute(select(Source).where(Source.url == f"https://{outlet}/feed"))).scalar()
        if source is None:
            source = Source(url=f"https://{outlet}/feed", name=outlet)
            s.add(source)
            await s.flush()
        s.add(
            Article(
                source_id=source.id,
                canonical_url=url,
                url=url,
                title=title,
                summary=summary,
                language=lang,
                outlet=outlet,
                content_hash=hashlib.sha256(url.encode()).hexdigest(),
                published_at=utcnow(),
            )
        )


async def test_pipeline_queues_once_and_marks_growth(sessions: Sessions) -> None:
    async with sessions.begin() as s:
        await subscriptions.subscribe(s, 1, 10, SubscriptionFilters())
    await _article(
        sessions,
        "https://a.example/1",
        "Hackers steal 2 million licence plate scans from Vigilex parking cameras",
        "The intruders copied plate-reader images and locations of drivers from Vigilex servers in Ohio.",
        "a.example",
    )
    assert await process_pending(sessions, classify, after_assign=after_assign) == 1
    async with sessions() as s:
        rows = (await s.execute(select(Delivery))).scalars().all()
    assert len(rows) == 1 and rows[0].status == "pending"
    async with sessions.begin() as s:
        rows[0].status = "sent"
        await s.merge(rows[0])
    await _article(
        sessions,
        "https://b.example/2",
        "Vigilex parking camera breach: 2 million licence plate records stolen, company confirms",
        "Vigilex said attackers took licence plate images and driver locations from its Ohio servers.",
        "b.example",
    )
    assert await process_pending(sessions, classify, after_assign=after_assign) == 1
    async with sessions() as s:
        rows = (await s.execute(select(Delivery))).scalars().all()
    assert len(rows) == 1 and rows[0].edit_pending


async def test_bad_article_is_set_aside(sessions: Sessions) -> None:
    await _article(
        sessions, "https://c.example/3", "CCTV archive of a prison leaked online", "Footage exposed.", "c.example"
    )

    def broken(*_: object) -> object:
        raise RuntimeError("classifier exploded")

    failures: dict[int, int] = {}
    for _ in range(3):
        assert await process_pending(sessions, broken, failures=failures) == 0  # type: ignore[arg-type]
    async with sessions() as s:
        article = (await s.execute(select(Article))).scalar_one()
    assert article.processed_at is not None and article.story_id is None
    assert await process_pending(sessions, classify) == 0
