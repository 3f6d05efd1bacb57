"""`/search`: ranked full-text search over stories, on SQLite FTS5 or PostgreSQL full text, behind one function.

Two steps. The index returns the newest SEARCH_WINDOW candidate stories that may match (and pass the filters):
terms become stem prefixes shortened to a length the index has precomputed (PREFIX_LENGTHS), so even a word found
in half the archive costs a short index walk, not a merge of every posting. Then bot.core.search_rank checks each
candidate exactly and scores it (title over summary over outlets), identically on both databases. Bounding the
ranked set keeps a common word fast on a million stories; a query that matches more says so with `total_capped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.core.languages import STEMMERS
from bot.core.notes import Note
from bot.core.search_query import ParsedQuery, stem_prefix, words
from bot.core.search_rank import Ranker
from storage.models import Article, Source, Story
from storage.scope import IN_SCOPE_SQL, article_in_scope, partly_out_of_scope, scopes_of
from storage.search_schema import PG_CONFIG, PREFIX_LENGTHS, rebuild_statements
from storage.search_terms import RARE_ROWS, Lexeme, Part, positive_parts, rare_part, term_stats
from storage.types import UTCDateTime

SEARCH_WINDOW = 200
# PostgreSQL: story ids read newest first before judging how common the query is, and how far walking may go on.
PG_PROBE_ROWS = 4_000
PG_WALK_LIMIT = 24_000


@dataclass(frozen=True)
class PgWalk:
    """How far PostgreSQL's candidate search walks the index (see _pg_candidates); tests shrink it to reach
    every step on a small archive."""

    probe_rows: int = PG_PROBE_ROWS
    walk_limit: int = PG_WALK_LIMIT
    rare_rows: int = RARE_ROWS  # storage.search_terms; 0: never ask GIN for a rare part alone


SUMMARY_LINE_CHARS = 160


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
    total: int  # matching stories among the ranked ones, at most SEARCH_WINDOW
    total_capped: bool  # more stories may match than were ranked: add filters or words to reach older ones
    offset: int
    limit: int
    notes: tuple[Note, ...] = ()

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def summary_line(summary: str, limit: int = SUMMARY_LINE_CHARS) -> str:
    line = " ".join(summary.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def index_prefix(word: str, languages: Sequence[str] | None) -> str | None:
    """The prefix the index is asked for: the stem cut to the longest precomputed length (None: exact word)."""
    stem = stem_prefix(word, languages)
    if stem is None:
        return None
    return stem[: max(n for n in PREFIX_LENGTHS if n <= len(stem))]


# Every word reaching these builders is letters and digits only (bot.core.search_query guarantees it), so quoting is
# enough to keep it a plain token. Exclusions use the exact word only: excluding by a shortened prefix would drop
# stories that do match; the ranker removes inflected forms afterwards.
def fts5_expression(
    query: ParsedQuery, languages: Sequence[str] | None = None, *, tags: Sequence[Sequence[str]] = ()
) -> str:
    """The MATCH expression: the user's words in the text columns, and each tag alternative set in `tags`."""

    def term(word: str) -> str:
        prefix = index_prefix(word, languages)
        return f'"{word}"' if prefix is None else f'"{prefix}"*'

    positive = [term(w) for w in query.terms] + ['"' + " ".join(p) + '"' for p in query.phrases]
    expr = " AND ".join(positive)
    for excluded in query.excluded:
        expr += ' NOT "' + " ".join(excluded) + '"'
    expr = "{title body outlets} : (" + expr + ")"
    for alternatives in tags:
        expr += " AND tags : (" + " OR ".join(f'"{tag}"' for tag in alternatives) + ")"
    return expr


def _tag(kind: str, value: str) -> str:
    return " ".join(["zz" + kind, *words(value), "zzend"])


def tsquery_expression(query: ParsedQuery, languages: Sequence[str] | None = None) -> str:
    parts = [p.tsquery() for p in positive_parts(query, languages)]
    parts += ["!" + Part(tuple(Lexeme(w, False) for w in excluded), True).tsquery() for excluded in query.excluded]
    return " & ".join(parts)


async def _source_ids(session: AsyncSession, source: str, guild_id: int | None) -> list[int]:
    wanted = source.strip()
    query = select(Source.id).where((Source.url == wanted) | (func.lower(Source.name) == wanted.lower()))
    if guild_id is not None:
        query = query.where(Source.guild_id.in_(scopes_of(guild_id)))
    return [int(r) for r in (await session.execute(query)).scalars()]


