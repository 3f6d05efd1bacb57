"""What a story's change means for delivery, decided in the same transaction that changed the story."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.alerts.fanout import GuildJudge, fan_out
from bot.core.clock import utcnow
from bot.stories.assign import AssignResult
from storage import deliveries
from storage.models import GLOBAL_SCOPE, Article, Source, Story


class AlertQueueing:
    """The processing step's `after_assign`, with the classifier that re-scores a story for tuned guilds."""

    def __init__(self, judge: GuildJudge | None = None) -> None:
        self.judge = judge

    async def __call__(self, session: AsyncSession, result: AssignResult) -> None:
        await after_assign(session, result, self.judge)


async def after_assign(session: AsyncSession, result: AssignResult, judge: GuildJudge | None = None) -> None:
    """Every change of a story fans it out again, since it may now be visible to more guilds or pass more filters
    (fan-out queues each subscription once); the posted alerts of the guilds that may see the new article are
    edited, and other guilds' alerts did not change."""
    if result.kind == "created":
        metrics.STORIES.inc()
    story = await session.get(Story, result.story_id)
    if story is None:
        return
    if story.alertable:
        await fan_out(session, story, utcnow(), judge)
    if result.kind in ("grew", "follow_up"):
        scope = await _scope_of(session, result.article_id)
        facts = result.new_facts if result.kind == "follow_up" else None
        await deliveries.story_changed(session, story.id, facts, scope=scope)


async def _scope_of(session: AsyncSession, article_id: int | None) -> int:
    article = await session.get(Article, article_id) if article_id is not None else None
    source = await session.get(Source, article.source_id) if article is not None else None
    # An edit renders each guild's own view, so editing every alert when the article is unknown shows nobody
    # anything new; only the reply about new facts must stay with the guilds that may see them.
    return source.guild_id if source is not None else GLOBAL_SCOPE
