"""Language identification and word statistics for the seven supported languages."""

from __future__ import annotations

from functools import cache, lru_cache

import snowballstemmer
from wordfreq import zipf_frequency

from bot.core.languages import LANGUAGES, STEMMERS
from bot.language_id import ranked

# How far down the detector's ranking to look for one of the seven (a Catalan text may still be mostly Spanish).
RANK_DEPTH = 10


def detect_language(text: str) -> str:
    """The likeliest of the seven supported languages; English when none of them is plausible at all."""
    for code, _probability in ranked(text, RANK_DEPTH):
        if code in LANGUAGES:
            return code
    return "en"


def normalise_language(lang: str | None, text: str) -> str:
    """The feed's language code reduced to two letters when supported, else the text's detected language."""
    if lang:
        code = lang.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGUAGES:
            return code
    return detect_language(text)


@lru_cache(maxsize=200_000)
def zipf(word: str, lang: str) -> float:
    """How common a word is (0 unknown .. ~7 "the"), from wordfreq's lists."""
    return float(zipf_frequency(word, lang if lang in LANGUAGES else "en"))


@cache
def _stemmer(lang: str) -> snowballstemmer.Stemmer:
    return snowballstemmer.stemmer(STEMMERS.get(lang, "english"))


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    return str(_stemmer(lang).stemWord(word))
