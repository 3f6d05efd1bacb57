"""Servers are tenants: what a guild may see of a story comes only from the articles of sources in its scope, the
operator's (guild 0) and its own. Stories group articles from every source, so every read model filters by this."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.sql.elements import ColumnElement

from storage.models import GLOBAL_SCOPE, Article, Source


def scopes_of(guild_id: int) -> tuple[int, ...]:
    """The source scopes a guild sees: the operator's, and its own (the operator's console sees only its own)."""
    return (GLOBAL_SCOPE,) if guild_id == GLOBAL_SCOPE else (GLOBAL_SCOPE, guild_id)


def visible_to(source_guild: int, guild_id: int) -> bool:
    return source_guild in scopes_of(guild_id)


def article_in_scope(guild_id: int) -> ColumnElement[bool]:
    """Articles a guild may see. The source that first stored an article is the one whose text it holds (only that
    source edits it, storage.articles), so that source, not any other feed carrying the same link, decides."""
    return Article.source_id.in_(select(Source.id).where(Source.guild_id.in_(scopes_of(guild_id))))
