"""Lexicon syntax, the single automaton, and the bundled lexicon files."""

from __future__ import annotations

from importlib import resources

import pytest

from bot.classify.lexicon import CONCEPT_KINDS, LexiconError, TermSpec, default_terms, lexicon_names, parse_lexicon
from bot.classify.matcher import Matcher, expand


def _find(specs: list[TermSpec], text: str) -> list[str]:
    from bot.classify.classifier import prepare

    normalised, _ = prepare(text, "", None, "en")
    return sorted(t.display for _, _, t in Matcher(specs).find(normalised))


def spec(text: str, concept: str = "leak", lang: str = "en", inflections: tuple[str, ...] = ("", "s")) -> TermSpec:
    return TermSpec(text, concept, 0.8, lang, inflections)


def test_whole_words_only() -> None:
    assert _find([spec("ban", "policy")], "The bank banned nothing") == []
    assert _find([spec("ban", "policy")], "A ban on cameras") == ["ban"]


def test_prefix_suffix_and_infix_wildcards() -> None:
    assert _find([spec("pirat*")], "Mairie piratée, piratage massif") == ["pirat", "pirat"]
    assert _find([spec("*leck")], "Ein Datenleck, kein Leck, sehr lecker") == ["leck", "leck"]
    assert _find([spec("*kamera*", "cctv")], "Überwachungskameras am Bahnhof") == ["kamera"]


def test_inner_word_inflection_and_phrases() -> None:
    specs = [spec("fichier* de police", "police_db", "fr", ("", "s"))]
    assert expand(specs[0]) == [" fichier de police ", " fichiers de police "]
    assert _find(specs, "Des fichiers de police revendus") == ["fichier de police"]
    assert _find(specs, "fichiers de la police") == []


def test_numbers_in_terms_match_numbers_in_text_by_value() -> None:
    assert _find([spec("1,5 milhões de registos", lang="pt")], "1.5 million de registos") == ["1,5 milhões de registos"]


def test_bad_terms_are_refused() -> None:
    with pytest.raises(LexiconError):
        expand(spec("da*ta"))
    with pytest.raises(LexiconError):
        expand(spec("***"))


def test_lexicon_format_errors() -> None:
    with pytest.raises(LexiconError, match="unknown concept"):
        parse_lexicon('[[group]]\nconcept = "nonsense"\nterms = ["x"]\n', "en")
    with pytest.raises(LexiconError, match="outside"):
        parse_lexicon('[[group]]\nconcept = "leak"\nweight = 2\nterms = ["x"]\n', "en")
    with pytest.raises(LexiconError):
        parse_lexicon("[[group", "en")


def test_every_bundled_lexicon_loads_documents_its_format_and_covers_the_concepts() -> None:
    for name in lexicon_names():
        text = resources.files("config").joinpath("lexicon", f"{name}.toml").read_text(encoding="utf-8")
        assert text.startswith("# breachwatch lexicon"), name
        assert "Term syntax" in text and "Concepts." in text, name
        terms = parse_lexicon(text, name)
        assert len(terms) > 100, name
    concepts = {t.concept for t in default_terms()}
    assert concepts >= {c for c, k in CONCEPT_KINDS.items() if k.value not in ("block", "force")}


def test_all_terms_compile_into_one_automaton() -> None:
    m = Matcher(default_terms())
    assert m.pattern_count > 3000
    # One pass finds terms of several languages in a mixed text.
    from bot.classify.classifier import prepare

    text, _ = prepare("Datenleck: fuite de données, data breach, vazamento", "", None, None)
    langs = {t.lang for _, _, t in m.find(text)}
    assert {"de", "fr", "en", "pt"} <= langs
