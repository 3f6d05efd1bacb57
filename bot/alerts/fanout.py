"""Decide which subscriptions a story alerts and queue it for them, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.classify import ClassifierCache, GuildRules
from bot.classify.judge import Judge, unpack
from bot.tuning import load_rules_for
from storage import deliveries, subscriptions
from storage.models import GLOBAL_SCOPE, Article, Story, Subscription
from storage.rules import tuned_guilds


@dataclass(frozen=True)
class GuildVerdict:
    match: bool
    score: float


class GuildJudge:
    """A story as each guild's classifier sees it: the guild's rules on the lexicon's first pass, then the trained
    model on the embedding stored with the story's lead article (never encoded again), against its threshold.
    Compiled guild classifiers are reused until a guild's rules version changes."""

    def __init__(self, judge: Judge | None = None, cache: ClassifierCache | None = None) -> None:
        self.judge = judge or Judge(None, None)
        self.cache = cache or ClassifierCache()

    def verdict(self, story: Story, rules: GuildRules | None, embedding: bytes | None) -> GuildVerdict:
        if rules is None or rules.is_default:
            return GuildVerdict(story.match, story.score)
        clf = self.cache.get(rules)
        first = self.judge.first_pass(clf, story.title, story.summary, "", story.language)
        vector = unpack(embedding) if self.judge.wants_embedding(first) else None
        verdict = self.judge.decide(first.verdict, vector, clf.threshold)
        return GuildVerdict(verdict.match, verdict.score)


_LEXICON_ONLY = GuildJudge()


def passes(sub: Subscription, story: Story, verdict: GuildVerdict) -> bool:
    if not verdict.match:
        return False
    if sub.min_score is not None and verdict.score < sub.min_score:
        return False
    if sub.categories and not set(sub.categories) & set(story.categories or ()):
        return False
    return not (sub.languages and story.language not in sub.languages)


async def fan_out(session: AsyncSession, story: Story, now: datetime, judge: GuildJudge | None = None) -> int:
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
    embedding = None
    if any(r is not None and not r.is_default for r in rules.values()) and story.lead_article_id is not None:
        lead = await session.get(Article, story.lead_article_id)
        embedding = lead.embedding if lead is not None else None
    guild_judge = judge or _LEXICON_ONLY
    verdicts = {gid: guild_judge.verdict(story, rules.get(gid), embedding) for gid in {s.guild_id for s in subs}}
    chosen = [sub for sub in subs if passes(sub, story, verdicts[sub.guild_id])]
    return await deliveries.enqueue(session, story.id, chosen)
