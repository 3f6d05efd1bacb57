"""Hand-written Spanish, Italian, Portuguese and Dutch probes (tests/fixtures/probes_es_it_pt_nl.jsonl): positives
over every surveillance category in varied wording, and hard negatives from the same vocabulary (CCTV-caught
burglaries, stolen cars found by plate readers, fines, bans, flaws without exposure, ordinary-data breaches).
Every verdict must match its label, with the story's language and with the language unknown."""

from __future__ import annotations

import json

import pytest

from bot.classify.classifier import classify
from tests.conftest import REPO_ROOT

PROBES = REPO_ROOT / "tests" / "fixtures" / "probes_es_it_pt_nl.jsonl"


def _items() -> list[dict[str, object]]:
    return [json.loads(line) for line in PROBES.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_probe_set_covers_the_four_languages_both_ways() -> None:
    items = _items()
    for lang in ("es", "it", "pt", "nl"):
        labels = [item["label"] for item in items if item["lang"] == lang]
        assert labels.count(1) >= 10 and labels.count(0) >= 10, lang


@pytest.mark.parametrize("known_lang", [True, False], ids=["with-lang", "lang-unknown"])
def test_every_probe_verdict_matches_its_label(known_lang: bool) -> None:
    failures = []
    for item in _items():
        lang = str(item["lang"]) if known_lang else None
        verdict = classify(str(item["title"]), str(item["summary"]), lang=lang)
        if verdict.match != bool(item["label"]):
            failures.append(
                f"{item['id']} label={item['label']} match={verdict.match} score={verdict.score:.3f} "
                f"reason={verdict.reason} evidence={dict(verdict.evidence)} | {item['title']}"
            )
    assert not failures, f"{len(failures)} probe(s) misclassified:\n" + "\n".join(failures)
