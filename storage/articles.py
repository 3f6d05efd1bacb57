"""Storing parsed feed entries: one article per canonical URL, one feed entry per (source, identity).

Inserts are INSERT ... ON CONFLICT, never check-then-insert, so concurrent pollers cannot duplicate rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import chunks, insert_for
from storage.models import Article, FeedEntry

BATCH = 400


class EntryLike(Protocol):
    @property
    def entry_id(self) -> str: ...
    @property
    def entry_key(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def content(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def analysis_language(self) -> str | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def content_hash(self) -> str: ...


@dataclass(frozen=True)
class StoreResult:
    seen: int
    new: int
    alertable: int
    edited: int


def article_key(source_id: int, entry: EntryLike) -> str:
    # An entry without a usable link still needs a unique article identity; it is private to its source.
    return entry.canonical_url or f"urn:breachwatch:{source_id}:{entry.entry_key}"


async def store_entries(
    session: AsyncSession,
    source_id: int,
    entries: Sequence[EntryLike],
    now: datetime,
    *,
    outlets: Mapping[str, str],
    alertable_keys: AbstractSet[str],
    edit_interval: timedelta,
) -> StoreResult:
    """Store one poll's entries for one source. A new article may alert when its entry's key is in
    `alertable_keys` (the feed service decides which: bot.feeds.alertable), and is named by `outlets[entry_key]`
    (bot.core.outlets)."""
    unique: dict[str, EntryLike] = {}
    for entry in entries:
        unique.setdefault(entry.entry_key, entry)
    known: dict[str, tuple[int, str]] = {}
    for batch in chunks(list(unique), BATCH):
        rows = await session.execute(
            select(FeedEntry.entry_key, FeedEntry.article_id, FeedEntry.content_hash).where(
                FeedEntry.source_id == source_id, FeedEntry.entry_key.in_(batch)
            )
        )
        known.update({key: (article_id, chash) for key, article_id, chash in rows})
    fresh = [e for key, e in unique.items() if key not in known]
    new, alertable = await _insert_new(session, source_id, fresh, now, outlets, alertable_keys)
    edited = await _apply_edits(session, source_id, unique, known, now, edit_interval)
    for batch in chunks([k for k in unique if k in known], BATCH):
        await session.execute(
            update(FeedEntry)
            .where(FeedEntry.source_id == source_id, FeedEntry.entry_key.in_(batch))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return StoreResult(seen=len(unique), new=new, alertable=alertable, edited=edited)


async def _insert_new(
    session: AsyncSession,
    source_id: int,
    fresh: list[EntryLike],
    now: datetime,
    outlets: Mapping[str, str],
    alertable_keys: AbstractSet[str],
) -> tuple[int, int]:
    if not fresh:
        return 0, 0
    by_url: dict[str, EntryLike] = {}
    for entry in fresh:
        by_url.setdefault(article_key(source_id, entry), entry)
    ids: dict[str, int] = {}
    inserted_alertable: set[str] = set()
    for batch in chunks(list(by_url.items()), BATCH):
        rows = [
            {
                "source_id": source_id,
                "canonical_url": url,
                "url": entry.url,
                "title": entry.title,
                "summary": entry.summary,
                "content": entry.content,
                "language": entry.language,
                "analysis_language": entry.analysis_language,
                "outlet": outlets.get(entry.entry_key) or None,
                "published_at": entry.published_at,
                "first_seen_at": now,
                "updated_at": now,
                "content_hash": entry.content_hash,
                "edit_count": 0,
                "alertable": entry.entry_key in alertable_keys,
            }
            for url, entry in batch
        ]
        # One cached statement run "executemany" style (SQLAlchemy batches it into multi-row INSERTs), on the
        # Core table: the ORM's bulk-insert layer added ~12% to the CPU time of storing a feed, for nothing here.
        table = Article.__table__
        stmt = insert_for(session, table).on_conflict_do_nothing(index_elements=["canonical_url"])
        stmt = stmt.returning(table.c.id, table.c.canonical_url, table.c.alertable)
        for article_id, url, flag in await session.execute(stmt, rows):
            ids[url] = article_id
            if flag:
                inserted_alertable.add(url)
        missing = [url for url, _ in batch if url not in ids]
        if missing:
            # Already stored from another source: this entry points at that article and alerts nothing new.
            found = await session.execute(
                select(Article.id, Article.canonical_url).where(Article.canonical_url.in_(missing))
            )
            ids.update({url: article_id for article_id, url in found})
    feed_rows = [
        {
            "source_id": source_id,
            "entry_key": entry.entry_key,
            "entry_id": entry.entry_id,
            "article_id": ids[article_key(source_id, entry)],
            "content_hash": entry.content_hash,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for entry in fresh
        if article_key(source_id, entry) in ids
    ]
    new_keys: set[str] = set()
    for batch in chunks(feed_rows, BATCH):
        entries = FeedEntry.__table__
        stmt = insert_for(session, entries).on_conflict_do_nothing(index_elements=["source_id", "entry_key"])
        new_keys.update(key for (key,) in await session.execute(stmt.returning(entries.c.entry_key), batch))
    alertable = sum(1 for e in fresh if e.entry_key in new_keys and article_key(source_id, e) in inserted_alertable)
    return len(new_keys), alertable


async def _apply_edits(
    session: AsyncSession,
    source_id: int,
    entries: dict[str, EntryLike],
    known: dict[str, tuple[int, str]],
    now: datetime,
    edit_interval: timedelta,
) -> int:
    """Changed entries update their article, at most once per `edit_interval` each, and never re-alert.

    Only the source that first brought an article edits it, so two feeds carrying different summaries of the
    same link cannot flip it back and forth.
    """
    changed = {key: known[key][0] for key, e in entries.items() if key in known and known[key][1] != e.content_hash}
    if not changed:
        return 0
    articles = {
        row.id: row
        for batch in chunks(list(set(changed.values())), BATCH)
        for row in (await session.scalars(select(Article).where(Article.id.in_(batch)))).all()
    }
    edited = 0
    for key, article_id in changed.items():
        entry, article = entries[key], articles.get(article_id)
        if article is None:
            continue
        if article.source_id == source_id:
            if now - article.updated_at < edit_interval:
                continue  # counted later, if the change is still there then
            article.title, article.summary, article.content = entry.title, entry.summary, entry.content
            article.language = entry.language or article.language
            article.analysis_language = entry.analysis_language or article.analysis_language
            article.content_hash = entry.content_hash
            article.edit_count += 1
            article.updated_at = now
            edited += 1
        await session.execute(
            update(FeedEntry)
            .where(FeedEntry.source_id == source_id, FeedEntry.entry_key == key)
            .values(content_hash=entry.content_hash)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return edited
