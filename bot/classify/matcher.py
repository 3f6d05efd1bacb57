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
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from bot.classify.lexicon import ANY_LANG, SHARED, Kind, LexiconError, TermSpec
from bot.classify.normalize import words

# Inner wildcards multiply patterns; a term exploding past this is a lexicon mistake.
_MAX_VARIANTS = 512


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
            self._automaton.add_word(pattern, (len(pattern) - 1 - lead, trail, tuple(slot.values())))
        if self.pattern_count:
            self._automaton.make_automaton()

    def find(self, text: str, langs: frozenset[str] | None = None) -> list[Hit]:
        """Every term occurrence in a normalised text; with `langs`, only terms of those languages (callers
        include SHARED and ANY_LANG: names and guild terms belong to every language)."""
        if not self.pattern_count:
            return []
        hits: list[Hit] = []
        append = hits.append
        for end, (back, trail, terms) in self._automaton.iter(text):
            start = end - back
            stop = end + 1 - trail
            for term in terms:
                if langs is None or term.lang in langs:
                    append((start, stop, term))
        return hits
