"""Autocomplete for `/search`'s filters: the categories of recent stories and the sources a guild may name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Source
from storage.scope import IN_SCOPE_SQL

AUTOCOMPLETE_LIMIT = 25
# Categories are read from this many newest stories: a scan of the whole archive would be too slow to autocomplete.
CATEGORY_SCAN = 20_000


async def category_choices(
    session: AsyncSession, prefix: str = "", limit: int = AUTOCOMPLETE_LIMIT, *, guild_id: int | None = None
) -> list[str]:
    """Distinct categories of recent stories that start with `prefix` (case-insensitive), for autocomplete; with
    `guild_id`, of the stories that guild may see."""
    dialect = session.get_bind().dialect.name
    scope = " WHERE " + IN_SCOPE_SQL.format(story="st.id") if guild_id is not None else ""
    recent = f"SELECT categories FROM stories st{scope} ORDER BY st.id DESC LIMIT :scan"
    if dialect == "sqlite":
        sql = f"""SELECT DISTINCT j.value AS category
                 FROM ({recent}) s, json_each(s.categories) j
                 WHERE lower(j.value) LIKE :prefix ESCAPE '\\' ORDER BY 1 LIMIT :limit"""
    else:
        sql = f"""SELECT DISTINCT c AS category
                 FROM ({recent}) s, jsonb_array_elements_text(s.categories) c
                 WHERE lower(c) LIKE :prefix ESCAPE '\\' ORDER BY 1 LIMIT :limit"""
    params: dict[str, Any] = {
        "scan": CATEGORY_SCAN,
        "prefix": _like_prefix(prefix),
        "limit": min(limit, AUTOCOMPLETE_LIMIT),
    }
    if guild_id is not None:
        params["scope_guild"] = guild_id
    return [str(r) for r in (await session.execute(text(sql), params)).scalars()]


@dataclass(frozen=True)
class SourceChoice:
    name: str
    url: str


async def source_choices(
    session: AsyncSession, prefix: str = "", *, guild_id: int | None = None, limit: int = AUTOCOMPLETE_LIMIT
) -> list[SourceChoice]:
    """Sources whose name starts with, or whose URL contains, `prefix`; a guild sees global ones and its own."""
    needle = prefix.strip().lower()
    stmt = select(Source.name, Source.url).distinct()
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            Source.name.ilike(escaped + "%", escape="\\") | Source.url.ilike("%" + escaped + "%", escape="\\")
        )
    if guild_id is not None:
        stmt = stmt.where(Source.guild_id.in_([0, guild_id]))
    stmt = stmt.order_by(Source.name, Source.url).limit(min(limit, AUTOCOMPLETE_LIMIT))
    rows = (await session.execute(stmt)).all()
    return [SourceChoice(name=name or url, url=url) for name, url in rows]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
