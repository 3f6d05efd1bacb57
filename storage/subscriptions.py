"""Subscriptions: which channel gets which alerts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.dialect import insert_for
from storage.models import Delivery, Subscription


@dataclass(frozen=True)
class SubscriptionFilters:
    min_score: float | None = None
    categories: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    mention_role_id: int | None = None
    mode: str = "instant"
    language: str = "en"  # of the alerts, digests and notices


async def subscribe(
    session: AsyncSession, guild_id: int, channel_id: int, filters: SubscriptionFilters, user_id: int | None = None
) -> tuple[Subscription, bool]:
    """Create or update the channel's subscription; returns it and whether it is new.

    An update keeps the original start time, so re-subscribing never replays old stories.
    """
    values = {
        "min_score": filters.min_score,
        "categories": list(filters.categories) if filters.categories else None,
        "languages": list(filters.languages) if filters.languages else None,
        "mention_role_id": filters.mention_role_id,
        "mode": filters.mode,
        "language": filters.language,
        "active": True,
        "paused_reason": None,
    }
    now = utcnow()
    stmt = insert_for(session, Subscription).values(
        guild_id=guild_id, channel_id=channel_id, created_by=user_id, created_at=now, **values
    )
    stmt = stmt.on_conflict_do_update(index_elements=["guild_id", "channel_id"], set_=values)
    await session.execute(stmt)
    sub = (
        await session.execute(
            select(Subscription)
            .where(Subscription.guild_id == guild_id, Subscription.channel_id == channel_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return sub, sub.created_at == now


async def unsubscribe(session: AsyncSession, guild_id: int, channel_id: int) -> bool:
    result = await session.execute(
        delete(Subscription).where(Subscription.guild_id == guild_id, Subscription.channel_id == channel_id)
    )
    return bool(getattr(result, "rowcount", 0))


async def list_for_guild(session: AsyncSession, guild_id: int) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription).where(Subscription.guild_id == guild_id).order_by(Subscription.channel_id)
    )
    return list(rows.scalars())


async def active_since(
    session: AsyncSession,
    before: datetime,
    guild_ids: Collection[int] | None = None,
    *,
    not_queued_for: int | None = None,
) -> list[Subscription]:
    """Active subscriptions that existed before `before` (a story never alerts channels that joined after it); with
    `not_queued_for`, only those that story is not queued for yet (fan-out runs again as a story grows)."""
    query = select(Subscription).where(Subscription.active.is_(True), Subscription.created_at <= before)
    if guild_ids is not None:
        query = query.where(Subscription.guild_id.in_(list(guild_ids)))
    if not_queued_for is not None:
        queued = select(Delivery.id).where(
            Delivery.story_id == not_queued_for, Delivery.subscription_id == Subscription.id
        )
        query = query.where(~queued.exists())
    return list((await session.execute(query)).scalars())


async def pause(session: AsyncSession, subscription_id: int, reason: str) -> Subscription | None:
    sub = await session.get(Subscription, subscription_id)
    if sub is not None and sub.active:
        sub.active = False
        sub.paused_reason = reason
        await session.execute(
            update(Delivery)
            .where(Delivery.subscription_id == subscription_id, Delivery.status.in_(("pending", "digest")))
            .values(status="paused", last_error=reason)
        )
    return sub


async def digest_due(session: AsyncSession, now: datetime) -> list[Subscription]:
    rows = await session.execute(
        select(Subscription).where(Subscription.active.is_(True), Subscription.mode.in_(("daily", "weekly")))
    )
    due = []
    for sub in rows.scalars():
        period = 1 if sub.mode == "daily" else 7
        start = sub.last_digest_at or sub.created_at
        if (now - start).total_seconds() >= period * 86400:
            due.append(sub)
    return due


async def count_active(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).where(Subscription.active.is_(True)))).scalar_one())


async def notice_language(session: AsyncSession, guild_id: int, channel_id: int | None) -> str:
    """The language a notice is written in: that of the channel's subscription (the guild's first one when the
    notice has no channel of its own or the channel has none), English when the guild has none."""
    query = select(Subscription.language).where(Subscription.guild_id == guild_id)
    if channel_id is not None:
        # The channel's own subscription first, then the guild's oldest.
        query = query.order_by((Subscription.channel_id != channel_id), Subscription.created_at, Subscription.id)
    else:
        query = query.order_by(Subscription.created_at, Subscription.id)
    return (await session.execute(query.limit(1))).scalar_one_or_none() or "en"


async def notice_channel(session: AsyncSession, guild_id: int) -> int | None:
    """Where a guild's notices go first: one of its active alert channels (else Discord's system channel)."""
    query = (
        select(Subscription.channel_id)
        .where(Subscription.guild_id == guild_id, Subscription.active.is_(True))
        .order_by(Subscription.created_at, Subscription.id)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
