"""The learned same-incident judgement (bot/stories/pairing.py): the trees the bot runs in numpy are the ones
scikit-learn fitted, the committed model is the one the committed sets train, and it decides only for reports that
carry an embedding."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.stories.decide import Candidate, Similarity, best_story
from bot.stories.pairing import CARD, FEATURES, load_pair_judge
from bot.stories.signature import build_signature
from bot.training.grouping import fit, sets_hash, training_sets
from tests.conftest import require_shared

MODEL = Path(__file__).resolve().parents[2] / "config" / "model"


def _rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, size=(n, len(FEATURES)))
    y = ((x[:, 0] + x[:, 1] > 2.0) ^ (x[:, 8] > 1.7)).astype(float)
    return x, y


def test_the_exported_trees_give_scikit_learns_probabilities_after_a_save_and_a_load(tmp_path: Path) -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = _rows(400, 1)
    judge = fit(x, y, {"features": list(FEATURES)})
    judge.save(tmp_path)
    loaded = load_pair_judge(tmp_path)
    assert loaded is not None
    fresh, _ = _rows(100, 2)
    reference = GradientBoostingClassifier(n_estimators=200, max_depth=4, learning_rate=0.05, random_state=20261207)
    expected = reference.fit(x, y).predict_proba(fresh)[:, 1]
    got = np.array([loaded.probability(row) for row in fresh])
    assert np.allclose(got, expected, atol=1e-6)
    assert {p >= 0.5 for p in got} == {True, False}  # the rows reach both sides of the cutoff


def test_a_model_trained_on_other_features_is_refused(tmp_path: Path) -> None:
    x, y = _rows(200, 3)
    fit(x, y, {"features": ["names", "numbers"]}).save(tmp_path)
    with pytest.raises(ValueError, match="other features"):
        load_pair_judge(tmp_path)


def test_the_committed_model_was_trained_on_the_committed_sets() -> None:
    require_shared("corpus", "dedupe_dev.jsonl")
    card = json.loads((MODEL / CARD).read_text(encoding="utf-8"))
    sets = training_sets()
    assert card["features"] == list(FEATURES)
    assert card["sets"] == [p.name for p in sets]
    assert card["sets_hash"] == sets_hash(sets), "the sets changed: run make train-grouping"
    pooled = card["left_out_sets"]["pooled"]
    # Each set grouped by a model that never saw it (bot/training/grouping.py): no lower than docs/dedupe.md gives.
    floors = {"within": (0.89, 0.74), "across": (0.93, 0.78)}  # measured: 0.897 / 0.744, 0.936 / 0.785
    for kind, (precision, recall) in floors.items():
        assert pooled[kind]["precision"] >= precision and pooled[kind]["recall"] >= recall, pooled
    assert load_pair_judge(MODEL) is not None


def test_the_model_decides_only_where_the_report_carries_an_embedding() -> None:
    """Two reports of one gang's two victims, a day apart, read as near in meaning: the rules' veto (two victims)
    stands with the model, and a report without an embedding is the rules' to judge."""
    judge = load_pair_judge(MODEL)
    assert judge is not None
    first = build_signature(
        "Grauwolf gang leaks plate-camera images from Tarnholm Parking",
        "The Grauwolf ransomware group published 40 GB of number-plate photos it says it took from Tarnholm "
        "Parking's car parks.",
        "en",
        datetime(2026, 3, 2, tzinfo=UTC),
    )
    second = build_signature(
        "Grauwolf gang leaks CCTV archive of Velmora Clinics",
        "Days after Tarnholm Parking, the Grauwolf group dumped footage from the security cameras of Velmora Clinics.",
        "en",
        datetime(2026, 3, 3, tzinfo=UTC),
    )
    near = Candidate(1, first, Similarity(0.95, None))
    window = timedelta(days=7)
    assert best_story(second, [near], window, judge) is None
    assert best_story(second, [near], window, None) is None
    same = build_signature(
        "Tarnholm Parking confirms Grauwolf leak of number-plate images",
        "Tarnholm Parking said 40 GB of plate-camera photos taken from its car parks were published by the Grauwolf "
        "ransomware group.",
        "en",
        datetime(2026, 3, 3, tzinfo=UTC),
    )
    found = best_story(same, [near], window, judge)
    assert found is not None and found[1].probability is not None and found[1].probability >= judge.cutoff
    ruled = best_story(same, [near], window, None)
    assert ruled is not None and ruled[1].probability is None


def test_a_pair_with_no_shared_name_or_number_needs_the_stricter_meaning_cutoff() -> None:
    x, y = _rows(300, 4)
    judge = fit(x, y, {"features": list(FEATURES)})
    row = x[int(np.argmax([judge.probability(r) for r in x]))].copy()
    p = judge.probability(row)
    strict = replace(judge, cutoff=p - 0.01, meaning_cutoff=p + 0.01)
    assert strict.same(row)[0]  # this row shares a name or a number
    row[FEATURES.index("names")] = row[FEATURES.index("numbers")] = 0.0
    assert strict.same(row)[0] is (strict.probability(row) >= p + 0.01)
    assert not replace(strict, meaning_cutoff=1.01).same(row)[0]
