"""What a story's change means for delivery, decided in the same transaction that changed the story."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.alerts.fanout import GuildJudge, fan_out
from bot.core.clock import utcnow
from bot.stories.assign import AssignResult
from storage import deliveries
from storage.models import Story


class AlertQueueing:
    """The processing step's `after_assign`, with the classifier that re-scores a story for tuned guilds."""

    def __init__(self, judge: GuildJudge | None = None) -> None:
        self.judge = judge

    async def __call__(self, session: AsyncSession, result: AssignResult) -> None:
        await after_assign(session, result, self.judge)


async def after_assign(session: AsyncSession, result: AssignResult, judge: GuildJudge | None = None) -> None:
    """A story that became alert-worthy is queued for its subscribers; one that grew gets its alerts edited."""
    if result.kind == "created":
        metrics.STORIES.inc()
    story = await session.get(Story, result.story_id)
    if story is None:
        return
    if result.became_alertworthy or (result.kind == "created" and story.alertable):
        await fan_out(session, story, utcnow(), judge)
    elif result.kind in ("grew", "follow_up"):
        await deliveries.story_changed(session, story.id, result.new_facts if result.kind == "follow_up" else None)
