"""Time to ingest one article (claim, facts, signature, candidate look-up, story update) with N articles stored.

Synthetic history is bulk-loaded (sqlite3 executemany / PostgreSQL COPY) at a steady 1,500 articles a day, so
the 7-day window always holds about the same number of rows while the tables grow 100-fold: the look-ups must
be index range scans for the 1M figure to stay near the 10k one. Stories share index keys with the measured
articles across the whole history, so the look-ups have real work to do. Each size gets its own database,
loaded in one transaction with secondary indexes rebuilt afterwards, then checkpointed (SQLite) and analysed;
the sizes are then measured in turns, one article each, so that load from elsewhere on a shared machine falls on
all sizes alike, and the median per size is reported. The embedding signal is on: every measured article, every
article of a story sharing a key with them, and the articles of one story in ten (those the classifier's first
pass would send to the encoder: they carry the meaning band) carry a sentence embedding (a fixed random unit
vector), so each ingest also reads and compares its candidates' embeddings, scans the window's embedded stories
for the nearest by meaning (about 2,100 articles at this rate), and runs the learned judgement on every candidate.
The plans of the very candidate look-up statement are printed at the end. The last line is one JSON object, with
the whole run's seconds and the 1-minute load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.classify.judge import pack
from bot.process import process_article
from bot.stories.signature import build_signature, index_keys
from bot.stories.words import zipf
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.search_schema import PG_CREATE, PG_DROP, PG_REBUILD, SQLITE_CREATE, SQLITE_DROP, SQLITE_REBUILD
from storage.stories import MEANING_BAND, explain_candidate_lookup

PER_DAY = 1500
BANDS_PER_STORY = 6
ARTICLES_PER_STORY = 2
EMBEDDED_SHARE = 0.1  # stories whose articles passed the first pass and carry an embedding
START = datetime(2020, 1, 1, tzinfo=UTC)
NOW = START  # signatures of the probes do not depend on the day
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_VECTOR = np.random.default_rng(7).standard_normal(384)
EMBEDDING = pack(_VECTOR / np.linalg.norm(_VECTOR))  # float16, as the bot stores it
PROBES = [
    (
        "Police licence-plate camera database left open online",
        "A misconfigured server exposed 120,000 plate "
        "images collected by a city's ANPR cameras, researchers at Northwind Labs said on Tuesday.",
        "en",
    ),
    (
        "Fuite chez Veridexa : 45 000 empreintes digitales exposées",
        "Le fournisseur de badges biométriques "
        "Veridexa a laissé une base accessible sans mot de passe, selon des chercheurs.",
        "fr",
    ),
    (
        "Stalkerware-Anbieter Spylight gehackt",
        "Angreifer haben die Server von Spylight übernommen und Daten von "
        "rund 30.000 überwachten Handys veröffentlicht.",
        "de",
    ),
    (
        "Filtración en Quantora expone 2,1 millones de registros de ubicación",
        "La empresa de datos de localización Quantora confirmó el acceso no autorizado a su plataforma.",
        "es",
    ),
]


class _Verdict:
    match = True
    score = 0.9
    categories: tuple[str, ...] = ("alpr",)
    evidence = None


def _classify(_t: str, _s: str, _x: str, _l: str) -> _Verdict:
    return _Verdict()


def _probe_keys() -> list[str]:
    keys: list[str] = []
    for title, summary, lang in PROBES:
        keys.extend(index_keys(build_signature(title, summary, lang, NOW)))
    return keys


def _when(number: int) -> datetime:
    """Article number n arrives at a steady rate, so the window before the newest always holds the same count."""
    return START + timedelta(days=number / PER_DAY)


def _rows(start: int, stop: int, probe_keys: list[str], rng: random.Random) -> tuple[list[Any], list[Any], list[Any]]:
    """Synthetic stories, articles and band rows for article numbers [start, stop), oldest first."""
    stories, articles, bands = [], [], []
    sig = json.dumps({"lang": "en", "first": "2020-01-01", "last": "2020-01-01"})
    for number in range(start, stop, ARTICLES_PER_STORY):
        story_id = number // ARTICLES_PER_STORY + 1
        when = _when(number).replace(tzinfo=None)
        stories.append((story_id, when, when, f"story {story_id}", sig))
        for k in range(ARTICLES_PER_STORY):
            articles.append(
                (number + k + 1, 1, f"https://example.test/a/{number + k}", f"article {number + k}", when, story_id)
            )
        for b in range(BANDS_PER_STORY):
            key = rng.choice(probe_keys) if rng.random() < 0.02 else f"m{b}:{rng.getrandbits(64):016x}"
            bands.append((key, story_id, when))
        if rng.random() < EMBEDDED_SHARE:
            bands.append((MEANING_BAND, story_id, when))
    return stories, articles, bands


BATCH = 50_000
_BULK_TABLES = ("stories", "articles", "story_bands")


def _batches(rows: list[Any]) -> list[list[Any]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def _load_sqlite(path: Path, rows: tuple[list[Any], list[Any], list[Any]]) -> None:
    """One transaction without a journal, secondary indexes and the search index dropped and rebuilt; then back to
    WAL, checkpointed and analysed, so the timed ingest sees the database the way a long-running bot would."""
    stories, articles, bands = rows
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("PRAGMA temp_store=MEMORY")
    marks = ",".join("?" * len(_BULK_TABLES))
    indexes = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        _BULK_TABLES,
    ).fetchall()
    con.execute("BEGIN")
    # The search index's triggers re-index a story from all its articles on every insert: with ix_articles_story
    # dropped that is a scan of the table per row, and the load grew with the square of its size (10,000 articles
    # in 56 s, 100,000 not done after 5 minutes). Off during the load, then the index is built in one pass.
    for statement in SQLITE_DROP:
        con.execute(statement)
    for name, _sql in indexes:
        con.execute(f'DROP INDEX "{name}"')
    con.execute(
        "INSERT OR IGNORE INTO sources (id, url, guild_id, origin, enabled, next_fetch_at, consecutive_failures,"
        " created_at) VALUES (1, 'bench:', 0, 'operator', 1, '2020-01-01', 0, '2020-01-01')"
    )
    for chunk in _batches(stories):
        con.executemany(
            "INSERT INTO stories (id, first_seen_at, updated_at, title, summary, match, score, categories, evidence,"
            " facts, article_count, outlet_count, version, alertable, signature) VALUES (?, ?, ?, ?, '', 0, 0,"
            " '[]', '{}', '{}', 2, 2, 1, 1, ?)",
            chunk,
        )
    for chunk in _batches(articles):
        con.executemany(
            "INSERT INTO articles (id, source_id, canonical_url, title, summary, first_seen_at, updated_at,"
            " content_hash, edit_count, alertable, processed_at, story_id) VALUES (?, ?, ?, ?, '', ?, '2020-01-01',"
            " 'x', 0, 1, '2020-01-01', ?)",
            chunk,
        )
    for chunk in _batches(bands):
        con.executemany("INSERT OR IGNORE INTO story_bands (band, story_id, seen_at) VALUES (?, ?, ?)", chunk)
    for _name, sql in indexes:
        con.execute(sql)
    for statement in SQLITE_CREATE + SQLITE_REBUILD:
        con.execute(statement)
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


async def _load_pg(schema: str, rows: tuple[list[Any], list[Any], list[Any]]) -> None:
    """COPY in one transaction with the secondary (non-constraint) indexes and the search index dropped and rebuilt,
    then ANALYZE."""
    import asyncpg

    stories, articles, bands = rows
    con = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    try:
        await con.execute(f'SET search_path TO "{schema}"')
        await con.execute("SET synchronous_commit = off; SET maintenance_work_mem = '512MB'")
        tx = con.transaction()
        await tx.start()
        indexes = await con.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = $1 AND i.tablename = ANY($2)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            schema,
            list(_BULK_TABLES),
        )
        for statement in PG_DROP:  # as for SQLite: the search triggers are off during the load
            await con.execute(statement)
        for row in indexes:
            await con.execute(f'DROP INDEX "{schema}"."{row["indexname"]}"')
        await con.execute(
            "INSERT INTO sources (id, url, guild_id, origin, enabled, next_fetch_at, consecutive_failures, created_at)"
            " VALUES (1, 'bench:', 0, 'operator', true, now(), 0, now()) ON CONFLICT DO NOTHING"
        )
        utc = [
            (i, w.replace(tzinfo=UTC), u.replace(tzinfo=UTC), t, "", False, 0.0, "[]", "{}", "{}", 2, 2, 1, True, s)
            for i, w, u, t, s in stories
        ]
        await con.copy_records_to_table(
            "stories",
            schema_name=schema,
            records=utc,
            columns=[
                "id",
                "first_seen_at",
                "updated_at",
                "title",
                "summary",
                "match",
                "score",
                "categories",
                "evidence",
                "facts",
                "article_count",
                "outlet_count",
                "version",
                "alertable",
                "signature",
            ],
        )
        recs = [
            (i, s, u, t, "", w.replace(tzinfo=UTC), START, "x", 0, True, START, st) for i, s, u, t, w, st in articles
        ]
        await con.copy_records_to_table(
            "articles",
            schema_name=schema,
            records=recs,
            columns=[
                "id",
                "source_id",
                "canonical_url",
                "title",
                "summary",
                "first_seen_at",
                "updated_at",
                "content_hash",
                "edit_count",
                "alertable",
                "processed_at",
                "story_id",
            ],
        )
        seen: set[tuple[str, int]] = set()
        brecs = []
        for key, sid, when in bands:
            if (key, sid) not in seen:
                seen.add((key, sid))
                brecs.append((key, sid, when.replace(tzinfo=UTC)))
        await con.copy_records_to_table(
            "story_bands", schema_name=schema, records=brecs, columns=["band", "story_id", "seen_at"]
        )
        for row in indexes:
            await con.execute(row["indexdef"])
        for statement in PG_CREATE + PG_REBUILD:
            await con.execute(statement)
        await tx.commit()
        for table in _BULK_TABLES:
            await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        for attempt in range(5):
            try:
                await con.execute("ANALYZE stories; ANALYZE articles; ANALYZE story_bands")
                break
            except asyncpg.DeadlockDetectedError:  # autovacuum or a neighbour analysing the same tables
                await asyncio.sleep(1 + attempt)
    finally:
        await con.close()


async def _ingest_one(sessions: async_sessionmaker[AsyncSession], n: int, now: datetime, pg: bool) -> float:
    """Wall milliseconds to fully process one new article (claim, facts, signature, candidate look-up, story
    update, commit); inserting the probe row is not timed."""
    title, summary, lang = PROBES[n % len(PROBES)]
    async with sessions() as session, session.begin():
        row = await session.execute(
            text(
                "INSERT INTO articles (source_id, canonical_url, title, summary, language, published_at,"
                " first_seen_at, updated_at, content_hash, edit_count, alertable, embedding) VALUES (1, :u, :t, :s,"
                " :l, :p, :p, :p, 'x', 0, true, :e) RETURNING id"
            ),
            {
                "u": f"https://probe.test/{uuid.uuid4()}",
                "t": title,
                "s": summary,
                "l": lang,
                "p": now if pg else now.replace(tzinfo=None),
                "e": EMBEDDING,
            },
        )
        article_id = int(row.scalar_one())
    started = time.perf_counter()
    async with sessions() as session, session.begin():
        await process_article(session, article_id, _classify, timedelta(days=7))
    return (time.perf_counter() - started) * 1000


async def _measure(urls: dict[int, str], rounds: int) -> dict[int, float]:
    """Median ingest time per size, the sizes taking turns article by article so that load from elsewhere on a
    shared machine falls on all of them alike."""
    engines = {size: create_engine(url) for size, url in urls.items()}
    timings: dict[int, list[float]] = {size: [] for size in urls}
    try:
        makers = {size: session_factory(engine) for size, engine in engines.items()}
        for n in range(rounds):
            for size, sessions in makers.items():
                pg = urls[size].startswith("postgresql")
                timings[size].append(await _ingest_one(sessions, n, _when(size), pg))
    finally:
        for engine in engines.values():
            await engine.dispose()
    warm = len(PROBES) if rounds > 2 * len(PROBES) else 0  # each probe's first run warms caches
    return {size: statistics.median(values[warm:]) for size, values in timings.items()}


async def _plans(url: str, now: datetime) -> list[str]:
    """The plan of the very statement ingestion runs, for the first probe's keys and window."""
    title, summary, lang = PROBES[0]
    keys = index_keys(build_signature(title, summary, lang, NOW))
    engine = create_engine(url)
    window = timedelta(days=7)
    try:
        async with session_factory(engine)() as session:
            return await explain_candidate_lookup(session, keys, now - window, now + window, analyze=True)
    finally:
        await engine.dispose()


