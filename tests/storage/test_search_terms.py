"""storage.search_terms: which part of a query PostgreSQL's GIN index is asked for alone."""

from __future__ import annotations

from bot.core.search_query import parse_query
from storage.search_terms import Lexeme, Part, TermStats, positive_parts, rare_part

# Shares as ANALYZE lists them at a million stories: leak's three forms are common, 'livevex' is not listed.
STATS = TermStats({"leak": 0.053, "leaks": 0.053, "leaked": 0.051, "face": 0.051, "recognition": 0.05}, 0.0019)


def test_a_prefix_counts_every_listed_word_it_starts() -> None:
    assert STATS.share(Part((Lexeme("leak", True),), False)) == 0.053 + 0.053 + 0.051
    assert STATS.share(Part((Lexeme("leak", False),), False)) == 0.053
    assert STATS.share(Part((Lexeme("livevex", True),), False)) == 0.0019
    # A phrase is at most as common as its rarest word.
    assert STATS.share(Part((Lexeme("face", False), Lexeme("recognition", False)), True)) == 0.05


def test_the_rare_part_is_asked_alone_and_common_queries_keep_the_walk() -> None:
    parts = positive_parts(parse_query("Livevex leak"), None)
    assert [p.tsquery() for p in parts] == ["'livevex':*", "'leak':*"]
    rare = rare_part(parts, STATS, rows=1_000_000)
    assert rare is not None and rare.tsquery() == "'livevex':*"
    assert rare_part(parts, STATS, rows=5_000_000) is None  # 9,500 rows to check: the walk is cheaper
    assert rare_part(positive_parts(parse_query('"face recognition" leak'), None), STATS, rows=1_000_000) is None
    assert rare_part(parts, STATS, rows=1_000_000, rare_rows=0) is None
    assert rare_part([], STATS, rows=10) is None
