"""`breachwatch train` end to end on a small corpus of our own: it writes a model with its provenance, the bot can
load it, and it refuses to replace a model that measured better."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bot.classify.model import load_model
from bot.cli import main

POSITIVE = [
    "Hackers stole the licence plate images of {n} drivers from the {town} parking operator",
    "Police officer in {town} sold database records of {n} residents to a gang",
    "Open server exposed {n} clips from home cameras in {town}",
    "Stalkerware maker leaked messages and locations of {n} victims in {town}",
]
NEGATIVE = [
    "{town} council votes to ban face recognition after a {n}-page report",
    "Retailer in {town} says {n} customers' card numbers were stolen",
    "Storm cuts power to {n} homes around {town}",
    "{town} police install {n} new plate readers on the ring road",
]
TOWNS = ["Arlen", "Bramsby", "Coldwell", "Dunmore", "Eastvale", "Fenwick", "Galloway", "Hartwell"]


def _write_corpus(folder: Path) -> None:
    rng = random.Random(3)
    rows = []
    for town in TOWNS:
        for label, templates in ((1, POSITIVE), (0, NEGATIVE)):
            for k, template in enumerate(templates):
                n = rng.randint(100, 90_000)
                rows.append(
                    {
                        "id": f"en-{len(rows) + 1:04d}",
                        "incident": f"en-inv-{town}-{label}-{k}",
                        "lang": "en",
                        "variant": "en-GB",
                        "title": template.format(n=n, town=town),
                        "summary": "",
                        "label": label,
                        "category": "cctv" if label else "unrelated",
                        "kind": "outside_attack" if label else "unrelated",
                        "form": "headline_only",
                    }
                )
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_train_writes_a_loadable_model_and_refuses_a_worse_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, out = tmp_path / "corpus", tmp_path / "model"
    _write_corpus(corpus)
    args = ["train", "--corpus", str(corpus), "--out", str(out), "--only-corpus", "--cache", ""]
    assert main(args) == 0
    assert "cross-validated (grouped by incident" in capsys.readouterr().out
    model = load_model(out)
    meta = json.loads((out / "classifier.json").read_text())
    assert meta["items"] == 64 and meta["folds"] == 5 and meta["encoder"] == model.encoder
    assert len(meta["corpus_hash"]) == 16 and "cross_validated" in meta["metrics"]

    # The same data and seed give the same weights.
    first = (out / "classifier.npz").read_bytes()
    assert main([*args, "--force"]) == 0
    assert load_model(out).weights.tolist() == model.weights.tolist()
    assert len(first) > 0

    # A committed model that measured better is kept.
    meta["metrics"]["cross_validated"].update(precision=1.01, recall=1.01, f1=1.01)
    (out / "classifier.json").write_text(json.dumps(meta))
    assert main(args) == 1
    assert "measures worse than the committed one" in capsys.readouterr().out
    assert json.loads((out / "classifier.json").read_text())["metrics"]["cross_validated"]["f1"] == 1.01

    # A folder written apart (here the article-style `blind`) is scored by the model, never trained on.
    blind = [
        {
            "id": "bl-en-01",
            "incident": "bl-en-inv-1",
            "lang": "en",
            "variant": "en-GB",
            "title": "Thieves copied plate-reader photos of 4,000 commuters from a car park firm in Ivybridge",
            "summary": "",
            "label": 1,
            "category": "cctv",
            "kind": "outside_attack",
            "form": "headline_only",
        },
        {
            "id": "bl-en-02",
            "incident": "bl-en-inv-2",
            "lang": "en",
            "variant": "en-GB",
            "title": "Ivybridge council weighs a ban on face recognition in its market square",
            "summary": "",
            "label": 0,
            "category": "surveillance_no_breach",
            "kind": "ban_or_law",
            "form": "headline_only",
        },
    ]
    (corpus / "blind").mkdir()
    (corpus / "blind" / "en.jsonl").write_text("".join(json.dumps(r) + "\n" for r in blind))
    capsys.readouterr()
    assert main([*args, "--evaluate-setaside", "blind"]) == 0
    printed = capsys.readouterr().out
    assert "blind (model)" in printed and "blind, lexicon alone" in printed
    # The report clusters kept out of training are scored from the test fixtures, whatever the corpus folder.
    assert main([*args, "--evaluate-setaside", "reports"]) == 0
    assert "reports (model): 290 items" in capsys.readouterr().out
    assert main([*args, "--evaluate-setaside", "train"]) == 2
    assert "takes one of setaside, blind" in capsys.readouterr().err
