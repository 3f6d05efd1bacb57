"""Stories in SQL: pending articles, candidate look-ups through the band index, story rows, bands and events.

Everything here runs inside the caller's transaction and never commits. On PostgreSQL, writers that could
touch the same incident serialise on transaction-scoped advisory locks over their index keys, so two
concurrent articles of one incident cannot each create a story; SQLite serialises writers by itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, Story, StoryBand, StoryEvent
from storage.search_schema import PG_TABLE, SQLITE_TABLE

CANDIDATE_LIMIT = 50
# The band every story with an article that carries a sentence embedding is indexed under: the stories that a search
# by meaning compares (`meaning_in_window`). Never a key of `candidate_stories`, where it would match them all.
MEANING_BAND = "m:"


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def pending_article_ids(session: AsyncSession, limit: int) -> list[int]:
    """Articles not yet processed, oldest first."""
    rows = await session.execute(
        select(Article.id)
        .where(Article.processed_at.is_(None))
        .order_by(Article.first_seen_at, Article.id)
        .limit(limit)
    )
    return [int(r) for r in rows.scalars()]


async def claim_article(session: AsyncSession, article_id: int, now: datetime) -> Article | None:
    """Mark the article processed and return it, or None if another worker already did.

    The UPDATE comes first so that SQLite takes its write lock at once and PostgreSQL locks the row: a second
    worker waits, then finds processed_at set and gets nothing.
    """
    result = await session.execute(
        update(Article)
        .where(Article.id == article_id, Article.processed_at.is_(None))
        .values(processed_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return await session.get(Article, article_id, populate_existing=True)


async def set_aside_article(session: AsyncSession, article_id: int, now: datetime, reason: str) -> bool:
    """Mark an article whose own processing kept failing as processed with no story, and say why; False if another
    worker processed it meanwhile."""
    result = await session.execute(
        update(Article)
        .where(Article.id == article_id, Article.processed_at.is_(None))
        .values(processed_at=now, set_aside_at=now, set_aside_reason=reason[:500])
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


async def set_aside_articles(session: AsyncSession, limit: int) -> list[Article]:
    """The articles set aside, most recent first."""
    rows = await session.scalars(
        select(Article)
        .where(Article.set_aside_at.is_not(None))
        .order_by(Article.set_aside_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def count_set_aside(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(Article.set_aside_at.is_not(None))) or 0)


async def reprocess_articles(session: AsyncSession, ids: Sequence[int] | None) -> list[int]:
    """Put set-aside articles (these ids, or all when None) back in the processing queue; returns the ids taken
    back. Articles that were processed normally are left alone: reprocessing one would store it twice."""
    stmt = (
        update(Article)
        .where(Article.set_aside_at.is_not(None))
        .values(processed_at=None, set_aside_at=None, set_aside_reason=None)
        .returning(Article.id)
        .execution_options(synchronize_session=False)
    )
    if ids is not None:
        stmt = stmt.where(Article.id.in_(list(ids)))
    return sorted(int(i) for i in (await session.scalars(stmt)).all())


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


async def lock_keys(session: AsyncSession, keys: Iterable[str]) -> None:
    """Hold transaction-scoped advisory locks on the keys (PostgreSQL), taken in one global order."""
    if _dialect(session) != "postgresql":
        return
    ids = sorted({_lock_id(k) for k in keys})
    if not ids:
        return
    stmt = text(
        "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(CAST(:ids AS bigint[])) AS k ORDER BY 1) AS s"
    ).bindparams(bindparam("ids", type_=postgresql.ARRAY(postgresql.BIGINT)))
    await session.execute(stmt, {"ids": ids})


def _candidate_select(keys: Sequence[str], since: datetime, until: datetime, limit: int) -> Select[Any]:
    hits = func.count().label("hits")  # count(*): the look-up index alone answers it
    ranked = (
        select(StoryBand.story_id, hits)
        .where(StoryBand.band.in_(list(keys)), StoryBand.seen_at >= since, StoryBand.seen_at <= until)
        .group_by(StoryBand.story_id)
        .order_by(hits.desc(), StoryBand.story_id)
        .limit(limit)
        .subquery()
    )
    return select(Story.id, Story.signature).join(ranked, ranked.c.story_id == Story.id).order_by(Story.id)


async def candidate_stories(
    session: AsyncSession, keys: Sequence[str], since: datetime, until: datetime, limit: int = CANDIDATE_LIMIT
) -> list[tuple[int, dict[str, Any]]]:
    """Stories sharing at least one index key seen within [since, until], most shared keys first."""
    if not keys:
        return []
    rows = await session.execute(_candidate_select(keys, since, until, limit))
    return [(int(sid), dict(sig or {})) for sid, sig in rows.all()]


async def explain_candidate_lookup(
    session: AsyncSession, keys: Sequence[str], since: datetime, until: datetime, analyze: bool = False
) -> list[str]:
    """The database's plan for exactly the statement `candidate_stories` runs (for benchmarks and notes)."""
    bind = session.get_bind()
    compiled = _candidate_select(keys, since, until, CANDIDATE_LIMIT).compile(
        dialect=bind.dialect, compile_kwargs={"render_postcompile": True}
    )
    if bind.dialect.name == "postgresql":
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        params: Any = tuple(compiled.params[name] for name in compiled.positiontup or [])
    else:
        prefix = "EXPLAIN QUERY PLAN "
        params = tuple(compiled.params[name] for name in compiled.positiontup or [])
    conn = await session.connection()
    result = await conn.exec_driver_sql(prefix + compiled.string, params)
    return [" | ".join(str(c) for c in row) for row in result.all()]


