"""Checking and scoring a candidate story against a parsed query, in plain Python, the same on every database.

The database index finds candidates quickly but loosely (stem prefixes are shortened to lengths it has indexed);
this module decides exactly: every term must occur (the word itself or a word starting with its stem), every phrase
must occur word for word within one field, no exclusion may occur. The score favours the title over the summary over
outlet names, with diminishing returns for repeats.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.search_query import ParsedQuery, stem_prefix, words

FIELD_WEIGHTS = (4.0, 1.0, 0.5)  # title, body, outlets
PHRASE_BONUS = 2.0


@dataclass(frozen=True)
class _Matcher:
    word: str
    prefix: str | None

    def hits(self, counts: Counter[str]) -> int:
        if self.prefix is None:
            return counts.get(self.word, 0)
        prefix = self.prefix  # a stem prefix always starts the word itself (see stem_prefix)
        return sum(n for w, n in counts.items() if w.startswith(prefix))


def _phrase_hits(phrase: Sequence[str], field: Sequence[str]) -> int:
    n = len(phrase)
    return sum(1 for i in range(len(field) - n + 1) if tuple(field[i : i + n]) == tuple(phrase))


class Ranker:
    """Built once per query; `score` is None for a story that does not really match."""

    def __init__(self, query: ParsedQuery, languages: Sequence[str] | None = None) -> None:
        self.terms = [_Matcher(t, stem_prefix(t, languages)) for t in query.terms]
        self.phrases = list(query.phrases)
        self.excluded_words = [_Matcher(e[0], stem_prefix(e[0], languages)) for e in query.excluded if len(e) == 1]
        self.excluded_phrases = [e for e in query.excluded if len(e) > 1]

    def score(self, title: str, body: str, outlets: str) -> float | None:
        fields = [words(title), words(body), words(outlets)]
        counts = [Counter(f) for f in fields]
        for matcher in self.excluded_words:
            if any(matcher.hits(c) for c in counts):
                return None
        for phrase in self.excluded_phrases:
            if any(_phrase_hits(phrase, f) for f in fields):
                return None
        total = 0.0
        for matcher in self.terms:
            total += _weigh([matcher.hits(c) for c in counts])
            if not total:
                return None
        for phrase in self.phrases:
            found = _weigh([_phrase_hits(phrase, f) for f in fields])
            if not found:
                return None
            total += PHRASE_BONUS * found
        return round(total, 4)


def _weigh(counts: Sequence[int]) -> float:
    """0 when nothing was found; repeats count less and less (1 + ln n)."""
    return sum(w * (1 + math.log(c)) for w, c in zip(FIELD_WEIGHTS, counts, strict=True) if c)
