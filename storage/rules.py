"""Per-guild keyword rules and threshold, and the stories a backtest re-scores.

Functions take an AsyncSession and flush; the caller owns the transaction. Every change bumps the guild's
rules_version, which is the key the classifier cache uses, so the next classification recompiles.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.classify.backtest import BacktestResult, StoryText, backtest
from bot.classify.judge import Judge
from bot.classify.proposals import RuleOp
from bot.classify.rules import (
    ACTIONS,
    ClassifierCache,
    GuildRules,
    RuleError,
    RuleTerm,
    check_concept,
    check_threshold,
    check_weight,
    clean_term,
    compile_rules,
)
from bot.core.clock import utcnow
from storage.models import Article, GuildSettings, KeywordRule, Story


async def _settings(session: AsyncSession, guild_id: int) -> GuildSettings:
    row = await session.get(GuildSettings, guild_id)
    if row is None:
        row = GuildSettings(guild_id=guild_id, rules_version=0)
        session.add(row)
        await session.flush()
    return row


async def bump_rules_version(session: AsyncSession, guild_id: int) -> int:
    row = await _settings(session, guild_id)
    row.rules_version = (row.rules_version or 0) + 1
    row.updated_at = utcnow()
    await session.flush()
    return row.rules_version


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
        raise RuleError(f"action is one of {', '.join(ACTIONS)}")
    term = clean_term(term)
    if action == "add":
        if concept is None:
            raise RuleError("adding a term needs a concept")
        concept = check_concept(concept)
        weight = check_weight(weight)
    else:
        concept, weight = None, 1.0
    existing = await session.scalar(
        select(KeywordRule).where(
            KeywordRule.guild_id == guild_id, KeywordRule.term == term, KeywordRule.action == action
        )
    )
    if existing is None:
        existing = KeywordRule(guild_id=guild_id, term=term, action=action)
        session.add(existing)
    existing.concept = concept
    existing.weight = weight
    existing.created_by = created_by
    existing.created_at = utcnow()
    await bump_rules_version(session, guild_id)
    return existing


async def remove_rule(session: AsyncSession, guild_id: int, term: str, action: str | None = None) -> int:
    """Remove a term's rules (of one action, or all); returns how many went."""
    term = " ".join(term.split()).lower()
    stmt = delete(KeywordRule).where(KeywordRule.guild_id == guild_id, KeywordRule.term == term)
    if action is not None:
        stmt = stmt.where(KeywordRule.action == action)
    result = await session.execute(stmt)
    removed = int(getattr(result, "rowcount", 0) or 0)
    if removed:
        await bump_rules_version(session, guild_id)
    return removed


async def list_rules(session: AsyncSession, guild_id: int) -> list[KeywordRule]:
    rows = await session.scalars(
        select(KeywordRule).where(KeywordRule.guild_id == guild_id).order_by(KeywordRule.action, KeywordRule.term)
    )
    return list(rows)


async def set_threshold(session: AsyncSession, guild_id: int, threshold: float | None) -> int:
    """Set (or with None reset) the guild's alert threshold; returns the new rules version."""
    check_threshold(threshold)
    row = await _settings(session, guild_id)
    row.threshold = threshold
    return await bump_rules_version(session, guild_id)


async def load_guild_rules(session: AsyncSession, guild_id: int) -> GuildRules:
    """The guild's rules; an untuned guild (every change bumps rules_version) gets the defaults."""
    return (await load_rules_for(session, [guild_id])).get(guild_id) or GuildRules(guild_id=guild_id)


async def recent_stories(
    session: AsyncSession, days: float, *, now: datetime | None = None, limit: int = 5000
) -> list[StoryText]:
    since = (now or utcnow()) - timedelta(days=days)
    rows = await session.execute(
        select(Story.id, Story.title, Story.summary, Story.language, Article.embedding)
        .outerjoin(Article, Article.id == Story.lead_article_id)
        .where(Story.first_seen_at >= since)
        .order_by(Story.first_seen_at.desc(), Story.id.desc())
        .limit(limit)
    )
    return [StoryText(r.id, r.title or "", r.summary or "", r.language, r.embedding) for r in rows]


async def backtest_proposal(
    session: AsyncSession,
    guild_id: int,
    proposed: GuildRules,
    days: float = 30,
    *,
    cache: ClassifierCache | None = None,
    now: datetime | None = None,
    judge: Judge | None = None,
) -> BacktestResult:
    """Re-score the last `days` of stories under the guild's current rules and under `proposed`; nothing is
    saved. Build `proposed` from `load_guild_rules(...)` with GuildRules.with_added/with_blocked/... ."""
    current_rules = await load_guild_rules(session, guild_id)
    current = (cache or ClassifierCache()).get(current_rules)
    stories = await recent_stories(session, days, now=now)
    return backtest(stories, current, compile_rules(proposed), judge)


async def load_rules_for(session: AsyncSession, guild_ids: Iterable[int]) -> dict[int, GuildRules]:
    """Rules of every listed guild that has tuned its classifier, in two queries per 500 guilds."""
    ids = sorted(set(guild_ids))
    out: dict[int, GuildRules] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        tuned = {
            s.guild_id: s
            for s in (
                await session.execute(
                    select(GuildSettings).where(GuildSettings.guild_id.in_(chunk), GuildSettings.rules_version > 0)
                )
            ).scalars()
        }
        if not tuned:
            continue
        terms: dict[int, dict[str, list[Any]]] = {g: {"add": [], "block": [], "force": []} for g in tuned}
        rules = await session.execute(select(KeywordRule).where(KeywordRule.guild_id.in_(list(tuned))))
        for rule in rules.scalars():
            if rule.action == "add" and rule.concept:
                terms[rule.guild_id]["add"].append(RuleTerm(rule.term, rule.concept, rule.weight))
            elif rule.action in ("block", "force"):
                terms[rule.guild_id][rule.action].append(rule.term)
        for gid, row in tuned.items():
            out[gid] = GuildRules(
                guild_id=gid,
                version=row.rules_version,
                added=tuple(terms[gid]["add"]),
                blocked=tuple(terms[gid]["block"]),
                forced=tuple(terms[gid]["force"]),
                threshold=row.threshold,
            )
    return out


async def tuned_guilds(session: AsyncSession) -> set[int]:
    """Guilds that changed their classifier; only they can alert on a story the defaults reject."""
    rows = await session.execute(select(GuildSettings.guild_id).where(GuildSettings.rules_version > 0))
    return set(rows.scalars())


async def apply_ops(session: AsyncSession, guild_id: int, ops: list[RuleOp], user_id: int | None = None) -> int:
    """Store a previewed change; returns the guild's new rules version."""
    for op in ops:
        if op.action == "add":
            await add_rule(session, guild_id, op.term, "add", concept=op.concept, weight=op.weight, created_by=user_id)
        elif op.action in ("block", "force"):
            await add_rule(session, guild_id, op.term, op.action, created_by=user_id)
        elif op.action == "remove":
            await remove_rule(session, guild_id, op.term)
        else:
            await set_threshold(session, guild_id, op.threshold)
    return await bump_rules_version(session, guild_id)
