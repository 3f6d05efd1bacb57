"""Per-guild keyword rules and threshold in SQL, and the recent stories a backtest re-scores.

Queries only: terms, concepts, weights and thresholds arrive checked, and the classifier's GuildRules are built
from what is loaded here, by the service in bot/tuning.py. Functions take an AsyncSession and flush; the caller owns
the transaction. Every change bumps the guild's rules_version, which is the key the classifier cache uses, so the
next classification recompiles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.models import Article, GuildSettings, KeywordRule, Story
from storage.scope import story_visible_to


@dataclass(frozen=True, slots=True)
class StoredRules:
    """A tuned guild's rules as stored."""

    guild_id: int
    version: int
    added: tuple[tuple[str, str, float], ...]  # (term, concept, weight)
    blocked: tuple[str, ...]
    forced: tuple[str, ...]
    threshold: float | None


@dataclass(frozen=True, slots=True)
class RecentStory:
    id: int
    title: str
    summary: str
    language: str | None
    embedding: bytes | None  # stored with the story's lead article


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
    concept: str | None,
    weight: float,
    created_by: int | None = None,
) -> KeywordRule:
    """Add (or replace) a checked rule: the (guild, term, action) row gets this concept and weight."""
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
    """Remove a term's rules (of one action, or all); `term` in its stored form. Returns how many went."""
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
    row = await _settings(session, guild_id)
    row.threshold = threshold
    return await bump_rules_version(session, guild_id)


async def recent_stories(
    session: AsyncSession,
    days: float,
    *,
    now: datetime | None = None,
    limit: int = 5000,
    guild_id: int | None = None,
) -> list[RecentStory]:
    """The stories first seen in the last `days`, newest first, with their lead article's stored embedding; with
    `guild_id`, only those the guild may see (storage.scope)."""
    since = (now or utcnow()) - timedelta(days=days)
    query = (
        select(Story.id, Story.title, Story.summary, Story.language, Article.embedding)
        .outerjoin(Article, Article.id == Story.lead_article_id)
        .where(Story.first_seen_at >= since)
        .order_by(Story.first_seen_at.desc(), Story.id.desc())
        .limit(limit)
    )
    if guild_id is not None:
        query = query.where(story_visible_to(guild_id))
    rows = await session.execute(query)
    return [RecentStory(r.id, r.title or "", r.summary or "", r.language, r.embedding) for r in rows]


async def load_rules_for(session: AsyncSession, guild_ids: Iterable[int]) -> dict[int, StoredRules]:
    """Rules of every listed guild that has tuned its classifier, in two queries per 500 guilds."""
    ids = sorted(set(guild_ids))
    out: dict[int, StoredRules] = {}
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
                terms[rule.guild_id]["add"].append((rule.term, rule.concept, rule.weight))
            elif rule.action in ("block", "force"):
                terms[rule.guild_id][rule.action].append(rule.term)
        for gid, row in tuned.items():
            out[gid] = StoredRules(
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
