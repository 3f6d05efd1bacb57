"""PostgreSQL: how common each part of a query is, from the statistics ANALYZE keeps on story_search.tsv
(pg_stats.most_common_elems), so that a query naming something rare asks GIN for that part alone.

GIN resolves a prefix term (`'leak':*`) by collecting every row of every word it starts: at a million stories,
"Livevex leak" spent 29 ms gathering the 150,000 rows of leak, leaks and leaked to keep 9 (EXPLAIN ANALYZE). Asked for
the rare part alone, the index returns its few rows and the whole query is checked on those (0.4 ms). A query whose
every part is common keeps the walk of storage.search, which stops early.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.search_query import ParsedQuery, stem_prefix

# At most this many rows expected for the rarest part: rechecking them costs a few milliseconds (about 3 us each).
RARE_ROWS = 3_000
# ANALYZE (autovacuum's included) changes these slowly; reading pg_stats costs a few milliseconds of planning.
STATS_TTL_S = 600.0

_STATS_SQL = """SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
                WHERE schemaname = current_schema() AND tablename = 'story_search' AND attname = 'tsv'"""


@dataclass(frozen=True)
class Lexeme:
    text: str
    prefix: bool  # a stem asked as a prefix (`'fuit':*`), else the exact word

    def tsquery(self) -> str:
        return f"'{self.text}':*" if self.prefix else f"'{self.text}'"


def lexeme(word: str, languages: Sequence[str] | None) -> Lexeme:
    """A word as the GIN index is asked for it: the whole stem is the most selective prefix to ask for."""
    prefix = stem_prefix(word, languages)
    return Lexeme(word, False) if prefix is None else Lexeme(prefix, True)


@dataclass(frozen=True)
class Part:
    """One positive part of a query: a word, or a phrase (its words in a row)."""

    lexemes: tuple[Lexeme, ...]
    phrase: bool

    def tsquery(self) -> str:
        if self.phrase:
            return "(" + " <-> ".join(f"'{x.text}'" for x in self.lexemes) + ")"
        return self.lexemes[0].tsquery()


def positive_parts(query: ParsedQuery, languages: Sequence[str] | None) -> list[Part]:
    parts = [Part((lexeme(w, languages),), False) for w in query.terms]
    return parts + [Part(tuple(Lexeme(w, False) for w in p), True) for p in query.phrases]


@dataclass(frozen=True)
class TermStats:
    freqs: dict[str, float]  # share of rows holding each listed word
    floor: float  # what an unlisted word is taken for: half the least common listed word's share, as PostgreSQL's
    # own estimate takes it (ts_selfuncs.c), at most 0.5 %

    def share(self, part: Part) -> float:
        """The share of rows that may hold the part: a phrase at most its rarest word's."""
        return min(self._lexeme_share(x) for x in part.lexemes)

    def _lexeme_share(self, lex: Lexeme) -> float:
        if not lex.prefix:
            return self.freqs.get(lex.text, self.floor)
        listed = sum(f for word, f in self.freqs.items() if word.startswith(lex.text))
        return min(1.0, listed) if listed else self.floor


def rare_part(parts: Sequence[Part], stats: TermStats, rows: int, rare_rows: int = RARE_ROWS) -> Part | None:
    """The rarest part, when GIN should return few enough rows for it that checking the whole query on each is
    cheap; None when every part is common."""
    if not parts:
        return None
    rarest = min(parts, key=stats.share)
    return rarest if stats.share(rarest) * rows <= rare_rows else None


_cache: WeakKeyDictionary[Engine, tuple[float, TermStats | None]] = WeakKeyDictionary()


async def term_stats(session: AsyncSession) -> TermStats | None:
    """The word statistics of story_search in the session's schema (None before its first ANALYZE), cached per
    engine for STATS_TTL_S."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    now = time.monotonic()
    cached = _cache.get(engine)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = (await session.execute(text(_STATS_SQL))).first()
    stats = None
    if row is not None and row[0] and row[1]:
        words, shares = list(row[0]), [float(f) for f in row[1]]
        # The shares list ends with the least and greatest share and the share of empty rows.
        stats = TermStats(dict(zip(words, shares, strict=False)), min(0.005, shares[len(words)] / 2))
    _cache[engine] = (now + STATS_TTL_S, stats)
    return stats


def forget_term_stats() -> None:
    """Drop the cached statistics (after a bulk load and ANALYZE, or in tests)."""
    _cache.clear()
