"""Word statistics for the seven supported languages: how common a word is, and its Snowball stem."""

from __future__ import annotations

from functools import cache, lru_cache

import snowballstemmer
from wordfreq import zipf_frequency

from bot.core.languages import LANGUAGES, STEMMERS


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
