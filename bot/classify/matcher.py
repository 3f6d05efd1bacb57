"""All terms compiled once into one Aho-Corasick automaton.

Word boundaries are literal spaces: the normalised text has a space between words and at both ends, a term that
must start a word gets a leading space in its pattern and one that must end a word a trailing space. Lexicon syntax:
  "word"          the whole word only
  "pirat*"        a word starting with "pirat" (pirate, piraté, piratage)
  "*leck"         a word ending with "leck" (Datenleck, Sicherheitsleck): compound heads in German and Dutch
  "*kamera*"      anywhere inside a word (Überwachungskameras)
  "fichier* de police"   an inner word marked * takes each of the language's inflection suffixes
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick

from bot.classify.lexicon import ANY_LANG, SHARED, Kind, LexiconError, TermSpec
from bot.classify.normalize import words
from bot.core.languages import LANGUAGES

# Inner wildcards multiply patterns; a term exploding past this is a lexicon mistake.
_MAX_VARIANTS = 512
# Index of a story's language in each pattern's table of decisive terms; 0 is "unknown" (every lexicon applies).
_LANG_SLOT = {code: i for i, code in enumerate(LANGUAGES, start=1)}
# Cues (fines, flaws, "no evidence of access") count once per display, not per concept.
_CUE_KINDS = frozenset({Kind.NEGATIVE, Kind.VULNERABILITY, Kind.NO_EXPLOITATION})


@dataclass(frozen=True, slots=True)
class Term:
    display: str
    concept: str
    kind: Kind
    weight: float
    lang: str


# (start, end, term): offset of the term's first character in the normalised text, offset just past its last
# character, and the term. A plain tuple: building millions of them is the matcher's hot path.
Hit = tuple[int, int, Term]
# What the automaton holds per pattern: offsets from the end of a match back to its first character and past its
# last, the words it shows as evidence when it is whole words at both ends (else None: they depend on the text),
# every term, and the decisive terms per story language (see `decisive` and `lang_slot`).
Entry = tuple[int, int, str | None, tuple[Term, ...], tuple[tuple[Term, ...], ...]]


def expand(spec: TermSpec) -> list[str]:
    """The literal patterns (with boundary spaces) one lexicon term compiles to."""
    raw = spec.text.strip()
    left_open = raw.startswith("*")
    right_open = raw.endswith("*")
    raw_words = raw.strip("*").split()
    if not raw_words:
        raise LexiconError(f"empty term {spec.text!r}")
    lang = None if spec.lang in (SHARED, ANY_LANG) else spec.lang
    if not any(w.endswith("*") for w in raw_words[:-1]):
        # No inner wildcard: normalise the term as one text, so "1,5 milhões" becomes one number.
        for raw_word in raw_words:
            if "*" in raw_word.rstrip("*"):
                raise LexiconError(f"term {spec.text!r}: '*' only at the start or end of a word")
        whole = words(" ".join(w.rstrip("*") for w in raw_words), lang)
        if not whole:
            raise LexiconError(f"term {spec.text!r} has no letters or digits")
        raw_words = [whole]
    choices: list[list[str]] = []
    for i, raw_word in enumerate(raw_words):
        inflect = raw_word.endswith("*") and i < len(raw_words) - 1
        if "*" in raw_word.rstrip("*"):
            raise LexiconError(f"term {spec.text!r}: '*' only at the start or end of a word")
        norm = words(raw_word.rstrip("*"), lang)
        if not norm:
            raise LexiconError(f"term {spec.text!r}: word {raw_word!r} has no letters or digits")
        if inflect:
            choices.append([norm + suffix for suffix in spec.inflections])
        else:
            choices.append([norm])
    variants = [" ".join(combo) for combo in itertools.product(*choices)]
    if len(variants) > _MAX_VARIANTS:
        raise LexiconError(f"term {spec.text!r} expands to {len(variants)} patterns")
    head = "" if left_open else " "
    tail = "" if right_open else " "
    return [f"{head}{v}{tail}" for v in variants]


def display_of(spec: TermSpec) -> str:
    return " ".join(spec.text.replace("*", "").split())


def decisive(terms: Iterable[Term]) -> tuple[Term, ...]:
    """Of the terms of one pattern, those that can change a verdict, in an order that keeps it the same.

    Terms of one pattern match the same words, so of two with the same kind and concept (and, for cues, display)
    the scorer only uses the stronger: it takes maxima of weights, or minima of what decreases with a weight, and
    evidence by concept. Order matters only where the scorer first meets a concept with a weight above zero
    (categories of equal strength keep that order), so each kept term takes that place.
    """
    strongest: dict[tuple[Kind, str, str], Term] = {}
    place: dict[tuple[Kind, str, str], int] = {}
    weighted: set[tuple[Kind, str, str]] = set()  # keys placed at a term with a weight above zero
    for i, term in enumerate(terms):
        key = (term.kind, term.concept, term.display if term.kind in _CUE_KINDS else "")
        old = strongest.get(key)
        if old is None or term.weight > old.weight:
            strongest[key] = term
        if key not in weighted and (old is None or term.weight > 0.0):
            place[key] = i
            if term.weight > 0.0:
                weighted.add(key)
    return tuple(strongest[key] for key in sorted(strongest, key=place.__getitem__))


# What one pattern costs besides the automaton's nodes (its Entry tuple, Terms and strings): 418 to 433 bytes,
# measured with tracemalloc compiling the bundled lexicons plus 1 to 2,000 guild terms.
BYTES_PER_PATTERN = 450


class Matcher:
    """The compiled automaton. Build once per term set; `find` is then one pass over the text."""

    def __init__(self, specs: Iterable[TermSpec]) -> None:
        table: dict[str, dict[tuple[str, str, str], Term]] = {}
        for spec in specs:
            term = Term(display_of(spec), spec.concept, spec.kind, spec.weight, spec.lang)
            key = (term.display, term.concept, term.lang)
            for pattern in expand(spec):
                slot = table.setdefault(pattern, {})
                old = slot.get(key)
                if old is None or old.weight < term.weight:
                    slot[key] = term
        self.pattern_count = len(table)
        self._automaton = ahocorasick.Automaton()
        for pattern, slot in table.items():
            # Offsets from the end of a match back to the term's first and past its last character.
            lead = 1 if pattern.startswith(" ") else 0
            trail = 1 if pattern.endswith(" ") else 0
            terms = tuple(slot.values())
            by_lang: tuple[tuple[Term, ...], ...]
            # For scoring, the decisive terms per story language, filtered and deduplicated once here.
            if len(terms) == 1:  # most patterns: nothing to deduplicate
                own = terms[0].lang in (SHARED, ANY_LANG)
                by_lang = (terms, *(terms if own or terms[0].lang == code else () for code in LANGUAGES))
            else:
                by_lang = (
                    decisive(terms),
                    *(decisive(t for t in terms if t.lang in (code, SHARED, ANY_LANG)) for code in LANGUAGES),
                )
            shown = pattern.strip() if lead and trail else None
            entry: Entry = (len(pattern) - 1 - lead, trail, shown, terms, by_lang)
            self._automaton.add_word(pattern, entry)
        if self.pattern_count:
            self._automaton.make_automaton()

    def approx_bytes(self) -> int:
        """About how much memory this matcher holds: the automaton's nodes plus each pattern's entry."""
        return int(self._automaton.get_stats()["total_size"]) + BYTES_PER_PATTERN * self.pattern_count

    def find(self, text: str, langs: frozenset[str] | None = None) -> list[Hit]:
        """Every term occurrence in a normalised text; with `langs`, only terms of those languages (callers
        include SHARED and ANY_LANG: names and guild terms belong to every language)."""
        if not self.pattern_count:
            return []
        hits: list[Hit] = []
        append = hits.append
        for end, (back, trail, _, terms, _) in self._automaton.iter(text):
            start = end - back
            stop = end + 1 - trail
            for term in terms:
                if langs is None or term.lang in langs:
                    append((start, stop, term))
        return hits

    def scan(self, text: str, lang: str | None = None) -> list[Hit]:
        """The hits a verdict depends on, for a story in `lang` (a lexicon language, or None for unknown): the
        same verdict as from `find` with that language's lexicons, from fewer hits and no filtering per hit."""
        if not self.pattern_count:
            return []
        slot = lang_slot(lang)
        hits: list[Hit] = []
        append = hits.append
        for end, (back, trail, _, _, by_lang) in self.matches(text):
            terms = by_lang[slot]
            if terms:
                start = end - back
                stop = end + 1 - trail
                for term in terms:
                    append((start, stop, term))
        return hits

    def matches(self, text: str) -> Iterator[tuple[int, Entry]]:
        """The automaton's raw matches: (offset of the last character, the pattern's entry), overlapping ones too."""
        if not self.pattern_count:
            return iter(())
        matches: Iterator[tuple[int, Entry]] = self._automaton.iter(text)
        return matches


def lang_slot(lang: str | None) -> int:
    """Where a story language's decisive terms sit in an Entry (0: unknown language, every lexicon)."""
    return 0 if lang is None else _LANG_SLOT[lang]
