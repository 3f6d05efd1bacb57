"""`/search`: ranked full-text search over stories, on SQLite FTS5 or PostgreSQL full text, behind one function.

Ranking: the newest SEARCH_WINDOW stories that match (and pass the filters) are ranked by relevance (BM25 on
SQLite, ts_rank on PostgreSQL; titles weigh most, then summaries, then outlet names). Bounding the ranked set keeps
a common word fast on a million stories; a query that matches more says so with `total_capped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.search_query import STEMMERS, ParsedQuery, stem_prefix
from storage.models import Source
from storage.search_schema import PG_CONFIG, rebuild_statements
from storage.types import JSONType, UTCDateTime

SEARCH_WINDOW = 1000
SUMMARY_LINE_CHARS = 160
AUTOCOMPLETE_LIMIT = 25
# Categories are read from this many newest stories: a scan of the whole archive would be too slow to autocomplete.
CATEGORY_SCAN = 20_000


@dataclass(frozen=True)
class SearchHit:
    story_id: int
    headline: str
    outlet_count: int
    first_seen: datetime
    summary_line: str
    language: str | None
    categories: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int  # matching stories, at most SEARCH_WINDOW
    total_capped: bool  # more stories match than were ranked: refine the query to see older ones
    offset: int
    limit: int
    notes: tuple[str, ...] = ()

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def summary_line(summary: str, limit: int = SUMMARY_LINE_CHARS) -> str:
    line = " ".join(summary.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _variants(word: str, languages: Sequence[str] | None) -> tuple[str, str | None]:
    # A stem prefix of the word also matches the word itself, so one of the two is enough.
    return word, stem_prefix(word, languages)


# Every word reaching these builders is letters and digits only (bot.search_query guarantees it), so quoting is
# enough to keep it a plain token.
def _fts5_word(word: str, languages: Sequence[str] | None) -> str:
    exact, prefix = _variants(word, languages)
    if prefix is None:
        return f'"{exact}"'
    return f'"{prefix}"*'


def fts5_expression(query: ParsedQuery, languages: Sequence[str] | None = None) -> str:
    positive = [_fts5_word(w, languages) for w in query.terms]
    positive += ['"' + " ".join(p) + '"' for p in query.phrases]
    expr = " AND ".join(positive)
    for words in query.excluded:
        expr += " NOT " + (_fts5_word(words[0], languages) if len(words) == 1 else '"' + " ".join(words) + '"')
    return expr


def _ts_word(word: str, languages: Sequence[str] | None) -> str:
    exact, prefix = _variants(word, languages)
    return f"'{exact}'" if prefix is None else f"'{prefix}':*"


def tsquery_expression(query: ParsedQuery, languages: Sequence[str] | None = None) -> str:
    def phrase(words: Sequence[str]) -> str:
        return "(" + " <-> ".join(f"'{w}'" for w in words) + ")"

    parts = [_ts_word(w, languages) for w in query.terms]
    parts += [phrase(p) for p in query.phrases]
    parts += ["!" + (_ts_word(w[0], languages) if len(w) == 1 else phrase(w)) for w in query.excluded]
    return " & ".join(parts)


async def _source_ids(session: AsyncSession, source: str) -> list[int]:
    wanted = source.strip()
    rows = await session.execute(select(Source.id).where((Source.url == wanted) | (Source.name.ilike(wanted))))
    return [int(r) for r in rows.scalars()]


async def search_stories(
    session: AsyncSession,
    query: ParsedQuery,
    *,
    category: str | None = None,
    language: str | None = None,
    days: int | None = None,
    source: str | None = None,
    limit: int = 10,
    offset: int = 0,
    now: datetime | None = None,
) -> SearchPage:
    """One page of stories matching `query` and the filters, best first (see the module docstring for ranking)."""
    limit = max(1, min(limit, 50))
    offset = max(0, offset)
    notes = list(query.notes)
    dialect = session.get_bind().dialect.name
    filters: list[str] = []
    params: dict[str, Any] = {"window": SEARCH_WINDOW, "limit": limit, "offset": offset}
    binds: list[Any] = []
    languages = [language] if language in STEMMERS else None
    if category:
        params["category"] = category
        filters.append(
            "EXISTS (SELECT 1 FROM json_each(s.categories) j WHERE j.value = :category)"
            if dialect == "sqlite"
            else "s.categories ? :category"
        )
    if language:
        params["language"] = language
        filters.append("s.language = :language")
    if days is not None:
        params["cutoff"] = (now or datetime.now(UTC)) - timedelta(days=max(0, days))
        binds.append(bindparam("cutoff", type_=UTCDateTime()))
        filters.append("s.first_seen_at >= :cutoff")
    if source:
        ids = await _source_ids(session, source)
        if not ids:
            notes.append(f"No source is called “{source}”; pick one from the list.")
            return SearchPage((), 0, False, offset, limit, tuple(notes))
        params["source_ids"] = ids
        binds.append(bindparam("source_ids", expanding=True, type_=Integer()))
        filters.append("EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id AND a.source_id IN :source_ids)")

    where = "".join(f" AND {f}" for f in filters)
    if dialect == "sqlite":
        params["q"] = fts5_expression(query, languages)
        # f.rowid is the story id: FTS5 walks its doclist newest first and stops after the window.
        sql = f"""
        WITH cand AS (
            SELECT f.rowid AS id, bm25(story_fts, 4.0, 1.0, 0.5) AS score
            FROM story_fts f JOIN stories s ON s.id = f.rowid
            WHERE story_fts MATCH :q{where}
            ORDER BY f.rowid DESC LIMIT :window)
        SELECT s.id, s.title, s.summary, s.outlet_count, s.first_seen_at, s.language, s.categories,
               -c.score AS score, (SELECT count(*) FROM cand) AS total
        FROM cand c JOIN stories s ON s.id = c.id
        ORDER BY c.score, s.id DESC LIMIT :limit OFFSET :offset"""
    else:
        params["q"] = tsquery_expression(query, languages)
        binds.append(bindparam("q", type_=String()))
        join = " JOIN stories s ON s.id = ss.story_id" if filters else ""
        sql = f"""
        WITH cand AS MATERIALIZED (
            SELECT ss.story_id AS id, ss.tsv
            FROM story_search ss{join}
            WHERE ss.tsv @@ to_tsquery('{PG_CONFIG}', :q){where}
            ORDER BY ss.story_id DESC LIMIT :window),
        ranked AS (
            SELECT id, ts_rank('{{0.1, 0.3, 0.5, 1.0}}', tsv, to_tsquery('{PG_CONFIG}', :q)) AS score,
                   count(*) OVER () AS total
            FROM cand)
        SELECT s.id, s.title, s.summary, s.outlet_count, s.first_seen_at, s.language, s.categories,
               r.score, r.total
        FROM ranked r JOIN stories s ON s.id = r.id
        ORDER BY r.score DESC, s.id DESC LIMIT :limit OFFSET :offset"""
        # A generic plan cannot know how common the words are, and would pick the wrong index.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    stmt = (
        text(sql)
        .bindparams(*binds)
        .columns(first_seen_at=UTCDateTime(), categories=JSONType)  # type: ignore[arg-type]
    )
    rows = (await session.execute(stmt, params)).all()
    total = int(rows[0].total) if rows else await _count_beyond(session, stmt, params, offset)
    hits = tuple(
        SearchHit(
            story_id=int(r.id),
            headline=r.title,
            outlet_count=int(r.outlet_count),
            first_seen=r.first_seen_at,
            summary_line=summary_line(r.summary),
            language=r.language,
            categories=tuple(r.categories or ()),
            score=float(r.score),
        )
        for r in rows
    )
    return SearchPage(hits, total, total >= SEARCH_WINDOW, offset, limit, tuple(notes))


async def _count_beyond(session: AsyncSession, stmt: Any, params: dict[str, Any], offset: int) -> int:
    """The total when the page is empty: zero, unless the user paged past the end of a non-empty result."""
    if offset == 0:
        return 0
    rows = (await session.execute(stmt, {**params, "offset": 0, "limit": 1})).all()
    return int(rows[0].total) if rows else 0


async def category_choices(session: AsyncSession, prefix: str = "", limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    """Distinct categories of recent stories that start with `prefix` (case-insensitive), for autocomplete."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        sql = """SELECT DISTINCT j.value AS category
                 FROM (SELECT categories FROM stories ORDER BY id DESC LIMIT :scan) s, json_each(s.categories) j
                 WHERE lower(j.value) LIKE :prefix ESCAPE '\\' ORDER BY 1 LIMIT :limit"""
    else:
        sql = """SELECT DISTINCT c AS category
                 FROM (SELECT categories FROM stories ORDER BY id DESC LIMIT :scan) s,
                      jsonb_array_elements_text(s.categories) c
                 WHERE lower(c) LIKE :prefix ESCAPE '\\' ORDER BY 1 LIMIT :limit"""
    params = {"scan": CATEGORY_SCAN, "prefix": _like_prefix(prefix), "limit": min(limit, AUTOCOMPLETE_LIMIT)}
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


async def rebuild_search_index(session: AsyncSession) -> None:
    """Re-index every story from scratch: after a bulk import with triggers off, or to repair the index."""
    for statement in rebuild_statements(session.get_bind().dialect.name):
        await session.execute(text(statement))
