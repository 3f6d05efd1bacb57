"""The delivery queue: one row per story and subscription, claimed with a lease, marked when sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.dialect import insert_for
from storage.models import GLOBAL_SCOPE, Article, Delivery, Source, Story, Subscription


@dataclass(frozen=True)
class ShardFilter:
    """Deliver only for guilds on these shards: Discord puts a guild on shard (guild_id >> 22) % count."""

    shard_ids: tuple[int, ...]
    shard_count: int

    def clause(self, guild_id: Any = None) -> ColumnElement[bool]:
        column = Delivery.guild_id if guild_id is None else guild_id
        return (column.op(">>")(literal_column("22")) % self.shard_count).in_(self.shard_ids)


@dataclass(frozen=True)
class DeliveryJob:
    id: int
    story_id: int
    subscription_id: int
    guild_id: int
    channel_id: int
    action: str  # send | edit | followup
    nonce: str
    message_id: int | None
    attempts: int
    mention_role_id: int | None
    followup_facts: dict[str, Any] | None
    followup_count: int
    language: str = "en"  # the subscription's: what the alert and its notices are written in


def nonce_for(story_id: int, subscription_id: int) -> str:
    # Discord caps nonces at 25 characters; two 10-digit ids and a prefix fit.
    return f"bw{story_id}-{subscription_id}"[:25]


async def enqueue(session: AsyncSession, story_id: int, subscriptions: Sequence[Subscription]) -> int:
    """Queue the story for each subscription, once: a repeat for the same pair is ignored."""
    if not subscriptions:
        return 0
    rows = [
        {
            "story_id": story_id,
            "subscription_id": sub.id,
            "guild_id": sub.guild_id,
            "channel_id": sub.channel_id,
            "status": "pending" if sub.mode == "instant" else "digest",
            "nonce": nonce_for(story_id, sub.id),
        }
        for sub in subscriptions
    ]
    stmt = insert_for(session, Delivery).values(rows)
    stmt = stmt.on_conflict_do_nothing(index_elements=["story_id", "subscription_id"]).returning(Delivery.id)
    return len((await session.execute(stmt)).all())


def _due(now: datetime) -> ColumnElement[bool]:
    wants_work = or_(
        Delivery.status == "pending",
        and_(Delivery.status == "sent", or_(Delivery.edit_pending.is_(True), Delivery.followup_pending.is_(True))),
    )
    free = or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at < now)
    return and_(wants_work, Delivery.next_attempt_at <= now, free)


async def claim(
    session: AsyncSession,
    owner: str,
    now: datetime,
    *,
    limit: int = 200,
    lease: timedelta = timedelta(seconds=120),
    shards: ShardFilter | None = None,
) -> list[DeliveryJob]:
    """Lease up to `limit` due rows, oldest first; rows leased by a live worker are skipped, never waited for."""
    cond = _due(now)
    if shards is not None:
        cond = and_(cond, shards.clause())
    pick = (
        select(Delivery.id)
        .where(cond)
        .order_by(Delivery.created_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = (
        (
            await session.execute(
                update(Delivery)
                .where(Delivery.id.in_(pick.scalar_subquery()))
                .values(lease_owner=owner, lease_expires_at=now + lease)
                .returning(Delivery.id)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    rows = await session.execute(
        select(Delivery, Subscription.mention_role_id, Subscription.language)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.created_at, Delivery.id)
    )
    jobs = []
    for d, role, language in rows.all():
        if d.status == "pending":
            action = "send"
        elif d.followup_pending:
            action = "followup"
        else:
            action = "edit"
        jobs.append(
            DeliveryJob(
                d.id,
                d.story_id,
                d.subscription_id,
                d.guild_id,
                d.channel_id,
                action,
                d.nonce,
                d.message_id,
                d.attempts,
                role,
                d.followup_facts,
                d.followup_count,
                language,
            )
        )
    return jobs


async def mark_sent(session: AsyncSession, delivery_id: int, message_id: int, version: int, now: datetime) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            status="sent",
            message_id=message_id,
            story_version=version,
            sent_at=now,
            # A row dropped by a merge while this worker was posting it (merge_stories): the message is out, so it
            # is edited next into a pointer to the surviving story's alert.
            edit_pending=case((Delivery.status == "merged", True), else_=False),
            last_error=None,
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    await session.execute(
        update(Subscription)
        .where(Subscription.id == select(Delivery.subscription_id).where(Delivery.id == delivery_id).scalar_subquery())
        .values(last_delivery_at=now)
    )


async def mark_edited(session: AsyncSession, delivery_id: int, version: int) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(edit_pending=False, story_version=version, lease_owner=None, lease_expires_at=None, last_error=None)
    )


async def mark_followup_done(session: AsyncSession, delivery_id: int, version: int) -> None:
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            followup_pending=False,
            followup_facts=None,
            followup_count=Delivery.followup_count + 1,
            edit_pending=True,
            story_version=version,
            lease_owner=None,
            lease_expires_at=None,
        )
    )


async def retry_later(
    session: AsyncSession, delivery_id: int, at: datetime, error: str, *, count_attempt: bool = True
) -> int:
    """Release the row until `at`; returns the attempts made so far."""
    values: dict[str, Any] = {
        "next_attempt_at": at,
        "last_error": error[:500],
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if count_attempt:
        values["attempts"] = Delivery.attempts + 1
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))
    return int((await session.execute(select(Delivery.attempts).where(Delivery.id == delivery_id))).scalar_one())


async def fail(session: AsyncSession, delivery_id: int, error: str) -> None:
    """Give up on a row for good; it stays in the table with its reason."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(
            status="failed",
            edit_pending=False,
            followup_pending=False,
            last_error=error[:500],
            attempts=Delivery.attempts + 1,
            lease_owner=None,
            lease_expires_at=None,
        )
    )


