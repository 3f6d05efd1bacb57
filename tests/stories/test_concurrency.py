"""Concurrent ingestion never makes two stories of one incident nor processes an article twice.

Runs on SQLite (writers serialise) and on PostgreSQL (row locks on the claim, advisory locks on index keys).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.process import process_article
from storage.models import Article, Story, StoryEvent
from tests.stories_helpers import INCIDENT, add_article, add_source, keyword_classify

REPO = Path(__file__).resolve().parents[2]
WEEK = timedelta(days=7)

MORE = [
    (
        "https://five.example/e",
        "Korvalis plate-scan bucket: what drivers should know",
        "Anyone who used the three toll roads may be among the 310,000 scans Korvalis exposed.",
        "en",
        "2025-03-04",
        "Five",
    ),
    (
        "https://six.example/f",
        "Korvalis : les péages américains exposés, 310 000 plaques en ligne",
        "Le fabricant Korvalis reconnaît que les images de plaques étaient accessibles.",
        "fr",
        "2025-03-04",
        "Six",
    ),
]


async def _counts(sessions: async_sessionmaker[AsyncSession]) -> tuple[int, int, int, int]:
    async with sessions() as session:
        stories = await session.scalar(select(func.count()).select_from(Story))
        created = await session.scalar(select(func.count()).where(StoryEvent.kind == "created"))
        processed = await session.scalar(select(func.count()).where(Article.processed_at.is_not(None)))
        assigned = await session.scalar(select(func.count(func.distinct(Article.story_id))))
        return int(stories or 0), int(created or 0), int(processed or 0), int(assigned or 0)


async def test_concurrent_tasks_make_one_story(sessions: async_sessionmaker[AsyncSession]) -> None:
    source = await add_source(sessions)
    ids = [await add_article(sessions, source, *row) for row in [*INCIDENT[:3], *MORE]]

    async def worker(article_id: int) -> str | None:
        async with sessions() as session, session.begin():
            result = await process_article(session, article_id, keyword_classify, WEEK)
            return result.kind if result else None

    kinds = await asyncio.gather(*(worker(a) for a in ids))
    assert kinds.count("created") == 1
    assert await _counts(sessions) == (1, 1, len(ids), 1)


async def test_one_article_claimed_by_many_workers_is_processed_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    source = await add_source(sessions)
    article_id = await add_article(sessions, source, *INCIDENT[0])

    async def worker() -> bool:
        async with sessions() as session, session.begin():
            return await process_article(session, article_id, keyword_classify, WEEK) is not None

    outcomes = await asyncio.gather(*(worker() for _ in range(6)))
    assert outcomes.count(True) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(StoryEvent)) == 1


WORKER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.process import process_pending
    from storage.engine import create_engine, session_factory
    from tests.stories_helpers import keyword_classify

    async def main(url):
        engine = create_engine(url)
        try:
            # Small batches so the processes interleave on the same incident.
            total = 0
            while True:
                done = await process_pending(session_factory(engine), keyword_classify, batch=1)
                total += done
                if not done:
                    break
            print(total)
        finally:
            await engine.dispose()

    asyncio.run(main(sys.argv[1]))
    """
)


@pytest.mark.faults
async def test_concurrent_processes_make_one_story(db_url: str, sessions: async_sessionmaker[AsyncSession]) -> None:
    source = await add_source(sessions)
    rows = [*INCIDENT[:3], *MORE]
    for row in rows:
        await add_article(sessions, source, *row)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            WORKER,
            db_url,
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = [await asyncio.wait_for(p.communicate(), timeout=90) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    assert sum(int(out.decode().strip() or 0) for out, _ in outputs) == len(rows)
    assert await _counts(sessions) == (1, 1, len(rows), 1)
