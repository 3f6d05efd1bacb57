"""Embeddings of the corpus, cached on disk by text, so retraining after a corpus edit encodes only what changed."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.classify.encoder import Encoder, Matrix

log = logging.getLogger(__name__)

CACHE_DIR = Path(".cache") / "embeddings"
BATCH = 32


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _cache_file(folder: Path, encoder: Encoder) -> Path:
    return folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", encoder.name) + ".npz")


def embed_all(
    encoder: Encoder,
    texts: Sequence[str],
    cache_dir: Path | None = CACHE_DIR,
    progress: Callable[[int, int], None] | None = None,
) -> Matrix:
    """Vectors for `texts` in order; the cache (when given) is read first and updated after."""
    known: dict[str, Matrix] = {}
    path = _cache_file(cache_dir, encoder) if cache_dir is not None else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            known = {str(k): vectors[i] for i, k in enumerate(keys) if vectors.shape[1] == encoder.dim}
        except (OSError, ValueError, KeyError) as exc:
            log.warning("embedding cache %s unreadable (%s); encoding everything", path, exc)
    missing = sorted({t for t in texts if _key(t) not in known})
    for start in range(0, len(missing), BATCH):
        chunk = missing[start : start + BATCH]
        for text, vector in zip(chunk, encoder.encode(chunk), strict=True):
            known[_key(text)] = vector
        if progress is not None:
            progress(min(start + BATCH, len(missing)), len(missing))
    if path is not None and missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(known)
        np.savez(path, keys=np.array(keys), vectors=np.stack([known[k] for k in keys]).astype(np.float32))
    out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for i, text in enumerate(texts):
        out[i] = known[_key(text)]
    return out
