"""Decide which subscriptions a story alerts and queue it for them, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.read_model import ScopedStory, scope_story
from bot.classify import ClassifierCache, GuildRules
from bot.classify.judge import Judge, unpack
from bot.tuning import load_rules_for
from storage import alert_views, deliveries, subscriptions
from storage.models import GLOBAL_SCOPE, Story, Subscription
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

    def verdict(self, story: ScopedStory, rules: GuildRules | None) -> GuildVerdict:
        if rules is None or rules.is_default:
            return GuildVerdict(story.match, story.score)
        clf = self.cache.get(rules)
        first = self.judge.first_pass(clf, story.title, story.summary, "", story.language)
        vector = unpack(story.lead.article.embedding) if self.judge.wants_embedding(first) else None
        verdict = self.judge.decide(first.verdict, vector, clf.threshold)
        return GuildVerdict(verdict.match, verdict.score)


_LEXICON_ONLY = GuildJudge()


def passes(sub: Subscription, story: ScopedStory, verdict: GuildVerdict) -> bool:
    if not verdict.match:
        return False
    if sub.min_score is not None and verdict.score < sub.min_score:
        return False
    if sub.categories and not set(sub.categories) & set(story.categories):
        return False
    # Any report in one of its languages is enough: a story can come to pass when a report in it joins.
    return not (sub.languages and not set(sub.languages) & story.languages)


async def fan_out(session: AsyncSession, story: Story, now: datetime, judge: GuildJudge | None = None) -> int:
    """Queue `story` for every subscription it passes as that subscription's guild sees it (only the articles of the
    operator's sources and the guild's own, bot.alerts.read_model); subscriptions that started after `now` are not
    in. Run again whenever the story changes: a pair already queued is never queued twice."""
    scopes = await alert_views.story_scopes(session, story.id)
    # The operator's articles may reach every guild; a guild's own only that guild.
    guilds: set[int] | None = None if GLOBAL_SCOPE in scopes else scopes
    if not story.match:
        # Only a guild's own rules (a forced term, a lower threshold) can alert on what the defaults reject.
        tuned = await tuned_guilds(session)
        guilds = tuned if guilds is None else guilds & tuned
    if guilds is not None and not guilds:
        return 0
    subs = await subscriptions.active_since(session, now, guilds, not_queued_for=story.id)
    if not subs:
        return 0  # the usual case once a story has alerted: nothing more to read
    loaded = await alert_views.story_rows(session, [story.id])
    if story.id not in loaded:
        return 0
    _, rows = loaded[story.id]
    rules = await load_rules_for(session, {s.guild_id for s in subs})
    guild_judge = judge or _LEXICON_ONLY
    # Every guild without a source of its own in the story sees the same part of it: drawn once.
    views: dict[int, ScopedStory | None] = {}
    seen: dict[int, tuple[ScopedStory, GuildVerdict] | None] = {}
    chosen = []
    for sub in subs:
        if sub.guild_id not in seen:
            key = sub.guild_id if sub.guild_id in scopes else GLOBAL_SCOPE
            if key not in views:
                views[key] = scope_story(story, rows, key)
            scoped = views[key]
            if scoped is None or not scoped.alertable:
                seen[sub.guild_id] = None  # invisible to the guild, or only first-poll reports in its scope
            else:
                seen[sub.guild_id] = (scoped, guild_judge.verdict(scoped, rules.get(sub.guild_id)))
        judged = seen[sub.guild_id]
        if judged is not None and passes(sub, *judged):
            chosen.append(sub)
    return await deliveries.enqueue(session, story.id, chosen)
