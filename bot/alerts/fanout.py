"""Decide which subscriptions a story alerts and queue it for them, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.classify import ClassifierCache, GuildRules
from storage import deliveries, subscriptions
from storage.models import GLOBAL_SCOPE, Story, Subscription
from storage.rules import load_rules_for, tuned_guilds

# Compiled guild classifiers are reused across stories until a guild's rules version changes.
_CLASSIFIERS = ClassifierCache()


@dataclass(frozen=True)
class GuildVerdict:
    match: bool
    score: float


def judge(story: Story, rules: GuildRules | None) -> GuildVerdict:
    """The story as this guild's classifier (defaults plus its keyword rules) sees it."""
    if rules is None or rules.is_default:
        return GuildVerdict(story.match, story.score)
    verdict = _CLASSIFIERS.get(rules).classify(story.title, story.summary, None, story.language)
    return GuildVerdict(verdict.match, verdict.score)


def passes(sub: Subscription, story: Story, verdict: GuildVerdict) -> bool:
    if not verdict.match:
        return False
    if sub.min_score is not None and verdict.score < sub.min_score:
        return False
    if sub.categories and not set(sub.categories) & set(story.categories or ()):
        return False
    return not (sub.languages and story.language not in sub.languages)


async def fan_out(session: AsyncSession, story: Story, now: datetime) -> int:
    """Queue `story` for every subscription it passes; subscriptions that started after `now` are not in."""
    # A story only guild-added sources carried alerts only those guilds; the operator's sources alert everyone.
    scopes = await deliveries.story_scopes(session, story.id)
    guilds: set[int] | None = None if not scopes or GLOBAL_SCOPE in scopes else scopes
    if not story.match:
        # Only a guild's own rules (a forced term, a lower threshold) can alert on what the defaults reject.
        tuned = await tuned_guilds(session)
        guilds = tuned if guilds is None else guilds & tuned
    subs = await subscriptions.active_since(session, now, guilds) if guilds is None or guilds else []
    rules = await load_rules_for(session, {s.guild_id for s in subs})
    verdicts = {gid: judge(story, rules.get(gid)) for gid in {s.guild_id for s in subs}}
    chosen = [sub for sub in subs if passes(sub, story, verdicts[sub.guild_id])]
    return await deliveries.enqueue(session, story.id, chosen)
