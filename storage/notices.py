"""Notices a guild must get once: a source of theirs disabled, a channel that can no longer be posted to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.deliveries import ShardFilter
from storage.dialect import insert_for
from storage.models import Notice


@dataclass(frozen=True)
class PendingNotice:
    id: int
    guild_id: int
    channel_id: int | None
    kind: str
    message: str
    params: dict[str, Any] | None = None


async def add(
    session: AsyncSession, guild_id: int, key: str, kind: str, message: str, channel_id: int | None = None
) -> bool:
    """Record a notice; the same (guild, key) is recorded once however often it is raised."""
    stmt = insert_for(session, Notice).values(
        guild_id=guild_id, key=key[:200], kind=kind, message=message, channel_id=channel_id
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["guild_id", "key"]).returning(Notice.id)
    return (await session.execute(stmt)).first() is not None


async def pending(session: AsyncSession, limit: int = 50, shards: ShardFilter | None = None) -> list[PendingNotice]:
    query = select(Notice).where(Notice.posted_at.is_(None))
    if shards is not None:
        query = query.where(shards.clause(Notice.guild_id))
    rows = await session.execute(query.order_by(Notice.created_at, Notice.id).limit(limit))
    return [PendingNotice(n.id, n.guild_id, n.channel_id, n.kind, n.message, n.params) for n in rows.scalars()]


async def mark_posted(session: AsyncSession, notice_id: int, now: datetime) -> None:
    await session.execute(update(Notice).where(Notice.id == notice_id).values(posted_at=now))
