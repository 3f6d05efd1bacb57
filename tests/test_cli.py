"""The installed command: help, database commands and a clean console-mode run, as separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREACHWATCH_") and k != "DISCORD_TOKEN"}
    env["BREACHWATCH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def _cli(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    before = _cli(tmp_path, "db", "current")
    assert before.returncode == 0, before.stderr
    assert "empty" in before.stdout
    up = _cli(tmp_path, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    after = _cli(tmp_path, "db", "current")
    assert "up to date" in after.stdout


def test_bad_setting_stops_with_one_line(tmp_path: Path) -> None:
    result = _cli(tmp_path, "db", "current", BREACHWATCH_POLL_INTERVAL="0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BREACHWATCH_POLL_INTERVAL" in lines[0]


def test_unknown_command_is_usage_error(tmp_path: Path) -> None:
    result = _cli(tmp_path, "frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def _offline_sources(tmp_path: Path) -> str:
    """The bundled sources are real sites, which a test must never poll: one loopback source that refuses."""
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nurl = "http://127.0.0.1:9/feed"\nname = "Nothing"\nlanguage = "en"\n')
    return str(path)


def _wait_for(proc: subprocess.Popen[str], needle: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not logged within {timeout}s:\n{seen}")


def test_console_run_migrates_and_stops_within_two_seconds(tmp_path: Path) -> None:
    offline = {"BREACHWATCH_SOURCES_FILE": _offline_sources(tmp_path), "BREACHWATCH_ALLOW_PRIVATE_SOURCES": "true"}
    for sig in (signal.SIGINT, signal.SIGTERM):
        db = tmp_path / f"run-{sig.name}.db"
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=_env(tmp_path, BREACHWATCH_DATABASE_URL=f"sqlite:///{db}", DISCORD_TOKEN="", **offline),
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for(proc, "scheduler started", 30)
            assert db.exists()
            sent = time.monotonic()
            proc.send_signal(sig)
            proc.wait(timeout=10)
            elapsed = time.monotonic() - sent
        finally:
            proc.kill()
        assert proc.returncode == 0
        assert elapsed < 2.0, f"shutdown took {elapsed:.2f}s"
        assert proc.stderr is not None
        assert "stopped cleanly" in proc.stderr.read()


def test_search_and_reindex_commands(tmp_path: Path) -> None:
    assert _cli(tmp_path, "db", "upgrade").returncode == 0
    reindex = _cli(tmp_path, "reindex")
    assert reindex.returncode == 0, reindex.stderr
    assert "rebuilt" in reindex.stdout
    found = _cli(tmp_path, "search", "fuites", "--language", "fr", "--days", "7")
    assert found.returncode == 0, found.stderr
    assert "0 stories match “fuites”" in found.stdout
    refused = _cli(tmp_path, "search", "--", "-test")
    assert refused.returncode == 1
    assert "not only what to leave out" in refused.stdout


async def test_search_with_a_huge_number_is_one_line(tmp_path: Path, db_url: str) -> None:
    # 10**12 days overflowed the date arithmetic inside the search: a traceback instead of an answer.
    for option, value in (("--days", "1000000000000"), ("--days", "0"), ("--limit", "10" * 10), ("--offset", "-1")):
        run = _cli(tmp_path, "search", "leak", option, value, BREACHWATCH_DATABASE_URL=db_url)
        assert run.returncode == 2, (option, value, run.stderr)
        assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
        assert run.stderr.startswith(f"breachwatch search: {option} must be between"), run.stderr
    fine = _cli(tmp_path, "search", "leak", "--days", "3650", BREACHWATCH_DATABASE_URL=db_url)
    assert fine.returncode == 0 and "0 stories match" in fine.stdout, fine.stderr
