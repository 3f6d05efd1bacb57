"""Sources: the configured list synced in, guild and operator additions, due-source leases, fetch outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.links import safe_url
from storage.dialect import insert_for, rowcount
from storage.models import GLOBAL_SCOPE, FetchLog, Notice, Source

CONFIG = "config"
OPERATOR = "operator"
GUILD = "guild"
RETIRED = "no longer in the sources file"
REMOVED = "removed"


@dataclass(frozen=True)
class SourceSpec:
    url: str
    name: str | None = None
    language: str | None = None
    homepage: str | None = None


@dataclass(frozen=True)
class SyncResult:
    added: int
    updated: int
    retired: int


@dataclass(frozen=True)
class SourceState:
    """What the poller needs of a source row, detached from the session."""

    id: int
    url: str
    guild_id: int
    name: str | None
    language: str | None
    etag: str | None
    last_modified: str | None
    baseline_at: datetime | None
    consecutive_failures: int
    first_failure_at: datetime | None


@dataclass(frozen=True)
class FetchRecord:
    started_at: datetime
    duration_ms: int
    status: str  # ok | not_modified | error
    http_status: int | None
    nbytes: int
    entries: int
    new_entries: int
    error_kind: str | None
    error: str | None
    etag: str | None
    last_modified: str | None
    next_fetch_at: datetime
    consecutive_failures: int
    first_failure_at: datetime | None
    disable: bool = False


def _state(row: Source) -> SourceState:
    return SourceState(
        id=row.id,
        url=row.url,
        guild_id=row.guild_id,
        name=row.name,
        language=row.language,
        etag=row.etag,
        last_modified=row.last_modified,
        baseline_at=row.baseline_at,
        consecutive_failures=row.consecutive_failures,
        first_failure_at=row.first_failure_at,
    )


async def sync_config_sources(session: AsyncSession, specs: Sequence[SourceSpec], now: datetime) -> SyncResult:
    """Make the operator scope match the sources file; guild and command-line sources are left alone.

    Sources dropped from the file are disabled rather than deleted, so their articles and history stay.
    """
    rows = (await session.scalars(select(Source).where(Source.guild_id == GLOBAL_SCOPE))).all()
    by_url = {row.url: row for row in rows}
    wanted = {spec.url: spec for spec in specs}
    added = updated = retired = 0
    for url, spec in wanted.items():
        row = by_url.get(url)
        if row is None:
            stmt = insert_for(session, Source).values(
                url=url,
                guild_id=GLOBAL_SCOPE,
                name=spec.name,
                language=spec.language,
                homepage=spec.homepage,
                origin=CONFIG,
                next_fetch_at=now,
                created_at=now,
            )
            result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["url", "guild_id"]))
            added += rowcount(result)
            continue
        changed = (row.name, row.language, row.homepage) != (spec.name, spec.language, spec.homepage)
        row.name, row.language, row.homepage = spec.name, spec.language, spec.homepage
        if row.origin == CONFIG and not row.enabled and row.disabled_reason == RETIRED:
            row.enabled, row.disabled_reason, row.disabled_at, row.next_fetch_at = True, None, None, now
            changed = True
        updated += int(changed)
    for url, row in by_url.items():
        if url not in wanted and row.origin == CONFIG and row.enabled:
            row.enabled, row.disabled_reason, row.disabled_at = False, RETIRED, now
            retired += 1
    await session.flush()
    return SyncResult(added, updated, retired)


async def add_source(
    session: AsyncSession,
    url: str,
    now: datetime,
    *,
    guild_id: int = GLOBAL_SCOPE,
    origin: str = OPERATOR,
    added_by: int | None = None,
    name: str | None = None,
    language: str | None = None,
    homepage: str | None = None,
) -> tuple[Source, bool]:
    """The source for (url, guild), created if absent, re-enabled if it had been removed or disabled.

    Returns (row, created).
    """
    stmt = insert_for(session, Source).values(
        url=url,
        guild_id=guild_id,
        name=name,
        language=language,
        homepage=homepage,
        origin=origin,
        added_by=added_by,
        next_fetch_at=now,
        created_at=now,
    )
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["url", "guild_id"]))
    created = bool(rowcount(result))
    row = (await session.scalars(select(Source).where(Source.url == url, Source.guild_id == guild_id))).one()
    if not created and not row.enabled:
        row.enabled, row.disabled_reason, row.disabled_at = True, None, None
        row.consecutive_failures, row.first_failure_at, row.next_fetch_at = 0, None, now
    await session.flush()
    return row, created


async def remove_source(session: AsyncSession, url: str, now: datetime, *, guild_id: int = GLOBAL_SCOPE) -> bool:
    """Stop polling (url, guild). The row stays disabled so the articles it brought keep their history."""
    result = await session.execute(
        update(Source)
        .where(Source.url == url, Source.guild_id == guild_id, Source.enabled.is_(True))
        .values(enabled=False, disabled_reason=REMOVED, disabled_at=now, lease_owner=None, lease_expires_at=None)
    )
    return bool(rowcount(result))


async def list_sources(
    session: AsyncSession, *, guild_id: int | None = None, include_disabled: bool = True
) -> list[Source]:
    stmt = select(Source).order_by(Source.guild_id, Source.url)
    if guild_id is not None:
        stmt = stmt.where(Source.guild_id == guild_id)
    if not include_disabled:
        stmt = stmt.where(Source.enabled.is_(True))
    return list((await session.scalars(stmt)).all())


async def count_guild_sources(session: AsyncSession, guild_id: int, *, excluding: str | None = None) -> int:
    """How many enabled sources the guild added itself; `excluding` leaves one URL out (re-adding it adds none)."""
    stmt = select(func.count()).select_from(Source).where(Source.guild_id == guild_id, Source.enabled.is_(True))
    if excluding is not None:
        stmt = stmt.where(Source.url != excluding)
    return int(await session.scalar(stmt) or 0)


async def operator_source_names(session: AsyncSession) -> list[tuple[str, str | None, str | None]]:
    """(feed URL, homepage, name) of every named source the operator owns (bundled or added on the command line)."""
    stmt = select(Source.url, Source.homepage, Source.name).where(
        Source.guild_id == GLOBAL_SCOPE, Source.name.is_not(None)
    )
    return [(url, homepage, name) for url, homepage, name in await session.execute(stmt)]


async def get_sources(session: AsyncSession, url: str) -> list[Source]:
    return list((await session.scalars(select(Source).where(Source.url == url).order_by(Source.guild_id))).all())


async def claim_sources(
    session: AsyncSession,
    now: datetime,
    owner: str,
    *,
    lease: timedelta,
    limit: int = 10_000,
    force: bool = False,
    urls: Sequence[str] | None = None,
    due_by: datetime | None = None,
    exclude: Sequence[int] = (),
) -> list[SourceState]:
    """Lease the enabled sources that are due (or all, with `force`) so no other poller fetches them meanwhile.

    `due_by` (default `now`) is the cut-off for "due": a cycle claiming in chunks passes its start time so a source
    it has already fetched (and rescheduled) is never taken twice in the same cycle, while leases run from `now`.
    """
    free = or_(Source.lease_expires_at.is_(None), Source.lease_expires_at < now)
    pick = select(Source.id).where(Source.enabled.is_(True), free)
    if not force:
        pick = pick.where(Source.next_fetch_at <= (now if due_by is None else due_by))
    if urls is not None:
        pick = pick.where(Source.url.in_(list(urls)))
    if exclude:
        pick = pick.where(Source.id.not_in(list(exclude)))
    # SKIP LOCKED (PostgreSQL; SQLite serialises writers anyway) lets concurrent pollers split the due set.
    pick = pick.order_by(Source.next_fetch_at, Source.id).limit(limit).with_for_update(skip_locked=True)
    expires = now + lease
    claimed = await session.execute(
        update(Source)
        .where(Source.id.in_(pick.scalar_subquery()), free)
        .values(lease_owner=owner, lease_expires_at=expires)
        .returning(Source.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in claimed]
    if not ids:
        return []
    rows = (await session.scalars(select(Source).where(Source.id.in_(ids)).order_by(Source.id))).all()
    return [_state(row) for row in rows]


async def release_sources(session: AsyncSession, source_ids: Sequence[int], owner: str) -> None:
    await session.execute(
        update(Source)
        .where(Source.id.in_(list(source_ids)), Source.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


async def release_all(session: AsyncSession, owner: str) -> int:
    """Give up every lease `owner` still holds (a cycle that failed half-way), so no source waits out its lease."""
    result = await session.execute(
        update(Source)
        .where(Source.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def record_fetch(session: AsyncSession, source_id: int, rec: FetchRecord, *, baseline: bool = False) -> None:
    """One fetch's outcome: a fetch-log row, the source's new schedule and health, and its lease released.

    `baseline` marks the first successful poll (its entries alerted nobody). A disable also records a notice
    for the guild that added the source, once.
    """
    await record_fetches(session, [(source_id, rec, baseline)])


async def record_fetches(session: AsyncSession, fetches: Sequence[tuple[int, FetchRecord, bool]]) -> None:
    """record_fetch for many (source id, record, baseline) at once, as a poll cycle's writer stores a batch.

    A cycle of 304s is mostly this bookkeeping: two statements per feed, the log row going through the ORM's
    unit of work, cost more than the fetch. Here the log rows are one multi-row insert and the source updates
    one executemany per shape of update (a cycle of 304s has a single shape)."""
    if not fetches:
        return
    # Core tables: the ORM's bulk layers cost more CPU than these statements take to run.
    log_table, sources = cast(Table, FetchLog.__table__), cast(Table, Source.__table__)
    conn = await session.connection()
    await conn.execute(
        insert(log_table),
        [
            {
                "source_id": source_id,
                "started_at": rec.started_at,
                "duration_ms": rec.duration_ms,
                "status": rec.status,
                "http_status": rec.http_status,
                "bytes": rec.nbytes,
                "entries": rec.entries,
                "new_entries": rec.new_entries,
                "error_kind": rec.error_kind,
                "error": rec.error,
            }
            for source_id, rec, _ in fetches
        ],
    )
    shapes: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for source_id, rec, baseline in fetches:
        values = _fetch_values(rec, baseline)
        shapes.setdefault(tuple(values), []).append({"b_source_id": source_id, **values})
    for keys, rows in shapes.items():
        stmt = (
            update(sources)
            .where(sources.c.id == bindparam("b_source_id"))
            .values({key: bindparam(key) for key in keys})
        )
        await conn.execute(stmt, rows)
    for source_id, rec, _ in fetches:
        if rec.disable:
            await _notify_disabled(session, source_id, rec)


def _fetch_values(rec: FetchRecord, baseline: bool) -> dict[str, object]:
    """The columns of a source that one fetch's outcome sets."""
    values: dict[str, object] = {
        "last_fetch_at": rec.started_at,
        "next_fetch_at": rec.next_fetch_at,
        "consecutive_failures": rec.consecutive_failures,
        "first_failure_at": rec.first_failure_at,
        "last_http_status": rec.http_status,
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if rec.status == "error":
        values["last_error"] = f"{rec.error_kind}: {rec.error}"
    else:
        values.update(last_success_at=rec.started_at, last_error=None, etag=rec.etag, last_modified=rec.last_modified)
    if baseline:
        values["baseline_at"] = rec.started_at
    if rec.disable:
        values.update(enabled=False, disabled_at=rec.started_at, disabled_reason=_disable_reason(rec))
    return values


def _disable_reason(rec: FetchRecord) -> str:
    since = rec.first_failure_at.strftime("%Y-%m-%d %H:%M UTC") if rec.first_failure_at else "?"
    return f"failing since {since} ({rec.consecutive_failures} attempts); last error {rec.error_kind}: {rec.error}"


async def _notify_disabled(session: AsyncSession, source_id: int, rec: FetchRecord) -> None:
    row = await session.get(Source, source_id)
    if row is None or row.guild_id == GLOBAL_SCOPE:
        return
    url = safe_url(row.url)
    # The address goes in <> (no preview) and only in its encoded form, so it can never turn into other markdown.
    address = f"<{url}>" if url else "(address not shown)"
    reason = _disable_reason(rec)
    source = f"{row.name} {address}" if row.name else address
    message = f"Source {source} was disabled: {reason}. Re-add it once it works again."
    stmt = insert_for(session, Notice).values(
        guild_id=row.guild_id,
        # One notice per failure episode: a source re-added and failing again later is news again.
        key=f"source-disabled:{source_id}:{rec.first_failure_at.isoformat() if rec.first_failure_at else ''}",
        kind="source_disabled",
        message=message[:4000],
        params={
            "name": (row.name or "")[:200],
            "address": address,
            "since": int(rec.first_failure_at.timestamp()) if rec.first_failure_at else None,
            "attempts": rec.consecutive_failures,
            "error": f"{rec.error_kind}: {rec.error}"[:500],
        },
        created_at=rec.started_at,
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["guild_id", "key"]))


async def prune_fetch_log(session: AsyncSession, before: datetime) -> int:
    """Drop fetch-log rows older than `before` (feed health only needs recent history)."""
    result = await session.execute(delete(FetchLog).where(FetchLog.started_at < before))
    return rowcount(result)


async def recent_fetches(session: AsyncSession, source_id: int, limit: int = 10) -> list[FetchLog]:
    stmt = (
        select(FetchLog)
        .where(FetchLog.source_id == source_id)
        .order_by(FetchLog.started_at.desc(), FetchLog.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
