"""One category list: config/categories.toml. The lexicons, the trained model, the corpus, the alert labels and
colours and the docs are checked against it, so a category added, dropped or renamed in one place fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.alerts.render import CATEGORY_COLOURS, CATEGORY_LABELS
from bot.classify.lexicon import CONCEPT_KINDS, Kind, lexicon_names, load_lexicon
from bot.classify.model import load_model
from bot.core.categories import CATEGORIES, CategoryError, parse_categories
from bot.core.languages import LANGUAGES
from bot.training.corpus import setaside_items, training_items

ROOT = Path(__file__).resolve().parents[2]
PROBE = "probe"  # the probe fixtures are labelled without a category (bot.training.corpus)


def test_every_surveillance_concept_is_a_category_and_every_category_is_in_every_lexicon() -> None:
    assert [c for c, kind in CONCEPT_KINDS.items() if kind is Kind.SURVEILLANCE] == list(CATEGORIES)
    shared = {spec.concept for spec in load_lexicon("shared")}
    for lang in LANGUAGES:
        concepts = {spec.concept for spec in load_lexicon(lang)} | shared
        assert set(CATEGORIES) <= concepts, (lang, set(CATEGORIES) - concepts)
    used = {spec.concept for name in lexicon_names() for spec in load_lexicon(name)}
    assert {c for c in used if CONCEPT_KINDS[c] is Kind.SURVEILLANCE} == set(CATEGORIES)


def test_the_trained_model_was_trained_on_these_categories() -> None:
    model = load_model()
    features = [f.removeprefix("has_") for f in model.provenance["side_features"] if f.startswith("has_")]
    assert [f for f in features if f in CATEGORIES] == list(CATEGORIES)
    positives = {c for c, label in zip(model.case_categories, model.case_labels, strict=True) if label == 1}
    assert positives - {PROBE} == set(CATEGORIES)


def test_the_corpus_uses_exactly_these_categories() -> None:
    items = training_items(dev=None) + setaside_items()
    assert {item.category for item in items if item.label == 1} - {PROBE} == set(CATEGORIES)


def test_alert_labels_and_colours_cover_exactly_these_categories() -> None:
    assert list(CATEGORY_LABELS) == list(CATEGORY_COLOURS) == list(CATEGORIES)


def test_the_docs_list_these_categories() -> None:
    corpus_readme = (ROOT / "corpus" / "README.md").read_text(encoding="utf-8")
    row = next(line for line in corpus_readme.splitlines() if line.startswith("| `category` |"))
    positive = row.split("For label 0")[0]
    assert set(re.findall(r"`([a-z_]+)`", positive)) - {"category"} == set(CATEGORIES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[category]]\nkey = "alpr"\nlabel = "A"\ncolour = 1\n' * 2, "repeated key"),
        ('[[category]]\nkey = "Alpr"\nlabel = "A"\ncolour = 1\n', "bad or repeated key"),
        ('[[category]]\nkey = "alpr"\nlabel = ""\ncolour = 1\n', "empty label"),
        ('[[category]]\nkey = "alpr"\nlabel = "A"\ncolour = 0x1000000\n', "not an RGB number"),
        ('[[category]]\nkey = "alpr"\nlabel = "A"\n', "exactly key, label and colour"),
        ("", "no category"),
    ],
)
def test_a_wrong_categories_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(CategoryError, match=message):
        parse_categories(text)