async def add_bands(session: AsyncSession, story_id: int, keys: Iterable[str], seen_at: datetime) -> None:
    """Index the story under the keys; a key it already has keeps its row (and the later of the two times)."""
    rows = [{"band": k[:40], "story_id": story_id, "seen_at": seen_at} for k in sorted(set(keys))]
    if not rows:
        return
    if _dialect(session) == "postgresql":
        pg = postgresql.insert(StoryBand)
        stmt = pg.on_conflict_do_update(
            index_elements=["band", "story_id"], set_={"seen_at": func.greatest(StoryBand.seen_at, pg.excluded.seen_at)}
        )
        await session.execute(stmt, rows)
    else:
        lite = sqlite.insert(StoryBand)
        stmt2 = lite.on_conflict_do_update(
            index_elements=["band", "story_id"], set_={"seen_at": func.max(StoryBand.seen_at, lite.excluded.seen_at)}
        )
        await session.execute(stmt2, rows)


async def absorb_story(session: AsyncSession, story_id: int, into_id: int) -> None:
    """Move a story's articles and index keys into another story and mark it merged into that one. The row stays,
    so its id still leads somewhere (`/story`, the alerts posted for it); without index keys it is never a
    candidate again. Stories merged into it earlier now point to `into_id` too."""
    await session.execute(
        update(Article)
        .where(Article.story_id == story_id)
        .values(story_id=into_id)
        .execution_options(synchronize_session=False)
    )
    bands = await session.execute(select(StoryBand.band, StoryBand.seen_at).where(StoryBand.story_id == story_id))
    for band, seen_at in bands.all():
        await add_bands(session, into_id, [band], seen_at)
    await session.execute(delete(StoryBand).where(StoryBand.story_id == story_id))
    # Moving the articles re-indexed the story for search with its own headline alone; the survivor holds its
    # reports now, so the search index forgets it (only an edit of its headline or summary, which nothing makes,
    # or `breachwatch reindex` would index it again).
    if _dialect(session) == "postgresql":
        await session.execute(text(f"DELETE FROM {PG_TABLE} WHERE story_id = :id"), {"id": story_id})
    else:
        await session.execute(text(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = :id"), {"id": story_id})
    await session.execute(
        update(Story)
        .where(or_(Story.id == story_id, Story.merged_into == story_id))
        .values(merged_into=into_id)
        .execution_options(synchronize_session=False)
    )


async def merged_into(session: AsyncSession, story_ids: Collection[int]) -> dict[int, int]:
    """For those of `story_ids` merged into another story, the story they live on in."""
    if not story_ids:
        return {}
    rows = await session.execute(
        select(Story.id, Story.merged_into).where(Story.id.in_(list(story_ids)), Story.merged_into.is_not(None))
    )
    return {int(sid): int(into) for sid, into in rows.all() if into is not None}


async def create_story(session: AsyncSession, **values: Any) -> Story:
    story = Story(**values)
    session.add(story)
    await session.flush()
    return story


async def story_for_update(session: AsyncSession, story_id: int) -> Story | None:
    """The story row, locked against concurrent growth until the transaction ends (PostgreSQL)."""
    stmt = select(Story).where(Story.id == story_id).execution_options(populate_existing=True)
    if _dialect(session) == "postgresql":
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def story_articles(session: AsyncSession, story_id: int, limit: int = 50) -> list[Article]:
    rows = await session.execute(
        select(Article).where(Article.story_id == story_id).order_by(Article.published_at, Article.id).limit(limit)
    )
    return list(rows.scalars())


async def add_event(
    session: AsyncSession, story_id: int, kind: str, article_id: int | None, version: int, details: dict[str, Any]
) -> None:
    session.add(StoryEvent(story_id=story_id, kind=kind, article_id=article_id, version=version, details=details))
    await session.flush()


async def story_events(session: AsyncSession, story_id: int) -> list[StoryEvent]:
    rows = await session.execute(
        select(StoryEvent).where(StoryEvent.story_id == story_id).order_by(StoryEvent.created_at, StoryEvent.id)
    )
    return list(rows.scalars())


async def list_stories(session: AsyncSession, limit: int) -> list[Story]:
    rows = await session.execute(
        select(Story)
        .where(Story.merged_into.is_(None))
        .order_by(Story.first_seen_at.desc(), Story.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def get_story(session: AsyncSession, story_id: int) -> Story | None:
    return await session.get(Story, story_id)


async def meaning_in_window(
    session: AsyncSession, since: datetime, until: datetime, exclude: Collection[int] = ()
) -> list[tuple[int, str | None, bytes]]:
    """(story id, language, embedding) of every article carrying a sentence embedding in the stories seen in the
    meaning band within [since, until], but those excluded: the look-up index finds the stories, ix_articles_story
    their articles, so the cost follows the window's embedded stories, not the table."""
    stories = select(StoryBand.story_id).where(
        StoryBand.band == MEANING_BAND, StoryBand.seen_at >= since, StoryBand.seen_at <= until
    )
    rows = await session.execute(
        select(Article.story_id, Article.language, Article.embedding).where(
            Article.story_id.in_(stories), Article.embedding.is_not(None)
        )
    )
    skip = set(exclude)
    return [
        (int(sid), lang, bytes(blob)) for sid, lang, blob in rows.all() if sid is not None and blob and sid not in skip
    ]


async def story_signatures(session: AsyncSession, story_ids: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
    if not story_ids:
        return []
    rows = await session.execute(select(Story.id, Story.signature).where(Story.id.in_(list(story_ids))))
    return [(int(sid), dict(sig or {})) for sid, sig in rows.all()]


async def story_embeddings(session: AsyncSession, story_ids: Sequence[int]) -> list[tuple[int, str | None, bytes]]:
    """(story id, language, embedding) of the candidate stories' articles that carry a sentence embedding; through
    ix_articles_story, so the cost follows the few candidates, not the table."""
    if not story_ids:
        return []
    rows = await session.execute(
        select(Article.story_id, Article.language, Article.embedding).where(
            Article.story_id.in_(list(story_ids)), Article.embedding.is_not(None)
        )
    )
    return [(int(sid), lang, bytes(blob)) for sid, lang, blob in rows.all() if sid is not None and blob]
