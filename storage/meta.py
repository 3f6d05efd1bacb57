"""Process-wide key/value facts (the hash of the last synced command tree, and the like)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.dialect import insert_for
from storage.models import Meta


async def get(session: AsyncSession, key: str) -> str | None:
    return (await session.execute(select(Meta.value).where(Meta.key == key))).scalar_one_or_none()


async def put(session: AsyncSession, key: str, value: str) -> None:
    now = utcnow()
    stmt = insert_for(session, Meta).values(key=key, value=value, updated_at=now)
    await session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value, "updated_at": now}))
