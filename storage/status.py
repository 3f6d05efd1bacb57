"""`/breachwatch status`: how the sources and the pipeline are doing, in counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Delivery, Source, Story


@dataclass(frozen=True)
class StatusCounts:
    sources_healthy: int  # enabled, and the last fetch did not fail
    sources_failing: int  # enabled, with at least one failure since the last success
    sources_disabled: int
    last_poll_at: datetime | None
    stories_24h: int  # stories first seen in the last 24 hours
    deliveries_24h: int  # alerts sent in the last 24 hours


async def status_counts(session: AsyncSession, now: datetime) -> StatusCounts:
    since = now - timedelta(hours=24)
    disabled = _count_if(Source.enabled.is_(False))
    failing = _count_if(Source.enabled.is_(True) & (Source.consecutive_failures > 0))
    healthy = _count_if(Source.enabled.is_(True) & (Source.consecutive_failures == 0))
    src = (await session.execute(select(healthy, failing, disabled, func.max(Source.last_fetch_at)))).one()
    stories = await session.scalar(select(func.count()).select_from(Story).where(Story.first_seen_at >= since))
    sent = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.status == "sent", Delivery.sent_at >= since)
    )
    return StatusCounts(
        sources_healthy=int(src[0] or 0),
        sources_failing=int(src[1] or 0),
        sources_disabled=int(src[2] or 0),
        last_poll_at=src[3],
        stories_24h=int(stories or 0),
        deliveries_24h=int(sent or 0),
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
