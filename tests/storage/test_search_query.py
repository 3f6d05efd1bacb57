"""The `/search` query parser: words, phrases, exclusions, and helpful refusals; no syntax passes through."""

from __future__ import annotations

import math

import pytest

from bot.core.notes import Note
from bot.core.search_query import MAX_QUERY_CHARS, QueryError, normalise, parse_query, stem_prefix
from bot.core.search_rank import Ranker


def test_words_are_normalised() -> None:
    q = parse_query("Fuite de DONNÉES Überwachungskameras")
    assert q.terms == ("fuite", "de", "donnees", "uberwachungskameras")
    assert q.phrases == () and q.excluded == ()


def test_phrases_and_exclusions() -> None:
    q = parse_query('"reconnaissance faciale" police -test -"exercice simulé"')
    assert q.phrases == (("reconnaissance", "faciale"),)
    assert q.terms == ("police",)
    assert q.excluded == (("test",), ("exercice", "simule"))
    assert q.describe() == 'police "reconnaissance faciale" -test -"exercice simule"'


def test_unclosed_quote_reads_rest_as_phrase() -> None:
    q = parse_query('leak "face recognition')
    assert q.terms == ("leak",)
    assert q.phrases == (("face", "recognition"),)
    assert [n.msg_id for n in q.notes] == ["search.note_unclosed_quote"]


def test_hyphenated_word_is_a_phrase_and_elisions_drop_the_article() -> None:
    q = parse_query("e-mail l'armée")
    assert q.phrases == (("e", "mail"),)
    assert q.terms == ("armee",)


@pytest.mark.parametrize(
    ("text", "explained"),
    [
        ("", "search.empty"),
        ("   ", "search.empty"),
        ("?!… --- *** ()", "search.empty"),
        ('""', "search.empty"),
        ("-test -exercise", "search.only_exclusions"),
        ("x" * 500, "search.query_too_long"),
        ("a b c d e f g h i j k", "search.too_many_parts"),
        ("y" * 80, "search.word_too_long"),
    ],
)
def test_absurd_queries_are_explained(text: str, explained: str) -> None:
    # The explanation is a message the bot writes in the reader's language (tests/test_i18n.py checks every language).
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert err.value.note.msg_id == explained


@pytest.mark.parametrize(
    "text",
    [
        "NEAR(leak camera, 3)",
        "title:leak OR summary:camera",
        'leak* "',
        "leak AND NOT camera",
        "'; DROP TABLE stories; --",
        "leak) OR (1=1",
        "leak & !camera | x:*",
        "{title body}: leak ^camera",
    ],
)
def test_syntax_is_never_passed_through(text: str) -> None:
    q = parse_query(text)
    every = list(q.terms) + [w for p in q.phrases for w in p] + [w for p in q.excluded for w in p]
    assert every, text
    assert all(w.isalnum() for w in every), every


def test_operators_and_wildcards_get_notes() -> None:
    q = parse_query("leak OR camera*")
    assert q.terms == ("leak", "camera")
    assert q.notes == (Note("search.note_operator", {"operator": "OR"}), Note("search.note_wildcard"))


def test_length_limit_is_exactly_the_documented_one() -> None:
    longest = ("x" * 59 + " ") * (MAX_QUERY_CHARS // 60)
    assert len(longest) == MAX_QUERY_CHARS
    assert len(parse_query(longest).terms) == 1  # the same word five times
    with pytest.raises(QueryError):
        parse_query(longest + "y")


@pytest.mark.parametrize(
    ("query_word", "stored_word"),
    [
        ("fuites", "fuite"),
        ("fuite", "fuites"),
        ("uberwachungskameras", "uberwachungskamera"),
        ("uberwachungskamera", "uberwachungskameras"),
        ("filtraciones", "filtracion"),
        ("violazioni", "violazione"),
        ("vazamentos", "vazamento"),
        ("datalekken", "datalek"),
        ("breaches", "breach"),
        ("donnees", "donnee"),
    ],
)
def test_stem_prefix_covers_inflections(query_word: str, stored_word: str) -> None:
    prefix = stem_prefix(query_word)
    assert prefix is not None and stored_word.startswith(prefix) and query_word.startswith(prefix)


def test_short_words_are_matched_exactly() -> None:
    assert stem_prefix("fbi") is None
    assert stem_prefix("cameras", ["fr"]) is None  # French "cam" would match far too much
    assert normalise("Ærø Straße") == "ærø straße"


def test_ranker_counts_words_phrases_and_exclusions_by_word() -> None:
    # The ranker counts with regular expressions over the text (bot.core.search_rank): these are the cases where a
    # pattern could disagree with comparing the words one by one.
    title = 4.0
    leak = Ranker(parse_query("leak"))
    # Every word starting with the stem counts, a word merely containing it does not; "_" separates words.
    assert leak.score("Leaks leaked: leak_test, unleaked", "", "") == round(title * (1 + math.log(3)), 4)
    assert leak.score("Unleaked", "", "") is None
    # Overlapping occurrences of a phrase count, and a phrase matches across punctuation but not across fields.
    twice = Ranker(parse_query('"leak leak"'))
    assert twice.score("leak leak leak", "", "") == round(2.0 * title * (1 + math.log(2)), 4)
    phrase = Ranker(parse_query('"face recognition"'))
    assert phrase.score("Face-recognition, face, recognition", "", "") == round(2.0 * title * (1 + math.log(2)), 4)
    assert phrase.score("Police face", "recognition cameras", "") is None
    # Accents and case are ignored as the index ignores them, and an exclusion anywhere drops the story.
    assert Ranker(parse_query("uberwachung")).score("", "Die ÜBERWACHUNG", "") == 1.0
    assert Ranker(parse_query("camera -police")).score("Camera", "", "Policía Outlet") is None
    assert Ranker(parse_query('camera -"city police"')).score("Camera", "city, police", "") is None
    assert Ranker(parse_query('camera -"city police"')).score("Camera", "police city", "") == title
