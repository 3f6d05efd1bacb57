"""Probe set for English, French and German: positives worded unlike the dev set, and hard negatives from the same
vocabulary (surveillance news without a breach, ordinary breaches, physical thefts a camera merely recorded).

Every item must get the verdict of its label, both with its language and with the language unknown.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.classify.classifier import classify

FIXTURE = Path(__file__).parent / "fixtures" / "probes_en_fr_de.jsonl"


def _items() -> list[dict[str, Any]]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ITEMS = _items()


def test_fixture_shape() -> None:
    ids = [item["id"] for item in ITEMS]
    assert len(ids) == len(set(ids))
    for lang in ("en", "fr", "de"):
        labels = [item["label"] for item in ITEMS if item["lang"] == lang]
        assert labels.count(1) >= 12 and labels.count(0) >= 12, lang


@pytest.mark.parametrize("with_lang", [True, False], ids=["lang", "unknown"])
def test_probe_verdicts(with_lang: bool) -> None:
    failures = []
    for item in ITEMS:
        verdict = classify(item["title"], item["summary"], lang=item["lang"] if with_lang else None)
        if verdict.match != bool(item["label"]):
            failures.append(
                f"{item['id']} label={item['label']} score={verdict.score:.3f} {item['title']}"
                f"\n    evidence={dict(verdict.evidence)}"
            )
    assert not failures, f"{len(failures)} probe verdict(s) wrong:\n" + "\n".join(failures)
