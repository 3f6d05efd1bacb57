"""Folding, tokenisation and numbers written the local way."""

from __future__ import annotations

import pytest

from bot.classify.classifier import prepare
from bot.classify.normalize import canonical_numbers, fold, parse_number, parts_sentences, sentences, words


def test_fold_strips_case_accents_ligatures_and_markup() -> None:
    assert fold("ÜBERWACHUNGSKAMERA") == "uberwachungskamera"
    assert fold("Straße") == "strasse"
    assert fold("Œuvre à Málaga, São Paulo") == "oeuvre a malaga, sao paulo"
    assert fold("caméras &amp; <b>vidéo</b>") == "cameras &  video "
    assert words("l’application d’espionnage") == "l application d espionnage"


@pytest.mark.parametrize(
    ("text", "lang", "value"),
    [
        ("800.000", "de", "800000"),
        ("800,000", "en", "800000"),
        ("19,2 millions", "fr", "19200000"),
        ("8.6 million", "en", "8600000"),
        ("8,6 Mio.", "de", "8600000"),
        ("2.65M", "en", "2650000"),
        ("10mila", "it", "10000"),
        ("1,5 milhões", "pt", "1500000"),
        ("100 000", "fr", "100000"),
        ("1.234.567", "nl", "1234567"),
        ("3 mil millones", "es", "3000000000"),
    ],
)
def test_numbers_written_the_local_way_become_one_value(text: str, lang: str, value: str) -> None:
    assert words(text, lang) == value


def test_ambiguous_single_mark_follows_the_language() -> None:
    assert parse_number("1,500", "en") == 1500
    assert parse_number("1,500", "de") == 1.5
    assert parse_number("1.500", "es") == 1500
    assert parse_number("2,2", None) == 2.2
    assert canonical_numbers("5 m away", "en") == " 5  m away"  # a glued "m" is million, a spaced one is not


def test_sentences_split_on_ends_but_not_on_initialisms_or_german_ordinals() -> None:
    assert sentences("The U.S. agency said so. Then more!", "en") == ["the u s agency said so", "then more"]
    assert sentences("Daten am 3. Mai abgefragt. Danach nichts.", "de") == ["daten am 3 mai abgefragt", "danach nichts"]


def test_parts_are_normalised_together_and_kept_apart() -> None:
    title, summary, body = parts_sentences(("Héadline | here", "One. Two", ""), "en")
    assert title == ["headline here"]
    assert summary == ["one", "two"]
    assert body == []


def test_prepare_marks_sentences_and_lead() -> None:
    text, layout = prepare("Title words", "First one. Second one.", "Body a. Body b.", "en")
    assert text == " title words | first one | second one | body a | body b "
    assert layout.title_count == 1 and layout.lead_end == 3
    assert [layout.sentence(text.index(w)) for w in ("title", "first", "second", "body a", "body b")] == [0, 1, 2, 3, 4]
