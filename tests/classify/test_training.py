"""Training pieces on real numbers: the regression, the calibration, the folds, the regression guard."""

from __future__ import annotations

import numpy as np

from bot.training.corpus import Item, corpus_hash
from bot.training.logreg import fit_logistic, fit_platt, sigmoid
from bot.training.metrics import calibration_error, grouped_folds, report
from bot.training.train import regressions


def _item(i: int, incident: str, label: int, lang: str = "en", category: str = "cctv") -> Item:
    return Item(f"x-{i}", incident, lang, f"title {i}", "", label, category, "corpus")


def test_logistic_regression_separates_and_the_penalty_shrinks() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0).astype(float)
    w, b = fit_logistic(x, y, l2=1.0)
    accuracy = float(((x @ w + b > 0) == (y > 0)).mean())
    assert accuracy > 0.95
    w_strong, _ = fit_logistic(x, y, l2=1000.0)
    assert np.linalg.norm(w_strong) < np.linalg.norm(w) / 3


def test_platt_scaling_calibrates_overconfident_logits() -> None:
    rng = np.random.default_rng(2)
    true_logit = rng.normal(scale=1.5, size=4000)
    y = (rng.random(4000) < sigmoid(true_logit)).astype(float)
    overconfident = 4.0 * true_logit
    before = calibration_error(y, sigmoid(overconfident))
    a, b = fit_platt(overconfident, y)
    after = calibration_error(y, sigmoid(a * overconfident + b))
    assert after < before / 2 and after < 0.03
    assert 0.15 < a < 0.4  # it undid the factor of four


def test_folds_never_split_an_incident_and_are_seeded() -> None:
    items = [_item(i, f"inc-{i // 3}", i % 2) for i in range(60)]
    folds = grouped_folds(items, 5, seed=7)
    assert sorted(int(i) for f in folds for i in f) == list(range(60))
    for fold in folds:
        inside = {items[int(i)].incident for i in fold}
        outside = {items[int(i)].incident for f in folds if f is not fold for i in f}
        assert not inside & outside
    again = grouped_folds(items, 5, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(folds, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(folds, grouped_folds(items, 5, seed=8), strict=True))


def test_report_counts_hard_negatives_languages_and_categories() -> None:
    items = [
        _item(1, "a", 1, "en"),
        _item(2, "b", 1, "fr"),
        _item(3, "c", 0, "en", "surveillance_no_breach"),
        _item(4, "d", 0, "fr", "unrelated"),
    ]
    figures = report(items, [0.9, 0.2, 0.7, 0.1])
    assert figures["precision"] == 0.5 and figures["recall"] == 0.5
    assert figures["hard_negative_fpr"] == 1.0  # the one hard negative was flagged; unrelated news is not hard
    assert figures["per_language"]["fr"]["recall"] == 0.0
    assert figures["per_category"]["surveillance_no_breach"] == {"n": 1, "flagged": 1.0}


def test_the_guard_refuses_a_worse_model_and_the_hash_names_the_data() -> None:
    committed = {"precision": 0.9, "recall": 0.9, "f1": 0.9, "hard_negative_fpr": 0.05}
    assert regressions(dict(committed), committed) == []
    worse = {**committed, "recall": 0.85, "hard_negative_fpr": 0.1}
    assert len(regressions(worse, committed)) == 2
    items = [_item(1, "a", 1)]
    changed = [Item("x-1", "a", "en", "title 1", "", 0, "cctv", "corpus")]
    assert corpus_hash(items) != corpus_hash(changed)


def test_the_schema_names_what_is_wrong_with_an_item() -> None:
    from bot.training.schema import problems

    good = {
        "id": "fr-0001",
        "incident": "2019-perceptics-cbp",
        "lang": "fr",
        "variant": "fr-BE",
        "title": "Des images de plaques volées",
        "summary": "Un sous-traitant piraté.",
        "label": 1,
        "category": "alpr",
        "kind": "outside_attack",
        "form": "teaser",
    }
    assert problems(good) == []
    bad = {**good, "category": "crime_on_camera", "form": "headline_only", "variant": "de-AT"}
    found = " | ".join(problems(bad))
    assert "category 'crime_on_camera' not allowed for label 1" in found
    assert "variant does not match lang" in found and "headline_only" in found
