"""What a reader typed into `/search`, parsed into words, phrases and exclusions, and nothing else.

User input is never handed to FTS5 or tsquery as syntax: the parser keeps only runs of letters and digits, so
operators (`OR`, `NEAR(`), wildcards, column filters and stray quotes cannot reach the database as operators. The
storage layer rebuilds a query from these pieces with its own quoting.

Inflection is handled by prefixes of Snowball stems: "fuites" stems to "fuit" in French, and `fuit*` matches
"fuite" and "fuites" alike. See `stem_prefix` for the rules that keep prefixes from matching too much.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import snowballstemmer

from bot.core.languages import STEMMERS
from bot.core.notes import Note

MAX_QUERY_CHARS = 300
MAX_PARTS = 10
MAX_WORD_CHARS = 60
# A stem shorter than this, or than this share of the word, matches too many unrelated words as a prefix.
MIN_PREFIX_CHARS = 4
MIN_PREFIX_SHARE = 0.6


# Letters and digits only: underscores and everything else separate words, as in both full-text tokenisers.
_WORD = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r'(-?)"([^"]*)("?)|(\S+)')
# Combining marks, which NFKD splits off accented letters.
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


class QueryError(ValueError):
    """A query that cannot be searched; `note` explains it to the person who typed it."""

    def __init__(self, msg_id: str, **params: Any) -> None:
        self.note = Note(msg_id, params)
        super().__init__(msg_id)


@dataclass(frozen=True)
class ParsedQuery:
    """Normalised (lower case, no accents) pieces of a search; every term and phrase must match, no exclusion may."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[tuple[str, ...], ...] = ()
    notes: tuple[Note, ...] = field(default=())

    def describe(self) -> str:
        """The query as the bot understood it, for echoing back to the user."""
        parts = list(self.terms)
        parts += ['"' + " ".join(p) + '"' for p in self.phrases]
        parts += ["-" + (w[0] if len(w) == 1 else '"' + " ".join(w) + '"') for w in self.excluded]
        return " ".join(parts)


def normalise(text: str) -> str:
    """Lower case without diacritics, the form both indexes store."""
    if text.isascii():  # most text, and ten times faster than decomposing
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).lower()


def words(text: str) -> list[str]:
    """The words of `text`, normalised; accents are stripped word by word, as few words carry any."""
    if not text.isascii():
        # Lower-casing can itself add a combining mark ("İ" becomes "i" and U+0307), which is no word character
        # and would split "İstanbul" into "i" and "stanbul": marks are dropped before words are found.
        text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    return [w if w.isascii() else _strip(w) for w in _WORD.findall(text.lower())]


@lru_cache(maxsize=65536)
def _strip(word: str) -> str:
    # A letter NFKD turns into several (ligatures, ß stays) can only split into more letters, never separators.
    return "".join(_WORD.findall(_MARKS.sub("", unicodedata.normalize("NFKD", word)))).lower()


@lru_cache(maxsize=16)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS[language])


def stem_prefix(word: str, languages: Iterable[str] | None = None) -> str | None:
    return _stem_prefix(word, tuple(languages) if languages else ())


@lru_cache(maxsize=4096)
def _stem_prefix(word: str, languages: tuple[str, ...]) -> str | None:
    """The shortest Snowball stem of `word` (in any of `languages`, default all seven) usable as a prefix.

    A stem qualifies only if it is a real prefix of the word (stemmers that rewrite endings, like "happy" ->
    "happi", would otherwise miss the word itself), at least MIN_PREFIX_CHARS long and at least MIN_PREFIX_SHARE
    of the word. None means: match the exact word only.
    """
    floor = max(MIN_PREFIX_CHARS, math.ceil(len(word) * MIN_PREFIX_SHARE))
    best: str | None = None
    for language in languages or STEMMERS:
        if language not in STEMMERS:
            continue
        stem = _stemmer(language).stemWord(word)
        if len(stem) >= floor and word.startswith(stem) and (best is None or len(stem) < len(best)):
            best = stem
    return best


def _check_word(word: str) -> None:
    if len(word) > MAX_WORD_CHARS:
        raise QueryError("search.word_too_long", word=word[:20])


def parse_query(text: str) -> ParsedQuery:
    """Parse `text`, or raise QueryError with a message explaining what to type instead."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("search.query_too_long", length=len(text), limit=MAX_QUERY_CHARS)
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    notes: list[Note] = []

    def note(msg_id: str, **params: Any) -> None:
        if Note(msg_id, params) not in notes:
            notes.append(Note(msg_id, params))

    for match in _CHUNK.finditer(text):
        minus, quoted, closing, bare = match.groups()
        if bare is None:
            found = words(quoted)
            if not closing:
                note("search.note_unclosed_quote")
            negative = minus == "-"
        else:
            if bare in _OPERATORS:
                note("search.note_operator", operator=bare)
                continue
            if "*" in bare:
                note("search.note_wildcard")
            negative = bare.startswith("-") and len(bare) > 1
            found = words(bare[1:] if negative else bare)
            if len(found) > 1 and ("'" in bare or "’" in bare):
                # Elisions such as l'armée or d'identité: the article on its own carries no meaning.
                found = [w for w in found if len(w) > 1] or found
        for w in found:
            _check_word(w)
        if not found:
            continue
        piece = tuple(found)
        if negative:
            if piece not in excluded:
                excluded.append(piece)
        elif len(piece) == 1 and bare is not None:
            if piece[0] not in terms:
                terms.append(piece[0])
        elif piece not in phrases:
            phrases.append(piece)

    if len(terms) + len(phrases) + len(excluded) > MAX_PARTS:
        raise QueryError("search.too_many_parts", parts=len(terms) + len(phrases) + len(excluded), limit=MAX_PARTS)
    if not terms and not phrases:
        if excluded:
            raise QueryError("search.only_exclusions")
        raise QueryError("search.empty")
    return ParsedQuery(tuple(terms), tuple(phrases), tuple(excluded), tuple(notes))