# A story is a candidate for a guild only with an article of a source in its scope (storage.scope); `story` names
# the story id column of the index table the query walks. A `source:` filter needs no such test: its sources are
# picked from the guild's scope, so every story they carry has an article in it.


@dataclass(frozen=True)
class _ScopedText:
    """A story whose articles are not all in the guild's scope, indexed and shown from those that are."""

    title: str
    body: str
    outlets: str
    headline: str
    summary: str
    outlet_count: int
    language: str | None
    categories: tuple[str, ...]


async def _scoped_texts(session: AsyncSession, story_ids: Sequence[int], guild_id: int) -> dict[int, _ScopedText]:
    """For the stories of `story_ids` with an article out of the guild's scope, the texts of those in scope (the
    same fields the index holds, storage.search_schema): the ranker and the hit see nothing else."""
    if not story_ids:
        return {}
    mixed_ids = sorted(await partly_out_of_scope(session, story_ids, guild_id))
    if not mixed_ids:
        return {}
    rows = await session.execute(
        select(
            Article.story_id,
            Article.id,
            Article.title,
            Article.summary,
            Article.outlet,
            Article.language,
            Article.categories,
            Source.name,
            Story.lead_article_id,
            Story.language,
        )
        .join(Source, Source.id == Article.source_id)
        .join(Story, Story.id == Article.story_id)
        .where(Article.story_id.in_(mixed_ids), article_in_scope(guild_id))
        .order_by(Article.first_seen_at, Article.id)
    )
    by_story: dict[int, list[Any]] = {}
    for row in rows.all():
        if row[0] is not None:
            by_story.setdefault(row[0], []).append(row)
    texts = {}
    for story_id, articles in by_story.items():
        lead = next((a for a in articles if a[1] == a[8]), articles[0])
        outlets = [a[4] or a[7] or "" for a in articles]
        texts[story_id] = _ScopedText(
            title=" ".join([lead[2], *(a[2] for a in articles if a[2] != lead[2])]),
            body=" ".join([lead[3], *(a[3] for a in articles if a[3] != lead[3])]),
            outlets=" ".join(outlets),
            headline=lead[2],
            summary=lead[3],
            outlet_count=len({o for o in outlets if o}) or 1,
            language=lead[9] if lead[1] == lead[8] else (lead[5] or "")[:2].lower() or None,
            categories=tuple(sorted({c for a in articles for c in (a[6] or ())})),
        )
    return texts


@dataclass
class _Filters:
    category: str | None
    language: str | None
    cutoff: datetime | None
    min_story_id: int | None  # stories below this id were first seen before the cutoff
    source_ids: list[int] | None
    guild_id: int | None = None  # only stories with an article in this guild's scope; None: every story


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
    walk: PgWalk = PgWalk(),
    guild_id: int | None = None,
) -> SearchPage:
    """One page of stories matching `query` and the filters, best first (see the module docstring for ranking).

    With `guild_id`, as that guild may see the archive (storage.scope): a story none of whose articles is in its
    scope is not found, and a story only partly in it is matched, ranked and shown from the articles that are."""
    limit = max(1, min(limit, 50))
    offset = max(0, offset)
    notes = list(query.notes)
    languages = [language] if language in STEMMERS else None
    filters = _Filters(category or None, language or None, None, None, None, guild_id)
    if days is not None:
        filters.cutoff = (now or datetime.now(UTC)) - timedelta(days=max(0, days))
        if await session.scalar(select(Story.id).where(Story.first_seen_at >= filters.cutoff).limit(1)) is None:
            return SearchPage((), 0, False, offset, limit, tuple(notes))
        # Story ids grow with first_seen (a story is stored when first seen), so an id bound lets the index stop
        # walking at the cutoff. It is taken a day early: only a story stored over a day after it was first seen
        # (a bulk import) could fall outside it. The exact first_seen test still applies.
        filters.min_story_id = await session.scalar(
            select(Story.id)
            .where(Story.first_seen_at >= filters.cutoff - timedelta(days=1))
            .order_by(Story.first_seen_at, Story.id)
            .limit(1)
        )
    if source:
        filters.source_ids = await _source_ids(session, source, guild_id)
        if not filters.source_ids:
            notes.append(Note("search.note_unknown_source", {"source": source}))
            return SearchPage((), 0, False, offset, limit, tuple(notes))

    if session.get_bind().dialect.name == "sqlite":
        candidates = await _sqlite_candidates(session, query, languages, filters)
    else:
        candidates = await _pg_candidates(session, query, languages, filters, walk)
    scoped = await _scoped_texts(session, [int(c.id) for c in candidates], guild_id) if guild_id is not None else {}
    texts = []
    for c in candidates:
        alt = scoped.get(int(c.id))
        texts.append((int(c.id), alt.title, alt.body, alt.outlets) if alt else (int(c.id), c.title, c.body, c.outlets))
    ranker = Ranker(query, languages)
    scored = [
        (score, i) for i, title, body, outlets in texts if (score := ranker.score(title, body, outlets)) is not None
    ]
    scored.sort(key=lambda pair: (-pair[0], -pair[1]))
    page = scored[offset : offset + limit]
    stories = {}
    if page:
        rows = await session.execute(select(Story).where(Story.id.in_([story_id for _, story_id in page])))
        stories = {story.id: story for story in rows.scalars()}
    hits = tuple(
        _hit(story, score, scoped.get(story_id))
        for score, story_id in page
        if (story := stories.get(story_id)) is not None
    )
    return SearchPage(hits, len(scored), len(candidates) >= SEARCH_WINDOW, offset, limit, tuple(notes))


