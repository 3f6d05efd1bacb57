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
    """Every change of a story fans it out again, since it may now be visible to more guilds or pass more filters
    (fan-out queues each subscription once); the posted alerts of the guilds that may see the new article are
    edited, and other guilds' alerts did not change. When stories merged, their alerts are merged first
    (storage.deliveries.merge_stories) and every posted alert of the survivor is edited."""
    if result.kind == "created":
        metrics.STORIES.inc()
    for absorbed in result.merged:
        # Before the fan-out: a channel that had the absorbed story's alert now has the survivor's, and is not
        # alerted again.
        await deliveries.merge_stories(session, absorbed, result.story_id)
    story = await session.get(Story, result.story_id)
    if story is None:
        return
    if story.alertable:
        await fan_out(session, story, utcnow(), judge)
    if result.kind in ("grew", "follow_up"):
        facts = result.new_facts if result.kind == "follow_up" else None
        await deliveries.story_changed(session, story.id, facts, article_id=result.article_id)
    elif result.kind == "merged":
        # Every guild that saw either story sees the merged one differently (more articles may be in its scope),
        # so every posted alert is edited; each still shows only its guild's part of the story.
        await deliveries.story_changed(session, story.id)
        if result.new_facts:
            # The reply about new facts goes only where the report that brought them may be seen.
            await deliveries.story_changed(session, story.id, result.new_facts, article_id=result.article_id)
