"""Readers' "Relevant / Not relevant" votes, one per reader, story and guild (a second click changes it)."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.dialect import insert_for
from storage.models import Feedback, Story


async def record(session: AsyncSession, guild_id: int, story_id: int, user_id: int, relevant: bool) -> bool:
    """Store the vote; False when the story does not exist (an old button on a purged story)."""
    if await session.get(Story, story_id) is None:
        return False
    stmt = insert_for(session, Feedback).values(
        guild_id=guild_id, story_id=story_id, user_id=user_id, relevant=relevant, created_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["guild_id", "story_id", "user_id"], set_={"relevant": relevant, "created_at": utcnow()}
    )
    await session.execute(stmt)
    return True


async def counts(session: AsyncSession, guild_id: int, story_id: int | None = None) -> tuple[int, int]:
    """(relevant, not relevant) votes in the guild, for one story or all."""
    query = select(
        func.coalesce(func.sum(case((Feedback.relevant.is_(True), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Feedback.relevant.is_(False), 1), else_=0)), 0),
    ).where(Feedback.guild_id == guild_id)
    if story_id is not None:
        query = query.where(Feedback.story_id == story_id)
    yes, no = (await session.execute(query)).one()
    return int(yes), int(no)
