"""How long a `/keywords` change stalls the bot's event loop: the preview re-scores the last 30 days of stories
(up to 5,000) under the current and the proposed rules.

A ticker task on the loop wakes every 10 ms and records how late it woke; the figure that matters is the largest
delay (every other server's commands, buttons and heartbeats wait that long). Measured three ways on the same
stories: `inline` is the old path (rules compiled and stories scored on the loop), `worker cold` the new one in a
started command worker that has not yet imported the classifier nor loaded the model, `worker warm` a second
change in that worker. Both include reading the stories from SQLite on the loop. The stories are the probe headlines of
tests/fixtures cycled to N, each with a random 384-dimension embedding (the model's cost does not depend on its
values), so the trained model decides as in production.

    .venv/bin/python bench/keywords_stall.py [--stories 5000] [--smoke]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Only the standard library at module level: command workers start from a fork server that re-imports this
# script as their main module.

# One BLAS thread, as in the command workers: with a thread per core the model's products fight the other
# processes of a 2-core host for the CPU and the inline figure would be several times worse than it need be.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
TICK = 0.01


async def load(url: str, n: int) -> None:
    import json as js
    from datetime import UTC, datetime, timedelta

    import numpy as np

    from bot.classify.judge import pack
    from storage.bulk_load import bulk_insert
    from storage.engine import create_engine
    from storage.migrate import upgrade
    from storage.models import Article, Source, Story

    await upgrade(url)
    probes = []
    for path in sorted((ROOT / "tests" / "fixtures").glob("probes*.jsonl")):
        probes += [js.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = np.random.default_rng(7)
    now = datetime.now(UTC)
    stories, articles = [], []
    for i in range(n):
        probe = probes[i % len(probes)]
        vector = rng.standard_normal(384).astype(np.float32)
        vector /= np.linalg.norm(vector)
        seen = now - timedelta(minutes=i)
        title = f"{probe['title']} ({i})"
        stories.append((i + 1, title, probe["summary"], probe["lang"], i + 1, seen, seen))
        articles.append(
            (
                i + 1,
                1,
                f"https://news.example/{i}",
                title,
                probe["summary"],
                probe["lang"],
                f"{i:064d}",
                i + 1,
                pack(vector),
                seen,
            )
        )
    engine = create_engine(url)
    async with engine.begin() as conn:
        columns = ("id", "url", "name", "guild_id", "origin", "enabled", "consecutive_failures", "next_fetch_at")
        source = (1, "https://news.example/rss", "News", 0, "config", True, 0, now)
        await bulk_insert(conn, Source.__table__, columns, [source])
        await bulk_insert(
            conn,
            Story.__table__,
            ("id", "title", "summary", "language", "lead_article_id", "first_seen_at", "updated_at"),
            stories,
        )
        await bulk_insert(
            conn,
            Article.__table__,
            (
                "id",
                "source_id",
                "canonical_url",
                "title",
                "summary",
                "language",
                "content_hash",
                "story_id",
                "embedding",
                "first_seen_at",
            ),
            articles,
        )
    await engine.dispose()


async def one_change(url: str, pool: Any, term: str) -> dict[str, Any]:
    """What the cog does for `/keywords block term`: load the rules and stories, then re-score, with the ticker."""
    from bot import tuning
    from storage.engine import create_engine, session_factory

    engine = create_engine(url)
    sessions = session_factory(engine)
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = loop.time()
            await asyncio.sleep(TICK)
            lags.append(loop.time() - before - TICK)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    async with sessions() as session:
        current = await tuning.load_guild_rules(session, 1)
        stories = await tuning.recent_stories(session, 1, 30)
    loaded = time.perf_counter() - started
    result = await tuning.rescore(stories, current, current.with_blocked(term), pool=pool, learned=True)
    elapsed = time.perf_counter() - started
    done.set()
    await ticking
    await engine.dispose()
    lags.sort()
    return {
        "stories": result.scored,
        "would_stop": len(result.stop),
        "seconds": round(elapsed, 3),
        "load_seconds": round(loaded, 3),
        "max_lag_ms": round(1000 * lags[-1], 1),
        "p99_lag_ms": round(1000 * lags[int(0.99 * (len(lags) - 1))], 1),
        "median_lag_ms": round(1000 * statistics.median(lags), 1),
    }


async def main(n: int) -> dict[str, Any]:
    from bot.classify.backtest import backtest_rules
    from bot.classify.classifier import default_classifier
    from bot.classify.rules import GuildRules
    from bot.feeds.workers import ParsePool

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'stall.db'}"
        await load(url, n)
        # In the running bot the old path found everything warm (the default classifier, the model, the text
        # normalisation's caches): one change first, not measured.
        default_classifier()
        backtest_rules([], GuildRules(1), GuildRules(1), True)
        await one_change(url, None, "footage")
        out = {"inline": await one_change(url, None, "camera")}
        with ParsePool(1, 120, 1024, max_jobs=4) as pool:
            await asyncio.to_thread(pool.start)  # as bot.runtime does before the gateway connects
            out["worker cold"] = await one_change(url, pool, "camera")
            out["worker warm"] = await one_change(url, pool, "database")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=5000)
    parser.add_argument("--smoke", action="store_true", help="200 stories: the code path, figures meaningless")
    args = parser.parse_args()
    n = 200 if args.smoke else args.stories
    figures = asyncio.run(main(n))
    for name, row in figures.items():
        print(
            f"{name:12s} {row['stories']} stories read in {row['load_seconds']:.2f} s and re-scored, "
            f"{row['seconds']:.2f} s in all; event-loop lag: "
            f"max {row['max_lag_ms']:.0f} ms, p99 {row['p99_lag_ms']:.0f} ms, median {row['median_lag_ms']:.1f} ms"
        )
    print(json.dumps({"stories": n, **figures}))