async def run(kind: str, sizes: list[int], rounds: int, folder: Path) -> tuple[dict[int, float], list[str]]:
    """One database per size, each bulk-loaded from scratch, then measured in turns."""
    keys = _probe_keys()
    urls: dict[int, str] = {}
    schemas: list[str] = []
    admin = None
    if kind == "postgresql":
        import asyncpg

        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
    try:
        for size in sizes:
            rows = _rows(0, size, keys, random.Random(7))
            t0 = time.perf_counter()
            if admin is None:
                path = folder / f"bench_{size}.db"
                urls[size] = f"sqlite+aiosqlite:///{path}"
                await upgrade(urls[size])
                _load_sqlite(path, rows)
            else:
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                schemas.append(schema)
                await admin.execute(f'CREATE SCHEMA "{schema}"')
                urls[size] = f"{PG}?schema={schema}"
                await upgrade(urls[size])
                await _load_pg(schema, rows)
            del rows
            await _embed_candidates(urls[size], keys)
            print(f"{kind} {size:>9,} articles: loaded in {time.perf_counter() - t0:6.1f} s", flush=True)
        results = await _measure(urls, rounds)
        for size in sizes:
            print(f"{kind} {size:>9,} articles: ingest one {results[size]:.2f} ms (median of turns)", flush=True)
        return results, await _plans(urls[sizes[-1]], _when(sizes[-1]))
    finally:
        if admin is not None:
            for schema in schemas:
                await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await admin.close()