async def story_changed(
    session: AsyncSession, story_id: int, new_facts: dict[str, Any] | None = None, *, article_id: int | None = None
) -> int:
    """The story grew by `article_id`: every posted alert of a guild that may see that article (all of them for an
    operator's source, else only its own guild's) gets edited, and with new facts also a reply; other guilds' alerts
    did not change. Without `article_id`, every posted alert."""
    values: dict[str, Any] = {"edit_pending": True}
    if new_facts:
        values.update(followup_pending=True, followup_facts=new_facts)
    which = [Delivery.story_id == story_id, Delivery.status == "sent"]
    if article_id is not None:
        scope = (
            select(Source.guild_id)
            .join(Article, Article.source_id == Source.id)
            .where(Article.id == article_id)
            .scalar_subquery()
        )
        which.append(or_(scope == GLOBAL_SCOPE, Delivery.guild_id == scope))
    result = await session.execute(update(Delivery).where(*which).values(**values))
    return int(getattr(result, "rowcount", 0) or 0)


# What makes a delivery row the record of one posted message; swapped between two rows when a merge gives the
# surviving story the other story's (earlier) message in a channel.
_MESSAGE_COLUMNS = (
    "status",
    "message_id",
    "sent_at",
    "story_version",
    "nonce",
    "attempts",
    "next_attempt_at",
    "last_error",
    "followup_count",
    "followup_pending",
    "followup_facts",
)


def _posted(row: Delivery) -> bool:
    return row.status == "sent" and row.message_id is not None


async def merge_stories(session: AsyncSession, absorbed_id: int, survivor_id: int) -> None:
    """A story was merged into an older one: per subscription, the survivor keeps the earliest alert and nothing is
    posted again.

    - both posted: the survivor's row holds the earlier message (swapped if the absorbed story's came first), edited
      to show the merged story; the other row keeps the later message, edited to point to it (bot.alerts.worker);
    - only the absorbed story posted (or queued): its row becomes the survivor's, edited to show the merged story;
    - the survivor posted or queued it already: the absorbed story's queued row is dropped (status "merged").
    Failed and paused rows are left as they are."""
    rows = (
        (await session.execute(select(Delivery).where(Delivery.story_id.in_([absorbed_id, survivor_id]))))
        .scalars()
        .all()
    )
    by_subscription: dict[int, dict[int, Delivery]] = {}
    for row in rows:
        by_subscription.setdefault(row.subscription_id, {})[row.story_id] = row
    for pair in by_subscription.values():
        mine, theirs = pair.get(survivor_id), pair.get(absorbed_id)
        if theirs is None:
            continue
        if mine is None:
            theirs.story_id = survivor_id
            theirs.edit_pending = _posted(theirs)
            continue
        earlier = _posted(theirs) and (not _posted(mine) or (theirs.message_id or 0) < (mine.message_id or 0))
        if earlier:
            for column in _MESSAGE_COLUMNS:
                a, b = getattr(mine, column), getattr(theirs, column)
                setattr(mine, column, b)
                setattr(theirs, column, a)
        mine.edit_pending = _posted(mine)
        if _posted(theirs):
            theirs.edit_pending, theirs.followup_pending, theirs.followup_facts = True, False, None
        elif theirs.status in ("pending", "digest"):
            theirs.status = "merged"
    await session.flush()
    # Alerts that pointed to the absorbed story's message are pointed again, to the survivor's.
    await session.execute(
        update(Delivery)
        .where(
            Delivery.story_id.in_(select(Story.id).where(Story.merged_into == survivor_id)),
            Delivery.status == "sent",
        )
        .values(edit_pending=True)
        .execution_options(synchronize_session=False)
    )


async def message_of(session: AsyncSession, story_id: int, subscription_id: int) -> int | None:
    """The message a story's alert was posted as for a subscription, if it was posted."""
    return await session.scalar(
        select(Delivery.message_id).where(
            Delivery.story_id == story_id, Delivery.subscription_id == subscription_id, Delivery.status == "sent"
        )
    )


async def digest_rows(session: AsyncSession, subscription_id: int) -> list[Delivery]:
    rows = await session.execute(
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status == "digest")
        .order_by(Delivery.created_at, Delivery.id)
    )
    return list(rows.scalars())


async def mark_digest_sent(session: AsyncSession, delivery_ids: Sequence[int], message_id: int, now: datetime) -> None:
    await session.execute(
        update(Delivery).where(Delivery.id.in_(delivery_ids)).values(status="sent", message_id=message_id, sent_at=now)
    )


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: int(n) for status, n in rows.all()}
