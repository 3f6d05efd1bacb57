"""Language identification and word statistics for the seven supported languages."""

from __future__ import annotations

from functools import cache, lru_cache

import snowballstemmer
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
from wordfreq import zipf_frequency

from bot.languages import LANGUAGES, STEMMERS


@cache
def _identifier() -> LanguageIdentifier:
    # Our own identifier: py3langid's module-level one is shared state other code may restrict differently.
    ident = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    return ident


def detect_language(text: str) -> str:
    lang, _prob = _identifier().classify(text)
    return str(lang)


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
