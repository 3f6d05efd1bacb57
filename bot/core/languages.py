"""The seven languages breachwatch reads, and the Snowball stemmer for each."""

from __future__ import annotations

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
