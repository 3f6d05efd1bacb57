"""The classifier against the labelled development set in ../shared (skipped when absent, unless CI=true)."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.classify.evaluation import TARGETS, evaluate
from tests.conftest import REPO_ROOT, require_shared


def test_dev_set_meets_the_targets_in_every_language() -> None:
    path = require_shared("corpus", "dev.jsonl")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = evaluate(items)
    assert len(report.per_language) == 7
    for lang, counts in {"all": report.overall, **report.per_language}.items():
        assert counts.precision >= TARGETS["precision"], (lang, counts.as_dict(), report.errors)
        assert counts.recall >= TARGETS["recall"], (lang, counts.as_dict(), report.errors)
        assert counts.f1 >= TARGETS["f1"], (lang, counts.as_dict(), report.errors)
    assert report.borderline.tp + report.borderline.fp + report.borderline.fn + report.borderline.tn > 0
    assert report.hard_negative_fp / report.hard_negatives <= 0.05


def test_eval_script_ends_with_one_json_object() -> None:
    path = require_shared("corpus", "dev.jsonl")
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "classifier_eval.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"precision", "recall", "f1", "per_language", "hard_negative_fp_rate", "targets_met"} <= set(last)
    assert "borderline, not in the headline" in proc.stdout
