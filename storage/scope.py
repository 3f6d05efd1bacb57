"""Servers are tenants: what a guild may see of a story comes only from the articles of sources in its scope, the
operator's (guild 0) and its own. Stories group articles from every source, so every read model filters by this."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.models import GLOBAL_SCOPE, Article, Source, Story

# The same test in SQL text, for the search statements written as text: `{story}` is the story id's column, and the
# statement binds :scope_guild.
IN_SCOPE_SQL = """EXISTS (SELECT 1 FROM articles sa JOIN sources sc ON sc.id = sa.source_id
               WHERE sa.story_id = {story} AND sc.guild_id IN (0, :scope_guild))"""


def scopes_of(guild_id: int) -> tuple[int, ...]:
    """The source scopes a guild sees: the operator's, and its own (the operator's console sees only its own)."""
    return (GLOBAL_SCOPE,) if guild_id == GLOBAL_SCOPE else (GLOBAL_SCOPE, guild_id)


def visible_to(source_guild: int, guild_id: int) -> bool:
    return source_guild in scopes_of(guild_id)


def article_in_scope(guild_id: int, source_id: Any = Article.source_id) -> ColumnElement[bool]:
    """Articles a guild may see (`source_id`: the column of an aliased articles table). The source that first stored
    an article is the one whose text it holds (only that source edits it, storage.articles), so that source, not any
    other feed carrying the same link, decides."""
    return cast(ColumnElement[bool], source_id.in_(select(Source.id).where(Source.guild_id.in_(scopes_of(guild_id)))))


def story_visible_to(guild_id: int) -> ColumnElement[bool]:
    """Stories with at least one article the guild may see: the others do not exist for it."""
    # Aliased, so that a query which joins articles itself (a story's lead) does not swallow this one's.
    mine = aliased(Article)
    return select(mine.id).where(mine.story_id == Story.id, article_in_scope(guild_id, mine.source_id)).exists()


async def partly_out_of_scope(session: AsyncSession, story_ids: Collection[int], guild_id: int) -> set[int]:
    """Those of `story_ids` holding an article the guild may not see: their own headline, summary and facts, drawn
    from every article, must not be shown to it as they are."""
    if not story_ids:
        return set()
    rows = await session.execute(
        select(Article.story_id)
        .join(Source, Source.id == Article.source_id)
        .where(Article.story_id.in_(list(story_ids)), Source.guild_id.not_in(scopes_of(guild_id)))
        .distinct()
    )
    return {i for i in rows.scalars() if i is not None}
