"""The classifier: normalise a story, run the one automaton over it, score the hits."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from bot.classify.gate import Gate, default_gate
from bot.classify.lexicon import ANY_LANG, SHARED, Kind, TermSpec, default_terms
from bot.classify.matcher import Hit, Matcher, lang_slot
from bot.classify.normalize import SENTENCE_MARK, parts_text
from bot.classify.scoring import Layout, score_hits, score_matches
from bot.classify.verdict import Verdict
from bot.core.languages import LANGUAGES

DEFAULT_THRESHOLD = 0.5
_LANG_SETS = {code: frozenset((code, SHARED, ANY_LANG)) for code in LANGUAGES}
_SEPARATOR = f" {SENTENCE_MARK} "
# A story with no term of these kinds in any language is not worth the encoder's time (docs/classifier.md).
CUE_KINDS = frozenset({Kind.BREACH, Kind.SURVEILLANCE})


def _lexicon_language(lang: str | None) -> str | None:
    """`lang` is an analysis language as decided when the text was read (bot.core.languages); None, or anything
    else, reads as unknown: every lexicon applies."""
    return lang if lang in _LANG_SETS else None


def prepare(title: str, summary: str = "", text: str | None = None, lang: str | None = None) -> tuple[str, Layout]:
    """The normalised text (title, summary and body sentences between marks) and where its sentences are."""
    sents: list[str] = []
    ends: list[int] = []  # how many sentences there are after each part
    for chunk in parts_text((title or "", summary or "", text or ""), lang):
        if SENTENCE_MARK in chunk:
            sents.extend([s for s in map(str.strip, chunk.split(SENTENCE_MARK)) if s])
        else:
            chunk = chunk.strip()
            if chunk:
                sents.append(chunk)
        ends.append(len(sents))
    marks: list[int] = []
    pos = 1  # the text's leading space
    for sent in sents[:-1]:
        pos += len(sent) + 1  # the sentence, then the space before the mark
        marks.append(pos)
        pos += 2
    return " " + _SEPARATOR.join(sents) + " ", Layout(marks, ends[0], ends[1])


class Classifier:
    """Defaults plus any extra (guild) terms, compiled once. Thread-safe for reading."""

    def __init__(
        self, specs: Iterable[TermSpec], threshold: float = DEFAULT_THRESHOLD, gate: Gate | None = None
    ) -> None:
        self.matcher = Matcher(specs)
        self.threshold = threshold
        self.gate = gate or default_gate()

    def approx_bytes(self) -> int:
        """About how much memory this classifier holds (the gate is shared by all of them)."""
        return self.matcher.approx_bytes()

    def hits(self, title: str, summary: str = "", text: str | None = None, lang: str | None = None) -> list[Hit]:
        code = _lexicon_language(lang)
        normalised, _ = prepare(title, summary, text, code)
        return self.matcher.find(normalised, None if code is None else _LANG_SETS[code])

    def first_pass(
        self, title: str, summary: str = "", text: str | None = None, lang: str | None = None
    ) -> tuple[Verdict, bool]:
        """The lexicon's verdict, and whether the story has a breach or surveillance cue in any language (the
        gate of the second pass): one normalisation and one automaton run for both."""
        code = _lexicon_language(lang)
        normalised, layout = prepare(title, summary or "", text, code)
        matches = list(self.matcher.matches(normalised))
        cue = any(term.kind in CUE_KINDS for _, entry in matches for term in entry[3]) or self.gate.opens(normalised)
        verdict = score_matches(matches, lang_slot(code), layout, self.threshold, code, normalised)
        if verdict is None:
            verdict = score_hits(self.matcher.scan(normalised, code), layout, self.threshold, code, normalised)
        return verdict, cue

    def classify(
        self,
        title: str,
        summary: str = "",
        text: str | None = None,
        lang: str | None = None,
        *,
        threshold: float | None = None,
    ) -> Verdict:
        code = _lexicon_language(lang)
        normalised, layout = prepare(title, summary or "", text, code)
        limit = self.threshold if threshold is None else threshold
        matches = self.matcher.matches(normalised)
        verdict = score_matches(matches, lang_slot(code), layout, limit, code, normalised)
        if verdict is None:  # a mask matched: the general path handles it
            verdict = score_hits(self.matcher.scan(normalised, code), layout, limit, code, normalised)
        return verdict


@lru_cache(maxsize=1)
def default_classifier() -> Classifier:
    return Classifier(default_terms())


def classify(title: str, summary: str = "", text: str | None = None, lang: str | None = None) -> Verdict:
    """Classify with the bundled lexicons and the default threshold."""
    return default_classifier().classify(title, summary, text, lang)