async def _embed_candidates(url: str, keys: list[str]) -> None:
    """Give the articles of every story the probes can find, and of every story in the meaning band, an embedding,
    so that their look-ups read them."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(
                text(
                    "UPDATE articles SET embedding = :e WHERE story_id IN"
                    " (SELECT story_id FROM story_bands WHERE band IN :keys)"
                ).bindparams(bindparam("keys", expanding=True)),
                {"e": EMBEDDING, "keys": sorted({*keys, MEANING_BAND})},
            )
    finally:
        await engine.dispose()


def _pg_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1.0):
            return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="stored-article counts (ascending)")
    parser.add_argument("--rounds", type=int, default=40, help="articles ingested per size (median reported)")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes (300, 600, 1,200 articles; 4 rounds): checks the bench runs, measures nothing; without"
        " PostgreSQL on 127.0.0.1:5432 its half is skipped, except under CI=true",
    )
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.rounds = "300,600,1200", 4
        if not args.skip_pg and os.environ.get("CI", "").lower() != "true" and not _pg_answers():
            print("PostgreSQL not answering on 127.0.0.1:5432: its half skipped")
            args.skip_pg = True
    started = time.perf_counter()
    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}", flush=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    zipf("warm", "en")  # load word lists before timing
    for title, summary, lang in PROBES:
        build_signature(title, summary, lang, NOW)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        lite, lite_plan = asyncio.run(run("sqlite", sizes, args.rounds, Path(folder)))
    pg: dict[int, float] = {}
    pg_plan: list[str] = []
    if not args.skip_pg:
        pg, pg_plan = asyncio.run(run("postgresql", sizes, args.rounds, Path(".")))
    print("\nSQLite plan of the candidate look-up:")
    print("\n".join("  " + line for line in lite_plan))
    if pg_plan:
        print("PostgreSQL plan of the candidate look-up:")
        print("\n".join("  " + line for line in pg_plan))
    small, large = sizes[0], sizes[-1]
    out["sizes"] = sizes
    out["sqlite_ms_10k"] = round(lite[small], 3)
    out["sqlite_ms_100k"] = round(lite[sizes[len(sizes) // 2]], 3)
    out["sqlite_ms_1m"] = round(lite[large], 3)
    out["sqlite_ratio"] = round(lite[large] / lite[small], 3)
    if pg:
        out["pg_ms_10k"] = round(pg[small], 3)
        out["pg_ms_100k"] = round(pg[sizes[len(sizes) // 2]], 3)
        out["pg_ms_1m"] = round(pg[large], 3)
        out["pg_ratio"] = round(pg[large] / pg[small], 3)
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["loadavg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