def _hit(story: Story, score: float, scoped: _ScopedText | None) -> SearchHit:
    """A result as the guild may see it: from its articles in scope when the story is only partly in scope."""
    if scoped is not None:
        headline, count, summary = scoped.headline, scoped.outlet_count, scoped.summary
        language, categories = scoped.language, scoped.categories
    else:
        headline, count, summary = story.title, story.outlet_count, story.summary
        language, categories = story.language, tuple(story.categories or ())
    return SearchHit(
        story_id=story.id,
        headline=headline,
        outlet_count=count,
        first_seen=story.first_seen_at,
        summary_line=summary_line(summary),
        language=language,
        categories=categories,
        score=score,
    )


async def _sqlite_candidates(
    session: AsyncSession, query: ParsedQuery, languages: Sequence[str] | None, filters: _Filters
) -> Sequence[Any]:
    tags: list[list[str]] = []
    if filters.category:
        tags.append([_tag("cat", filters.category)])
    if filters.language:
        tags.append([_tag("lang", filters.language)])
    if filters.source_ids:
        tags.append([f"zzsrc{i}" for i in filters.source_ids])
    params: dict[str, Any] = {"q": fts5_expression(query, languages, tags=tags), "window": SEARCH_WINDOW}
    join = where = ""
    binds = []
    if filters.cutoff is not None:
        join = " JOIN stories s ON s.id = f.rowid"
        where = " AND f.rowid >= :min_id AND s.first_seen_at >= :cutoff"
        params.update(min_id=filters.min_story_id, cutoff=filters.cutoff)
        binds.append(bindparam("cutoff", type_=UTCDateTime()))
    if filters.guild_id is not None and not filters.source_ids:
        where += " AND " + IN_SCOPE_SQL.format(story="f.rowid")
        params["scope_guild"] = filters.guild_id
    # f.rowid is the story id: FTS5 walks its doclists newest first and stops after the window.
    sql = f"""SELECT f.rowid AS id, f.title, f.body, f.outlets FROM story_fts f{join}
              WHERE story_fts MATCH :q{where} ORDER BY f.rowid DESC LIMIT :window"""
    return (await session.execute(text(sql).bindparams(*binds), params)).all()


