"""MinHash signatures over word shingles, and the LSH band keys that index them in SQL.

Hand-written rather than datasketch: the sets are small (tens of shingles), so 64 universal hashes in plain
Python cost well under a millisecond and keep numpy/scipy out of the ingest path.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence

PERMUTATIONS = 64
ROWS_PER_BAND = 4
BANDS = PERMUTATIONS // ROWS_PER_BAND
_PRIME = (1 << 61) - 1
_rng = random.Random(20240607)  # fixed: signatures must be comparable across processes and releases
_PARAMS = [(_rng.randrange(1, _PRIME), _rng.randrange(0, _PRIME)) for _ in range(PERMUTATIONS)]


def _hash64(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


def shingles(tokens: Sequence[str], size: int = 2) -> set[str]:
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def signature(items: Iterable[str]) -> list[int]:
    hashes = [_hash64(s) for s in items]
    if not hashes:
        return []
    return [min((a * h + b) % _PRIME for h in hashes) for a, b in _PARAMS]


def similarity(left: Sequence[int], right: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the two sets."""
    if not left or not right:
        return 0.0
    return sum(1 for x, y in zip(left, right, strict=True) if x == y) / len(left)


def band_keys(sig: Sequence[int]) -> list[str]:
    """One key per band ("m<i>:<hex>"): two signatures sharing a key are candidate near-duplicates."""
    if not sig:
        return []
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS_PER_BAND : (band + 1) * ROWS_PER_BAND]
        digest = hashlib.blake2b(",".join(map(str, rows)).encode(), digest_size=8).hexdigest()
        keys.append(f"m{band}:{digest}")
    return keys
