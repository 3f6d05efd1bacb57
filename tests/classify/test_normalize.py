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


def test_look_alikes_fold_to_latin_only_inside_latin_words() -> None:
    assert fold("dr\u043ene sh\u043ew") == "drone show"  # Cyrillic о
    assert fold("\u0422\u0415\u0405\u0422 \u0399D") == "test id"  # Cyrillic capitals, Greek capital iota
    assert fold("V\u0456g\u0456l\u0435\u0445") == "vigilex"
    # Words of those scripts themselves hold letters with no Latin twin and are left alone (then dropped, as any
    # non-Latin letter is).
    assert words("\u041f\u0440\u0438\u0432\u0435\u0442 caf\u00e9") == "cafe"
    assert words("\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac") == ""


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


def _fold_reference(text: str) -> str:
    """The whole-string folding that fold() speeds up by folding only the non-ASCII runs."""
    import html
    import unicodedata

    from bot.classify.normalize import _TAG, _TRANSLATE

    text = html.unescape(text) if "&" in text else text
    text = _TAG.sub(" ", text).casefold()
    return unicodedata.normalize("NFKD", text.translate(_TRANSLATE)).encode("ascii", "ignore").decode("ascii")


@pytest.mark.parametrize(
    "text",
    [
        "Überwachungskameras „gehackt“ – 800.000 Datensätze",
        "e\u0301te\u0301 cafe\u0301\u0327 a\u0308\u0301",  # combining marks, several in a row
        "ǅemal ﬁchier ﬀ Ⅻ ½ ² ＣＣＴＶ",  # ligatures, compatibility forms, full-width
        "ŒUVRE Æ ø Ł Đ ð Þ ı ß ẞ ſ K",
        "l’app « espion » d‘un „Spions“\u00a0\u202f\u2009\u2007…—―–",
        "监控摄像头 泄露 カメラ 😀 Ελληνικά ΣΟΦΟΣ",
        "plain ascii, nothing to do",
    ],
)
def test_fold_of_non_ascii_runs_equals_folding_the_whole_text(text: str) -> None:
    assert fold(text) == _fold_reference(text)


def test_number_and_sentence_regexes_match_their_plain_forms() -> None:
    """The compiled forms put the look-behind after the first character so the engine can skip ahead; they must
    find exactly what the plain forms find."""
    import random
    import re

    from bot.classify.normalize import _MAG_ALT, _NUMBER, _SENTENCE_END

    plain_number = re.compile(
        r"(?<![a-z0-9.,])"
        r"(\d{1,3}(?:(?:[.,']|\s(?=\d{3}(?!\d)))\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
        r"(?:(k|mn|bn|m)|\s?(" + _MAG_ALT + r"))?"
        r"(?![a-z0-9])"
    )
    plain_end = re.compile(r"(?<!\.[a-z])[.!?;]+(?=\s|$)")
    pieces = [*"0123456789" * 3, *".,' ;!?abkmn|", "mil millones", " million", "mio.", " mrd.", "u.s.", " 000"]
    rng = random.Random(4)
    for _ in range(20_000):
        s = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        assert [(m.span(), m.groups()) for m in _NUMBER.finditer(s)] == [
            (m.span(), m.groups()) for m in plain_number.finditer(s)
        ], s
        assert [m.span() for m in _SENTENCE_END.finditer(s)] == [m.span() for m in plain_end.finditer(s)], s


def test_plain_integers_keep_their_value() -> None:
    assert canonical_numbers("007 agents, 123456789012345 rows", "en") == " 7  agents,  123456789012345  rows"
    assert canonical_numbers("12345678901234567890", "en") == f" {int(float('12345678901234567890'))} "


def test_a_tag_left_open_in_the_title_does_not_swallow_the_summary() -> None:
    text, layout = prepare("Cameras <b exposed", "Police> footage leaked", None, "en")
    assert text == " cameras b exposed | police footage leaked "
    assert layout.title_count == 1 and layout.lead_end == 2


def test_numbers_grouped_across_a_line_break_are_read_not_crashed_on() -> None:
    assert words("10\n000 plates", "en") == "10000 plates"
    assert parse_number("1\t234", "en") == 1234
