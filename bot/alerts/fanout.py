"""Decide which subscriptions a story alerts and queue it for them, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import deliveries, subscriptions
from storage.models import Story, Subscription


@dataclass(frozen=True)
class GuildVerdict:
    match: bool
    score: float


# A guild's own classifier (defaults plus its keyword rules) re-judges the story for that guild.
GuildJudge = Callable[[int, Story], GuildVerdict]


def default_judge(_guild_id: int, story: Story) -> GuildVerdict:
    return GuildVerdict(story.match, story.score)


def passes(sub: Subscription, story: Story, verdict: GuildVerdict) -> bool:
    if not verdict.match:
        return False
    if sub.min_score is not None and verdict.score < sub.min_score:
        return False
    if sub.categories and not set(sub.categories) & set(story.categories or ()):
        return False
    return not (sub.languages and story.language not in sub.languages)


async def fan_out(session: AsyncSession, story: Story, now: datetime, judge: GuildJudge = default_judge) -> int:
    """Queue `story` for every subscription it passes; subscriptions that started after `now` are not in."""
    subs = await subscriptions.active_since(session, now)
    verdicts: dict[int, GuildVerdict] = {}
    chosen = []
    for sub in subs:
        if sub.guild_id not in verdicts:
            verdicts[sub.guild_id] = judge(sub.guild_id, story)
        if passes(sub, story, verdicts[sub.guild_id]):
            chosen.append(sub)
    return await deliveries.enqueue(session, story.id, chosen)
