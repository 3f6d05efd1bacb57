"""The fast paths give the verdicts of the plain ones: `Matcher.scan` (decisive terms per language, chosen when
compiling) against `Matcher.find` (every term, filtered per hit), on stories made of lexicon terms."""

from __future__ import annotations

import random

import pytest

from bot.classify.classifier import _LANG_SETS, Classifier, prepare
from bot.classify.lexicon import ANY_LANG, TermSpec, default_terms
from bot.classify.matcher import Term, decisive
from bot.classify.scoring import score_hits
from bot.core.languages import LANGUAGES

_GLUE = [" ", " ", " ", ", ", ". ", " and ", " could ", "; ", " the ", " 1,5 millions ", " – "]


def _story(rng: random.Random, phrases: list[str]) -> tuple[str, str]:
    def part(n: int) -> str:
        return "".join(rng.choice(phrases) + rng.choice(_GLUE) for _ in range(n))

    return part(rng.randint(1, 4)), part(rng.randint(0, 8))


def _guild_terms() -> list[TermSpec]:
    # Guild terms overlapping the lexicons, with zero and equal weights, blocks and forces.
    return [
        TermSpec("cctv", "cctv", 0.0, ANY_LANG),
        TermSpec("leak*", "leak", 0.0, ANY_LANG),
        TermSpec("camera*", "location", 0.95, ANY_LANG),
        TermSpec("fine", "penalty", 0.9, ANY_LANG),
        TermSpec("Fined", "penalty", 0.7, ANY_LANG),  # the pattern of "fined", another display
        TermSpec("hacked", "access", 1.0, ANY_LANG),
        TermSpec("datenleck", "blocked", 1.0, ANY_LANG),
        TermSpec("plate reader*", "forced", 1.0, ANY_LANG),
    ]


@pytest.mark.parametrize("extra", [False, True])
def test_scan_scores_like_find(extra: bool) -> None:
    specs = list(default_terms()) + (_guild_terms() if extra else [])
    clf = Classifier(specs)
    phrases = sorted({" ".join(s.text.replace("*", "").split()) for s in specs})
    phrases += [s.text.replace("*", "s") for s in _guild_terms()] * 40 if extra else []  # make overlaps common
    rng = random.Random(20 + extra)
    checked = matched = 0
    for i in range(400):
        title, summary = _story(rng, phrases)
        lang = None if i % 8 == 0 else LANGUAGES[i % len(LANGUAGES)]
        text, layout = prepare(title, summary, None, lang)
        every = clf.matcher.find(text, None if lang is None else _LANG_SETS[lang])
        fast = clf.matcher.scan(text, lang)
        assert len(fast) <= len(every)
        want = score_hits(every, layout, 0.5, lang, text)
        assert score_hits(fast, layout, 0.5, lang, text) == want, (title, summary, lang)
        assert clf.classify(title, summary, None, lang) == want
        checked += 1
        matched += want.match
    assert checked == 400 and 0 < matched < 400  # both kinds of verdict were compared


def test_decisive_keeps_the_strongest_term_where_its_concept_first_counts() -> None:
    def term(concept: str, weight: float, lang: str, display: str = "x") -> Term:
        spec = TermSpec(display, concept, weight, lang)
        return Term(display, concept, spec.kind, weight, lang)

    weightless, cctv_fr, alpr, cctv_en = (
        term("cctv", 0.0, "en"),
        term("cctv", 0.6, "fr"),
        term("alpr", 0.7, "fr"),
        term("cctv", 0.9, "en"),
    )
    # cctv sits where it first has a weight (at cctv_fr, before alpr) and holds its strongest term.
    assert decisive([weightless, cctv_fr, alpr, cctv_en]) == (cctv_en, alpr)
    assert decisive([weightless, alpr, cctv_fr]) == (alpr, cctv_fr)
    # Cues count per display, so two fines with different words both stay.
    fine, fines = term("penalty", 0.8, "en", "fine"), term("penalty", 0.8, "en", "fined")
    assert decisive([fine, fines]) == (fine, fines)
