"""The grouping on our own probe clusters (tests/fixtures/dedupe_probes.jsonl): ten invented incidents, each told by
four or five outlets in several languages, and ten look-alikes that must stay apart (the same vendor months later,
the same kind of breach in another town the same week, a lawsuit over an older leak, a report that mentions the
other incident in passing). Pairwise precision and recall as bench/dedupe_eval.py computes them, on SQLite."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bot.commands.dedupe.batch import group_items
from bot.stories.signature import Signature, build_signature

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "dedupe_probes.jsonl"
MIN_RECALL = {"within": 0.95, "across": 0.95}  # reached: 1.000 and 1.000


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dedupe_eval", ROOT / "bench" / "dedupe_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_probe_clusters_group_without_a_false_pair() -> None:
    items = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    inputs = [
        {"id": d["id"], "title": d["title"], "summary": d["summary"], "published": d["date"], "lang": d["lang"]}
        for d in items
    ]
    stories = asyncio.run(group_items(inputs))
    story_of = {d["id"]: s for d, s in zip(items, stories, strict=True)}
    same = {(a["id"], b["id"]): story_of[a["id"]] == story_of[b["id"]] for a, b in itertools.combinations(items, 2)}
    result = _eval_module().pairwise(items, same)
    event = {d["id"]: d["event"] for d in items}
    wrong = [pair for pair, guess in same.items() if guess and event[pair[0]] != event[pair[1]]]
    for kind in ("within", "across"):
        assert result[kind]["false_pairs"] == 0, (kind, wrong)
        assert result[kind]["recall"] >= MIN_RECALL[kind], (kind, result[kind])


def _sig(title: str, summary: str, lang: str = "en") -> Signature:
    return build_signature(title, summary, lang, datetime(2025, 4, 16, tzinfo=UTC))


def test_a_name_met_only_after_the_earlier_leak_is_context() -> None:
    other = _sig(
        "Another stalkerware maker, Quillbox, leaks photos",
        "Days after the Nattermark leak, Quillbox left a bucket open.",
    )
    assert other.entities["nattermark"] < 0.5 and other.entities["quillbox"] >= 0.8
    german = _sig("Zweiter Anbieter betroffen: Quillbox", "Kurz nach dem Nattermark-Leck traf es Quillbox.", "de")
    assert german.entities["nattermark"] < 0.5


def test_a_follow_up_without_a_headline_name_keeps_the_name() -> None:
    follow_up = _sig("Stalkerware app goes dark", "Two days after the Nattermark leak, the app stopped working.")
    assert follow_up.entities["nattermark"] >= 0.8
    own = _sig("Nattermark goes dark", "Two days after the Nattermark leak was revealed, the app stopped working.")
    assert own.entities["nattermark"] >= 0.8


def test_the_bench_groups_as_the_bot_does_unless_told_otherwise() -> None:
    """bench/dedupe_eval.py measures the bot's grouping by default (every report embedded, the learned judgement
    deciding); --no-embeddings measures the rules alone. Its last line says which it measured."""
    bench = ROOT / "bench" / "dedupe_eval.py"

    def measured(*flags: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, str(bench), "--file", str(FIXTURE), "--smoke", *flags],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        last: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return last

    default, rules = measured(), measured("--no-embeddings")
    assert default["embeddings"] is True and default["model"] is True
    assert rules["embeddings"] is False and rules["model"] is False
    assert default["items"] == rules["items"] == 24
