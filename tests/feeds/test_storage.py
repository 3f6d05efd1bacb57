"""Sources and articles in real SQLite and PostgreSQL: sync, leases, fetch records, no flood, edits, races."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.feeds.alertable import alertable_keys
from bot.feeds.parse import ParsedEntry as Entry
from storage.articles import store_entries
from storage.models import GLOBAL_SCOPE, Article, FeedEntry, FetchLog, Notice, Source
from storage.sources import (
    RETIRED,
    FetchRecord,
    SourceSpec,
    add_source,
    claim_sources,
    list_sources,
    record_fetch,
    record_fetches,
    remove_source,
    sync_config_sources,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(hours=48)
EDIT = timedelta(hours=1)


def entry(n: int, *, published: datetime | None = NOW, title: str | None = None, chash: str | None = None) -> Entry:
    return Entry(
        entry_id=f"guid-{n}",
        entry_key=f"{n:064d}",
        url=f"https://news.example/{n}?utm_source=x",
        canonical_url=f"https://news.example/{n}",
        title=title or f"Story {n}",
        summary=f"Summary {n}",
        content=None,
        language="en",
        published_at=published,
        content_hash=chash or f"{n:064x}",
    )


async def _source(
    sessions: async_sessionmaker[AsyncSession], url: str = "https://feeds.example/a", **kw: object
) -> int:
    async with sessions.begin() as session:
        row, _ = await add_source(session, url, NOW, **kw)  # type: ignore[arg-type]
        return row.id


async def _store(
    sessions: async_sessionmaker[AsyncSession], source_id: int, entries: list[Entry], now: datetime, baseline: bool
) -> tuple[int, int, int]:
    async with sessions.begin() as session:
        keys = alertable_keys(entries, now, baseline=baseline, max_age=MAX_AGE)
        r = await store_entries(
            session,
            source_id,
            entries,
            now,
            outlets={e.entry_key: "Example" for e in entries},
            alertable_keys=keys,
            edit_interval=EDIT,
        )
        return r.new, r.alertable, r.edited


async def test_sync_keeps_guild_sources_and_retires_dropped(sessions: async_sessionmaker[AsyncSession]) -> None:
    specs = [SourceSpec("https://feeds.example/a", "A", "en"), SourceSpec("https://feeds.example/b", "B", "fr")]
    async with sessions.begin() as session:
        assert (await sync_config_sources(session, specs, NOW)).added == 2
        await add_source(session, "https://feeds.example/a", NOW, guild_id=42, origin="guild", added_by=7)
        await add_source(session, "https://feeds.example/cli", NOW)
    async with sessions.begin() as session:
        result = await sync_config_sources(session, [replace(specs[0], name="A2")], NOW)
        assert (result.added, result.updated, result.retired) == (0, 1, 1)
    async with sessions() as session:
        rows = {(r.url, r.guild_id): r for r in await list_sources(session)}
    assert rows[("https://feeds.example/a", GLOBAL_SCOPE)].name == "A2"
    assert rows[("https://feeds.example/a", 42)].enabled  # guild source untouched
    assert rows[("https://feeds.example/cli", GLOBAL_SCOPE)].enabled  # operator addition kept
    retired = rows[("https://feeds.example/b", GLOBAL_SCOPE)]
    assert not retired.enabled and retired.disabled_reason == RETIRED
    async with sessions.begin() as session:  # back in the file: enabled again
        assert (await sync_config_sources(session, specs, NOW)).updated >= 1
    async with sessions() as session:
        assert all(r.enabled for r in await list_sources(session))


async def test_add_remove_readd(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        _, created = await add_source(session, "https://feeds.example/x", NOW)
        _, again = await add_source(session, "https://feeds.example/x", NOW)
    assert created and not again
    async with sessions.begin() as session:
        assert await remove_source(session, "https://feeds.example/x", NOW)
        assert not await remove_source(session, "https://feeds.example/x", NOW)
    async with sessions.begin() as session:
        row, created = await add_source(session, "https://feeds.example/x", NOW)
        assert not created and row.enabled and row.disabled_reason is None


async def test_claim_due_with_leases(sessions: async_sessionmaker[AsyncSession]) -> None:
    due = await _source(sessions, "https://feeds.example/due")
    later = await _source(sessions, "https://feeds.example/later")
    async with sessions.begin() as session:
        row = await session.get(Source, later)
        assert row is not None
        row.next_fetch_at = NOW + timedelta(hours=1)
    async with sessions.begin() as session:
        claimed = await claim_sources(session, NOW, "one", lease=timedelta(minutes=5))
    assert [s.id for s in claimed] == [due]
    async with sessions.begin() as session:  # forcing takes what is not leased, due or not
        forced = await claim_sources(session, NOW, "two", lease=timedelta(minutes=5), force=True)
    assert [s.id for s in forced] == [later]
    async with sessions.begin() as session:  # everything is leased now
        assert await claim_sources(session, NOW, "three", lease=timedelta(minutes=5), force=True) == []
    async with sessions.begin() as session:  # an expired lease is free again
        stale = await claim_sources(session, NOW + timedelta(minutes=6), "four", lease=timedelta(minutes=5))
    assert [s.id for s in stale] == [due]


async def test_concurrent_claims_never_overlap(sessions: async_sessionmaker[AsyncSession]) -> None:
    for n in range(30):
        await _source(sessions, f"https://feeds.example/{n}")

    async def claim(owner: str) -> list[int]:
        async with sessions.begin() as session:
            return [s.id for s in await claim_sources(session, NOW, owner, lease=timedelta(minutes=5), limit=20)]

    first, second = await asyncio.gather(claim("p1"), claim("p2"))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 30


def _record(status: str, *, failures: int = 0, disable: bool = False, error: str | None = None) -> FetchRecord:
    return FetchRecord(
        started_at=NOW,
        duration_ms=120,
        status=status,
        http_status=200 if status == "ok" else 500,
        nbytes=1000,
        entries=3,
        new_entries=3,
        error_kind="http_5xx" if error else None,
        error=error,
        etag='"v1"',
        last_modified=None,
        next_fetch_at=NOW + timedelta(minutes=10),
        consecutive_failures=failures,
        first_failure_at=NOW - timedelta(days=4) if failures else None,
        disable=disable,
    )


async def test_record_fetch_and_disable_with_one_notice(sessions: async_sessionmaker[AsyncSession]) -> None:
    sid = await _source(sessions, guild_id=99, origin="guild", added_by=5)
    async with sessions.begin() as session:
        await record_fetch(session, sid, _record("ok"), baseline=True)
    async with sessions() as session:
        row = await session.get(Source, sid)
        assert row is not None and row.baseline_at == NOW and row.etag == '"v1"' and row.last_error is None
    for _ in range(2):  # disabling twice in the same failure episode notifies once
        async with sessions.begin() as session:
            await record_fetch(session, sid, _record("error", failures=6, disable=True, error="HTTP 500"))
    async with sessions() as session:
        row = await session.get(Source, sid)
        assert row is not None and not row.enabled and "HTTP 500" in (row.disabled_reason or "")
        assert row.etag == '"v1"'  # an error keeps the last good validators
        notices = (await session.scalars(select(Notice))).all()
        assert [(n.guild_id, n.kind) for n in notices] == [(99, "source_disabled")]
        assert await session.scalar(select(func.count()).select_from(FetchLog)) == 3


async def test_record_fetches_stores_each_source_its_own_outcome(sessions: async_sessionmaker[AsyncSession]) -> None:
    # One batch mixing the three shapes of update (a success on a first poll, a plain success, a disabling failure):
    # each source must get its own values, not another's or the first shape's.
    ids = [await _source(sessions, f"https://feeds.example/{n}", guild_id=99, origin="guild") for n in range(4)]
    failing = replace(_record("error", failures=6, disable=True, error="HTTP 500"), etag=None)
    later = replace(_record("not_modified"), etag='"v2"', next_fetch_at=NOW + timedelta(hours=1))
    async with sessions.begin() as session:
        await record_fetches(session, [(ids[0], _record("ok"), True), (ids[1], failing, False), (ids[2], later, False)])
    async with sessions() as session:
        rows = {sid: await session.get(Source, sid) for sid in ids}
        first, failed, unchanged, untouched = (rows[sid] for sid in ids)
        assert first is not None and first.baseline_at == NOW and first.etag == '"v1"' and first.enabled
        assert failed is not None and not failed.enabled and failed.baseline_at is None and failed.etag is None
        assert failed.last_error == "http_5xx: HTTP 500" and failed.consecutive_failures == 6
        assert unchanged is not None and unchanged.etag == '"v2"' and unchanged.baseline_at is None
        assert unchanged.next_fetch_at == NOW + timedelta(hours=1) and unchanged.last_error is None
        assert untouched is not None and untouched.last_fetch_at is None and untouched.etag is None
        logged = (await session.execute(select(FetchLog.source_id, FetchLog.status).order_by(FetchLog.id))).all()
        assert [tuple(r) for r in logged] == [(ids[0], "ok"), (ids[1], "error"), (ids[2], "not_modified")]
        notices = (await session.scalars(select(Notice))).all()
        assert [(n.guild_id, n.kind) for n in notices] == [(99, "source_disabled")]


async def test_record_fetches_costs_two_statements_whatever_the_batch(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # A cycle of 304s is mostly this bookkeeping: it was two statements per feed, and must stay two per batch.
    ids = [await _source(sessions, f"https://feeds.example/{n}") for n in range(12)]
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        statements.append(statement.split()[0].upper())

    engine = sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        async with sessions.begin() as session:
            await record_fetches(session, [(sid, _record("not_modified"), False) for sid in ids])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [s for s in statements if s in ("INSERT", "UPDATE")] == ["INSERT", "UPDATE"]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(FetchLog)) == 12
        updated = (await session.scalars(select(Source.etag).where(Source.id.in_(ids)))).all()
        assert updated == ['"v1"'] * 12


async def test_no_flood_on_first_poll(sessions: async_sessionmaker[AsyncSession]) -> None:
    sid = await _source(sessions)
    assert await _store(sessions, sid, [entry(n) for n in range(5)], NOW, baseline=True) == (5, 0, 0)
    later = NOW + timedelta(minutes=10)
    fresh, old, undated = (
        entry(10, published=later),
        entry(11, published=later - timedelta(days=5)),
        entry(12, published=None),
    )
    new, alertable, _ = await _store(sessions, sid, [entry(n) for n in range(5)] + [fresh, old, undated], later, False)
    assert (new, alertable) == (3, 2)
    async with sessions() as session:
        flags = dict((await session.execute(select(Article.canonical_url, Article.alertable))).all())
        assert not any(flags[f"https://news.example/{n}"] for n in range(5))
        assert flags["https://news.example/10"] and flags["https://news.example/12"]
        assert not flags["https://news.example/11"]  # older than the alert window when first seen
        assert await session.scalar(select(func.count()).where(Article.processed_at.is_(None))) == 8


async def test_same_article_from_two_sources_stored_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    a = await _source(sessions, "https://feeds.example/a")
    b = await _source(sessions, "https://feeds.example/b")
    await _store(sessions, a, [entry(1)], NOW, baseline=False)
    new, alertable, _ = await _store(sessions, b, [entry(1)], NOW, baseline=False)
    assert (new, alertable) == (1, 0)  # new to feed b, but the article exists: no second alert
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Article)) == 1
        assert await session.scalar(select(func.count()).select_from(FeedEntry)) == 2


async def test_concurrent_stores_do_not_duplicate(sessions: async_sessionmaker[AsyncSession]) -> None:
    sid = await _source(sessions)
    entries = [entry(n) for n in range(40)]
    results = await asyncio.gather(*(_store(sessions, sid, entries, NOW, False) for _ in range(3)))
    assert sum(r[0] for r in results) == 40
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Article)) == 40
        assert await session.scalar(select(func.count()).select_from(FeedEntry)) == 40


async def test_edited_entry_updates_article_never_realerts(sessions: async_sessionmaker[AsyncSession]) -> None:
    sid = await _source(sessions)
    await _store(sessions, sid, [entry(1)], NOW, baseline=False)
    edited = entry(1, title="Story 1 (updated)", chash="e" * 64)
    soon = NOW + timedelta(minutes=5)
    assert await _store(sessions, sid, [edited], soon, False) == (0, 0, 0)  # too soon: not counted yet
    later = NOW + timedelta(hours=2)
    assert await _store(sessions, sid, [edited], later, False) == (0, 0, 1)
    assert await _store(sessions, sid, [edited], later + timedelta(hours=2), False) == (0, 0, 0)  # same again
    again = entry(1, title="Story 1 (updated twice)", chash="f" * 64)
    assert await _store(sessions, sid, [again], later + timedelta(minutes=30), False) == (0, 0, 0)  # capped
    assert await _store(sessions, sid, [again], later + timedelta(hours=3), False) == (0, 0, 1)
    async with sessions() as session:
        article = (await session.scalars(select(Article))).one()
        assert (article.title, article.edit_count, article.content_hash) == ("Story 1 (updated twice)", 2, "f" * 64)
        assert article.first_seen_at == NOW and article.processed_at is None
        assert await session.scalar(select(func.count()).select_from(Article)) == 1
