"""`breachwatch dedupe`, `stories` and `story` as separate processes, plus the dedupe targets on the shared set."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.commands.dedupe.batch import group_items
from tests.conftest import require_shared

REPO = Path(__file__).resolve().parents[2]

ITEMS = [
    {
        "id": "a",
        "title": "Korvalis left 310,000 number-plate scans open on the internet",
        "summary": "An unprotected bucket run by the traffic-camera maker Korvalis held plate reads.",
        "published": "2025-03-03",
        "lang": "en",
        "url": "https://one.example/a",
    },
    {
        "id": "b",
        "title": "Bakery chain Crumbwell loses loyalty-card passwords",
        "summary": "Hashed passwords of 20,000 loyalty members were taken.",
        "published": "2025-03-03",
    },
    {
        "id": "c",
        "title": "Fuite chez Korvalis : 310 000 images de plaques accessibles en ligne",
        "summary": "Le fabricant de caméras routières Korvalis a laissé un stockage ouvert.",
        "published": "2025-03-04",
        "lang": "fr",
    },
    {
        "id": "d",
        "title": "Korvalis fined over last year's plate-scan leak",
        "summary": "Regulators fined Korvalis for the 310,000 exposed plate scans.",
        "published": "2025-11-20",
    },
]


def _run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BREACHWATCH_")}
    env["BREACHWATCH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dedupe_command_from_stdin_keeps_order_and_groups(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(item) for item in ITEMS) + "\n"
    done = _run(tmp_path, "dedupe", "--jsonl", "-", stdin=lines)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d"]
    story = {o["id"]: o["story"] for o in out}
    assert story["a"] == story["c"]
    assert len({story["a"], story["b"], story["d"]}) == 3
    assert not (tmp_path / "cli.db").exists()  # a throw-away database, not the configured one


def test_dedupe_command_reads_a_file_and_rejects_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n", encoding="utf-8")
    done = _run(tmp_path, "dedupe", "--jsonl", str(path))
    assert done.returncode == 0 and json.loads(done.stdout)["id"] == "a"
    path.write_text('{"title": "no id"}\n', encoding="utf-8")
    bad = _run(tmp_path, "dedupe", "--jsonl", str(path))
    assert bad.returncode == 2 and "id" in bad.stderr


def test_stories_and_story_commands(tmp_path: Path) -> None:
    from bot.process import process_pending
    from storage.engine import create_engine, session_factory
    from storage.migrate import upgrade
    from tests.stories_helpers import INCIDENT, add_article, add_source, keyword_classify

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def prepare() -> None:
        await upgrade(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        source = await add_source(sessions)
        for row in INCIDENT:
            await add_article(sessions, source, *row)
        await process_pending(sessions, keyword_classify)
        await engine.dispose()

    asyncio.run(prepare())
    listed = _run(tmp_path, "stories", "--json", "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    [story] = json.loads(listed.stdout)
    assert story["outlet_count"] == 4 and len(story["articles"]) == 4
    assert story["facts"]["affected"] == 1_200_000
    text = _run(tmp_path, "story", str(story["id"]))
    assert text.returncode == 0
    assert "follow_up" in text.stdout and story["title"] in text.stdout
    missing = _run(tmp_path, "story", "999")
    assert missing.returncode == 1


def test_dedupe_targets_on_the_shared_development_set() -> None:
    path = require_shared("corpus", "dedupe_dev.jsonl")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    inputs = [
        {"id": d["id"], "title": d["title"], "summary": d["summary"], "published": d["date"], "lang": d["lang"]}
        for d in items
    ]
    stories = asyncio.run(group_items(inputs))
    counts = {True: [0, 0, 0], False: [0, 0, 0]}
    for (a, sa), (b, sb) in itertools.combinations(zip(items, stories, strict=True), 2):
        bucket = counts[a["lang"] == b["lang"]]
        truth, guess = a["event"] == b["event"], sa == sb
        bucket[0] += truth and guess
        bucket[1] += guess and not truth
        bucket[2] += truth and not guess
    tp, fp, fn = counts[True]
    assert tp / (tp + fp) >= 0.97 and tp / (tp + fn) >= 0.80
    tp, fp, fn = counts[False]
    assert tp / (tp + fp) >= 0.90 and tp / (tp + fn) >= 0.80
