"""An entry's language: what the entry or feed declares, else what is detected in its text."""

from __future__ import annotations

import re

from bot.language_id import ranked

# Below this many letters detection is a guess; the source's configured language is the better fallback.
MIN_DETECT_CHARS = 20
MIN_CONFIDENCE = 0.6
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def normalise_language(tag: str | None) -> str | None:
    """'en-US', 'fr_FR', ' DE ' -> 'en', 'fr', 'de'; anything that is not a language tag -> None."""
    if not tag:
        return None
    match = _TAG.match(tag)
    if match is None:
        return None
    code = match.group(1).lower()
    return None if code in {"und", "mul", "zxx", "xx"} else code


def detect_language(text: str) -> str | None:
    """The detected language, or None when the text is too short or the model unsure."""
    if not _has_letters(text, MIN_DETECT_CHARS):
        return None
    best = ranked(text)
    if not best:
        return None
    code, confidence = best[0]
    return normalise_language(code) if confidence >= MIN_CONFIDENCE else None


def _has_letters(text: str, wanted: int) -> bool:
    for ch in text:
        if ch.isalpha():
            wanted -= 1
            if wanted == 0:
                return True
    return False


def choose_language(
    entry_declared: str | None, feed_declared: str | None, text: str, fallback: str | None = None
) -> str | None:
    return (
        normalise_language(entry_declared)
        or normalise_language(feed_declared)
        or detect_language(text)
        or normalise_language(fallback)
    )
