"""`breachwatch classify` through the real CLI parser (bot.cli.main) and as a subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parents[2]

ITEMS = [
    {"id": "a", "title": "Hackers leak licence plate camera logs", "summary": "Millions of records.", "lang": "en"},
    {"id": 2, "title": "Fuite de données : images de vidéosurveillance en accès libre", "summary": ""},
    {"id": "c", "title": "City bans facial recognition", "summary": "The council voted.", "lang": "en-GB"},
]


def test_text_verdict_is_readable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "Police database hacked, informant names leaked"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MATCH  score ")
    assert "categories: police_db" in out
    assert "police_db: " in out and "hack: hacked" in out
    assert "decided by the trained model; lexicon score" in out
    assert out.count("(breach, similarity") + out.count("(not a breach, similarity") == 2  # the two nearest cases


def test_the_lexicon_alone_when_the_encoder_is_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BREACHWATCH_ENCODER", "none")
    assert main(["classify", "Police database hacked, informant names leaked"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MATCH") and "decided by the lexicon alone" in out and "closest known cases" not in out


def test_text_verdict_explains_a_rejection(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "--lang", "en", "Council votes to ban facial recognition"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no match")
    assert "reason: surveillance_no_breach" in out


def test_jsonl_file_in_same_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n\n", encoding="utf-8")
    assert main(["classify", "--jsonl", str(src)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in lines] == ["a", 2, "c"]
    assert [o["match"] for o in lines] == [True, True, False]
    assert set(lines[0]) == {
        "id",
        "match",
        "score",
        "categories",
        "evidence",
        "lang",
        "stage",
        "lexicon_score",
        "cases",
    }
    assert lines[0]["lang"] == "en" and lines[1]["lang"] is None and lines[2]["lang"] == "en"
    assert "alpr" in lines[0]["categories"] and "leak" in lines[0]["evidence"]


def test_jsonl_stdin_with_a_bad_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(ITEMS[0]) + "\nnot json\n" + json.dumps(ITEMS[2])))
    assert main(["classify", "--jsonl", "-"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("id") for o in lines] == ["a", None, "c"]
    assert "error" in lines[1] and lines[1]["line"] == 2


def test_missing_file_and_missing_text(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["classify", "--jsonl", str(tmp_path / "nope.jsonl")]) == 2
    assert main(["classify"]) == 2
    assert "give a text" in capsys.readouterr().err


def test_jsonl_end_to_end_as_a_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "classify", "--jsonl", "-"],
        input="".join(json.dumps(i) + "\n" for i in ITEMS),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c"]
    assert out[0]["match"] and not out[2]["match"]


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    # `breachwatch classify --jsonl big.jsonl | head -1`: no traceback, no error message, the usual SIGPIPE status.
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({**ITEMS[0], "id": i}) + "\n" for i in range(5000)), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "classify", "--jsonl", str(big)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert json.loads(first)["id"] == 0
    assert err == b"", err
