"""A guild's classifier tuning, the service behind `/keywords` and the fan-out: rule changes checked then stored,
the stored rules loaded as GuildRules, and a proposed change backtested on recent stories (nothing saved).

storage.rules reads and writes the rows; the checks (bot.classify.rules) and the backtest (bot.classify.backtest)
are here. Functions take an AsyncSession; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.read_model import scope_story
from bot.classify.backtest import BacktestResult, StoryText, backtest_rules
from bot.classify.proposals import RuleOp, apply_to
from bot.classify.rules import (
    ACTIONS,
    GuildRules,
    RuleError,
    RuleTerm,
    check_concept,
    check_threshold,
    check_weight,
    clean_term,
)
from bot.feeds.workers import ParsePool
from storage import alert_views
from storage import rules as store
from storage.models import KeywordRule
from storage.scope import partly_out_of_scope


async def add_rule(
    session: AsyncSession,
    guild_id: int,
    term: str,
    action: str,
    *,
    concept: str | None = None,
    weight: float = 0.8,
    created_by: int | None = None,
) -> KeywordRule:
    """Add (or replace) a rule. `add` needs a concept; `block` and `force` ignore concept and weight."""
    if action not in ACTIONS:
        raise RuleError("rules.action", actions=", ".join(ACTIONS))
    term = clean_term(term)
    if action == "add":
        if concept is None:
            raise RuleError("rules.needs_concept")
        concept = check_concept(concept)
        weight = check_weight(weight)
    else:
        concept, weight = None, 1.0
    return await store.add_rule(session, guild_id, term, action, concept=concept, weight=weight, created_by=created_by)


async def remove_rule(session: AsyncSession, guild_id: int, term: str, action: str | None = None) -> int:
    """Remove a term's rules (of one action, or all); returns how many went."""
    return await store.remove_rule(session, guild_id, " ".join(term.split()).lower(), action)


async def set_threshold(session: AsyncSession, guild_id: int, threshold: float | None) -> int:
    """Set (or with None reset) the guild's alert threshold; returns the new rules version."""
    return await store.set_threshold(session, guild_id, check_threshold(threshold))


def _guild_rules(stored: store.StoredRules) -> GuildRules:
    return GuildRules(
        guild_id=stored.guild_id,
        version=stored.version,
        added=tuple(RuleTerm(term, concept, weight) for term, concept, weight in stored.added),
        blocked=stored.blocked,
        forced=stored.forced,
        threshold=stored.threshold,
    )


async def load_rules_for(session: AsyncSession, guild_ids: Iterable[int]) -> dict[int, GuildRules]:
    """Rules of every listed guild that has tuned its classifier (untuned guilds are left out)."""
    return {gid: _guild_rules(stored) for gid, stored in (await store.load_rules_for(session, guild_ids)).items()}


async def load_guild_rules(session: AsyncSession, guild_id: int) -> GuildRules:
    """The guild's rules; an untuned guild (every change bumps rules_version) gets the defaults."""
    return (await load_rules_for(session, [guild_id])).get(guild_id) or GuildRules(guild_id=guild_id)


async def recent_stories(
    session: AsyncSession, guild_id: int, days: float, *, now: datetime | None = None, limit: int = 5000
) -> list[StoryText]:
    """The recent stories as the guild may see them (servers are tenants: a preview names stories by headline)."""
    rows = await store.recent_stories(session, days, now=now, limit=limit, guild_id=guild_id)
    texts = {r.id: StoryText(r.id, r.title, r.summary, r.language, r.embedding) for r in rows}
    partial = await partly_out_of_scope(session, list(texts), guild_id)
    for story_id, (story, articles) in (await alert_views.story_rows(session, partial)).items():
        scoped = scope_story(story, articles, guild_id)
        if scoped is not None:
            lead = scoped.lead.article
            texts[story_id] = StoryText(story_id, scoped.title, scoped.summary, scoped.language, lead.embedding)
    return [texts[r.id] for r in rows]


async def backtest_proposal(
    session: AsyncSession,
    guild_id: int,
    proposed: GuildRules,
    days: float = 30,
    *,
    pool: ParsePool | None = None,
    learned: bool = False,
    now: datetime | None = None,
) -> BacktestResult:
    """Re-score the last `days` of stories under the guild's current rules and under `proposed`; nothing is
    saved. Build `proposed` from `load_guild_rules(...)` with GuildRules.with_added/with_blocked/... .

    The stories are read here; compiling both rule sets and scoring up to 5,000 stories twice (seconds of CPU)
    runs in `pool`, a worker process bounded in time and memory, so the bot's event loop answers every other
    server meanwhile. Without a pool (the CLI, tests) it runs in the caller. `learned`: decide with the trained
    model on the stored embeddings, as the bot does unless BREACHWATCH_ENCODER is `none`.
    """
    current = await load_guild_rules(session, guild_id)
    stories = await recent_stories(session, guild_id, days, now=now)
    return await rescore(stories, current, proposed, pool=pool, learned=learned)


async def rescore(
    stories: list[StoryText],
    current: GuildRules,
    proposed: GuildRules,
    *,
    pool: ParsePool | None = None,
    learned: bool = False,
) -> BacktestResult:
    """The backtest of loaded stories, in `pool` when there is one. The pool's errors (PoolBusy, WorkerTimeout,
    WorkerMemory) reach the caller, which tells the user."""
    if pool is None:
        return backtest_rules(stories, current, proposed, learned)
    return await pool.run(backtest_rules, stories, current, proposed, learned)


def check_rule_count(current: GuildRules, proposed: GuildRules, max_rules: int) -> None:
    """Refuse a change that leaves the guild more than `max_rules` rules; one that only shrinks an over-full set
    (the operator lowered the cap) is let through, so a server can always get back under it."""
    after = proposed.rule_count
    if after > max_rules and after > current.rule_count:
        raise RuleError("rules.too_many", limit=max_rules, count_after=after)


async def apply_ops(
    session: AsyncSession,
    guild_id: int,
    ops: list[RuleOp],
    user_id: int | None = None,
    *,
    max_rules: int | None = None,
) -> int:
    """Store a previewed change; returns the guild's new rules version. With `max_rules`, a change that would
    leave more rules than that raises RuleError (checked against the rules as stored now, not as previewed)."""
    if max_rules is not None:
        current = await load_guild_rules(session, guild_id)
        check_rule_count(current, apply_to(current, ops), max_rules)
    for op in ops:
        if op.action == "add":
            await add_rule(session, guild_id, op.term, "add", concept=op.concept, weight=op.weight, created_by=user_id)
        elif op.action in ("block", "force"):
            await add_rule(session, guild_id, op.term, op.action, created_by=user_id)
        elif op.action == "remove":
            await remove_rule(session, guild_id, op.term)
        else:
            await set_threshold(session, guild_id, op.threshold)
    return await store.bump_rules_version(session, guild_id)
