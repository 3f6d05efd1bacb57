"""Second probe set for English, French, German and Dutch: the style varies rather than only the vocabulary
(headlines that hide the key words, wire-agency leads, decisive words only in the summary, named vendors and systems,
numbers, passive voice, questions, insiders), and the hard negatives share those names (fines, expansions, appeals,
a police union's website, hijacked police social accounts, outages, physical thefts filmed by cameras).

Every item must get the verdict of its label, both with its language and with the language unknown, except the few
in KNOWN_CODE_GAPS: no lexicon term can fix them without breaking a positive, so they wait for a scoring change. They
are checked to be still wrong, so that the change that fixes them has to take them off the list.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.classify.classifier import classify

FIXTURE = Path(__file__).parent / "fixtures" / "probes2_en_fr_de_nl.jsonl"

# id -> why the lexicon cannot fix it
KNOWN_CODE_GAPS = {
    # A court defeat of a spyware maker: since a headline cue with the breach only in the summary no longer lets the
    # breach blunt the cue, the French one passes; the Dutch cue 'hoger beroep' is too weak to pull enough.
    "p2-nl-n03": "appeal lost by NSO; 'de hack van' in the summary outweighs 'hoger beroep'",
    # A data broker sued over its business: the same 'sold data' wording reports an insider selling police files.
    "p2-fr-n07": "data broker sued for selling location data; 'vendu des données' is also the insider-sale wording",
}


def _items() -> list[dict[str, Any]]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


ITEMS = _items()


def test_fixture_shape() -> None:
    ids = [item["id"] for item in ITEMS]
    assert len(ids) == len(set(ids))
    assert set(KNOWN_CODE_GAPS) <= set(ids)
    for lang in ("en", "fr", "de", "nl"):
        labels = [item["label"] for item in ITEMS if item["lang"] == lang]
        assert labels.count(1) >= 12 and labels.count(0) >= 12, lang


@pytest.mark.parametrize("with_lang", [True, False], ids=["lang", "unknown"])
def test_probe_verdicts(with_lang: bool) -> None:
    failures = []
    for item in ITEMS:
        if item["id"] in KNOWN_CODE_GAPS:
            continue
        verdict = classify(item["title"], item["summary"], lang=item["lang"] if with_lang else None)
        if verdict.match != bool(item["label"]):
            failures.append(
                f"{item['id']} label={item['label']} score={verdict.score:.3f} {item['title']}"
                f"\n    evidence={dict(verdict.evidence)}"
            )
    assert not failures, f"{len(failures)} probe verdict(s) wrong:\n" + "\n".join(failures)


@pytest.mark.parametrize("with_lang", [True, False], ids=["lang", "unknown"])
def test_known_code_gaps_still_open(with_lang: bool) -> None:
    fixed = []
    for item in ITEMS:
        if item["id"] not in KNOWN_CODE_GAPS:
            continue
        verdict = classify(item["title"], item["summary"], lang=item["lang"] if with_lang else None)
        if verdict.match == bool(item["label"]):
            fixed.append(item["id"])
    assert not fixed, f"now right, take them off KNOWN_CODE_GAPS: {fixed}"