async def _pg_candidates(
    session: AsyncSession, query: ParsedQuery, languages: Sequence[str] | None, filters: _Filters, limits: PgWalk
) -> Sequence[Any]:
    """Newest matches first. A query with a rare part (storage.search_terms) asks GIN for that part alone; any
    other in two steps, because a GIN bitmap cannot stop early.

    First the newest PG_PROBE_ROWS story ids are read in id order and tested one by one: a common query fills the
    window there in a few milliseconds. From the share that matched, walking on (up to PG_WALK_LIMIT more ids) or
    asking the GIN index for the older rows is chosen, whichever should read fewer rows.
    """
    params: dict[str, Any] = {"q": tsquery_expression(query, languages), "window": SEARCH_WINDOW}
    binds: list[Any] = [bindparam("q", type_=String())]
    conditions = []
    if filters.category:
        conditions.append("s.categories ? :category")
        params["category"] = filters.category
    if filters.language:
        conditions.append("s.language = :language")
        params["language"] = filters.language
    if filters.cutoff is not None:
        conditions.append("s.first_seen_at >= :cutoff AND ss.story_id >= :min_id")
        params.update(cutoff=filters.cutoff, min_id=filters.min_story_id)
        binds.append(bindparam("cutoff", type_=UTCDateTime()))
    join = " JOIN stories s ON s.id = ss.story_id" if conditions else ""
    if filters.guild_id is not None and not filters.source_ids:
        conditions.append(IN_SCOPE_SQL.format(story="ss.story_id"))
        params["scope_guild"] = filters.guild_id
    where = "".join(f" AND {c}" for c in conditions)
    # A generic plan cannot know how common the words are and would pick the wrong index; JIT compiling
    # costs more than these short queries run.
    await session.execute(
        text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)")
    )
    columns = "ss.story_id AS id, ss.title, ss.body, ss.outlets"
    match = f"ss.tsv @@ to_tsquery('{PG_CONFIG}', :q){where}"
    if filters.source_ids:
        # A source carries a small share of the archive: walk its stories newest first through the
        # (source_id, story_id) index rather than every match of the words.
        params["source_ids"] = filters.source_ids
        binds.append(bindparam("source_ids", expanding=True, type_=Integer()))
        by_source = f"""SELECT {columns}
            FROM (SELECT DISTINCT a.story_id FROM articles a
                  WHERE a.source_id IN :source_ids AND a.story_id IS NOT NULL ORDER BY a.story_id DESC) src
            JOIN story_search ss ON ss.story_id = src.story_id{join}
            WHERE {match} ORDER BY ss.story_id DESC LIMIT :window"""
        return (await session.execute(text(by_source).bindparams(*binds), params)).all()
    # The walks cover id spans, not row counts: the bounds of the next span are then known without reading the
    # index again (counting off N rows cost a second walk of the same rows). Ids are dense (stories are rarely
    # deleted), so a span of N ids holds at most N rows, and min/max are two index probes.
    bounds = (await session.execute(text("SELECT min(story_id), max(story_id) FROM story_search"))).one()
    if bounds[1] is None:
        return []
    oldest, newest = int(bounds[0]), int(bounds[1])
    stats = await term_stats(session) if limits.rare_rows else None
    rare = rare_part(positive_parts(query, languages), stats, newest - oldest + 1, limits.rare_rows) if stats else None
    if rare is not None:
        # Only the rare part is an index condition (a function call is never one): GIN returns its few rows,
        # and the whole query is checked on those.
        params["rare"] = rare.tsquery()
        binds.append(bindparam("rare", type_=String()))
        by_rare = f"""SELECT {columns} FROM story_search ss{join}
            WHERE ss.tsv @@ to_tsquery('{PG_CONFIG}', :rare) AND ts_match_vq(ss.tsv, to_tsquery('{PG_CONFIG}', :q))
            {where} ORDER BY ss.story_id DESC LIMIT :window"""
        return (await session.execute(text(by_rare).bindparams(*binds), params)).all()
    # Step 1: the newest ids, walked in id order (the subquery's LIMIT keeps PostgreSQL from using GIN here).
    walk = f"""SELECT {columns}
               FROM (SELECT * FROM story_search WHERE story_id >= :floor AND story_id < :below
                     ORDER BY story_id DESC LIMIT :rows) ss{join}
               WHERE {match} ORDER BY ss.story_id DESC LIMIT :want"""
    floor = newest + 1 - limits.probe_rows
    params.update(floor=floor, below=newest + 1, rows=limits.probe_rows, want=SEARCH_WINDOW)
    found = list((await session.execute(text(walk).bindparams(*binds), params)).all())
    want = SEARCH_WINDOW - len(found)
    if want <= 0 or floor <= oldest:
        return found
    # Step 2: from the density seen, walk on if that is cheap, else ask GIN, which costs per match.
    rows_needed = want * limits.probe_rows / max(len(found), 0.5)
    if rows_needed <= limits.walk_limit:
        params.update(floor=floor - limits.walk_limit, below=floor, rows=limits.walk_limit, want=want)
        found += (await session.execute(text(walk).bindparams(*binds), params)).all()
        floor -= limits.walk_limit
        want = SEARCH_WINDOW - len(found)
        if want <= 0 or floor <= oldest:
            return found
    gin = f"""SELECT {columns} FROM story_search ss{join}
              WHERE {match} AND ss.story_id < :below ORDER BY ss.story_id DESC LIMIT :want"""
    params.update(below=floor, want=want)
    return found + list((await session.execute(text(gin).bindparams(*binds), params)).all())


async def rebuild_search_index(db: AsyncSession | AsyncConnection) -> None:
    """Re-index every story from scratch: after a bulk import without the triggers, or to repair the index."""
    dialect = db.dialect if isinstance(db, AsyncConnection) else db.get_bind().dialect
    for statement in rebuild_statements(dialect.name):
        await db.execute(text(statement))
