"""Benchmark `/search`: N synthetic stories in seven languages, p50/p95 latency of 20 representative queries.

Run: `.venv/bin/python bench/search.py [--stories N] [--repeat R] [--reuse]` from the repository root. Stories are
bulk-loaded with the search triggers removed, then indexed in one pass (storage.search.rebuild_search_index), which
is how a large import should be done too. SQLite goes to a temporary file (or --sqlite PATH), PostgreSQL to the
schema `bench_search` of the test database (BREACHWATCH_TEST_PG_* variables, as in tests/pg.py).

The corpus: per language about 25 topical words in several inflected forms and 30 filler words; a topical word is
drawn for about a third of each story's ~40 words, so topical words appear in a large share of stories (a worst
case for common words). Each story also names a made-up entity (one of ~10,000), has one article from one of 200
outlets, two of eight categories, and first_seen spread over three years in id order.

Every query runs twice: as the operator's console would (no scope), then as a guild (storage.scope), which is how the
bot always searches. The last line is one JSON object: stories, sqlite_p50_ms, sqlite_p95_ms, pg_p50_ms, pg_p95_ms,
the same as sqlite_guild_* and pg_guild_*, load times (None with --reuse on loaded databases) and loadavg_1m.
Re-runs: `--reuse --sqlite PATH` keeps both databases (the PostgreSQL schema is kept whenever --reuse is given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.search_query import parse_query
from storage.bulk_load import bulk_insert
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Article, Source, Story
from storage.search import rebuild_search_index, search_stories
from storage.search_schema import create_search_objects, drop_search_objects

PG_HOST = os.environ.get("BREACHWATCH_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BREACHWATCH_TEST_PG_PORT", "5432")
PG_USER = os.environ.get("BREACHWATCH_TEST_PG_USER", "postgres")
PG_DB = os.environ.get("BREACHWATCH_TEST_PG_DB", "test")
PG_SCHEMA = "bench_search"

# Per language: topical words (several inflected forms, so stemming matters), then filler words.
_TEXT = {
    "en": (
        (
            "breach breaches leak leaked leaks camera cameras police database databases face recognition "
            "biometric biometrics spyware stalkerware surveillance licence plate reader readers tracking location "
            "hackers exposed records footage passport border agency vendor"
        ),
        (
            "the a of in and to for on with by from after over new says report city officials data millions "
            "thousands users company system online server open researchers found week"
        ),
    ),
    "fr": (
        (
            "fuite fuites données caméra caméras police policière base bases reconnaissance faciale biométrique "
            "biométriques logiciel espion surveillance vidéosurveillance plaques immatriculation géolocalisation "
            "pirates exposées enregistrements images frontière fichier fichiers"
        ),
        (
            "le la les de des du un une et en pour sur avec par après selon nouvelle ville mairie millions "
            "milliers utilisateurs entreprise système serveur chercheurs semaine"
        ),
    ),
    "de": (
        (
            "Datenleck Datenlecks Überwachungskamera Überwachungskameras Polizei Datenbank Datenbanken "
            "Gesichtserkennung biometrische Spähsoftware Überwachung Kennzeichen Kennzeichenscanner Standortdaten "
            "Hacker offen Aufnahmen Bilder Grenze Behörde Hersteller Reisepass"
        ),
        (
            "der die das und in von mit für auf nach über neue Stadt Millionen Tausende Nutzer Firma System "
            "Server Forscher Woche laut Bericht"
        ),
    ),
    "es": (
        (
            "filtración filtraciones datos cámara cámaras policía base reconocimiento facial biométricos programa "
            "espía vigilancia matrículas geolocalización piratas expuestos registros imágenes frontera pasaporte"
        ),
        (
            "el la los las de del un una y en para con por tras según nueva ciudad millones miles usuarios "
            "empresa sistema servidor investigadores semana"
        ),
    ),
    "it": (
        (
            "violazione violazioni dati telecamera telecamere polizia banca riconoscimento facciale biometrici "
            "spyware sorveglianza targhe geolocalizzazione hacker esposti registrazioni immagini confine "
            "passaporto"
        ),
        (
            "il la lo gli le di del un una e in per con da dopo secondo nuova città milioni migliaia utenti "
            "azienda sistema server ricercatori settimana"
        ),
    ),
    "pt": (
        (
            "vazamento vazamentos dados câmera câmeras polícia base reconhecimento facial biométricos espionagem "
            "vigilância placas geolocalização hackers expostos registros imagens fronteira passaporte"
        ),
        (
            "o a os as de do da um uma e em para com por após segundo nova cidade milhões milhares usuários "
            "empresa sistema servidor pesquisadores semana"
        ),
    ),
    "nl": (
        (
            "datalek datalekken gegevens camera camera's politie database gezichtsherkenning biometrische "
            "spionagesoftware bewaking kentekens kentekencamera locatiegegevens hackers gelekt beelden grens "
            "paspoort"
        ),
        (
            "de het een en in van voor op met door na volgens nieuwe stad miljoenen duizenden gebruikers bedrijf "
            "systeem server onderzoekers week"
        ),
    ),
}


def _words(text: str) -> list[str]:
    return text.split()


VOCAB = {lang: (_words(topical), _words(filler)) for lang, (topical, filler) in _TEXT.items()}
LANGS = list(VOCAB)
SYLLABLES = _words("ka ro vex ta li mon dra zu pel for ix an sor bel qu tri nov ar gen lo sy ve")
CATEGORIES = ["cctv", "alpr", "face_recognition", "biometrics", "spyware", "location", "police_db", "wiretap"]

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("fuite de données", {}),
    ("données biométriques", {}),
    ("Überwachungskamera", {}),
    ("Datenleck Polizei", {}),
    ("face recognition", {}),
    ('"face recognition" database', {}),
    ("licence plate readers", {}),
    ("stalkerware -police", {}),
    ("filtraciones policía", {}),
    ("violazione dati", {}),
    ("vazamentos", {}),
    ("datalekken", {}),
    ("{entity}", {}),
    ("{entity} leak", {}),
    ("spyware", {"language": "en"}),
    ("caméras", {"days": 30}),
    ("breach", {"category": "biometrics"}),
    ("leak", {"source": "Outlet 017"}),
    ("camera", {}),
    ("police -footage", {"language": "en", "days": 365}),
]


STORY_COLUMNS = (
    "id",
    "first_seen_at",
    "updated_at",
    "title",
    "summary",
    "language",
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
)
ARTICLE_COLUMNS = (
    "id",
    "source_id",
    "canonical_url",
    "title",
    "summary",
    "language",
    "outlet",
    "first_seen_at",
    "updated_at",
    "content_hash",
    "edit_count",
    "alertable",
    "story_id",
)
OUTLETS = 200
# The guild the scoped variant searches as: no source of its own, so it sees every story through the operator's
# sources, and each candidate pays the scope test (storage.search._IN_SCOPE) and the partly-out-of-scope look-up.
GUILD = 4242


def _entity(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def _pools() -> dict[str, list[str]]:
    """Per language, words repeated so that about a third of a sentence is topical."""
    return {lang: topical * len(filler) * 35 + filler * len(topical) * 65 for lang, (topical, filler) in VOCAB.items()}


def generate(n: int, seed: int, start: datetime, chunk: int = 25_000) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """(stories, articles) row tuples in chunks, ids 1..n, first_seen increasing with the id over three years."""
    rng = random.Random(seed)
    pools = _pools()
    step = timedelta(days=3 * 365) / max(n, 1)
    for base in range(0, n, chunk):
        stories, articles = [], []
        for i in range(base + 1, min(n, base + chunk) + 1):
            lang = LANGS[i % len(LANGS)]
            pool = pools[lang]
            entity = "".join(rng.choices(SYLLABLES, k=3)).capitalize()
            words = rng.choices(pool, k=39)
            seen = start + step * i
            title = " ".join([*words[:4], entity, *words[4:8]])
            summary = " ".join([*words[8:20], entity, *words[20:32]])
            stories.append(
                (i, seen, seen, title, summary, lang, True, 1.0, rng.sample(CATEGORIES, 2), {}, {}, 1, 1, 1, True, {})
            )
            articles.append(
                (
                    i,
                    1 + i % OUTLETS,
                    f"https://outlet{i % OUTLETS}.example/a/{i}",
                    " ".join([entity, *words[32:]]),
                    "",
                    lang,
                    f"Outlet {i % OUTLETS:03d}",
                    seen,
                    seen,
                    f"{i:064x}",
                    0,
                    True,
                    i,
                )
            )
        yield stories, articles


async def load(engines: list[AsyncEngine], n: int, seed: int) -> dict[str, float]:
    """Store n stories in every engine at once (generated once), then build each index; seconds per backend."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    sources = [
        (k + 1, f"https://outlet{k}.example/rss", f"Outlet {k:03d}", 0, "config", True, 0, now, now)
        for k in range(OUTLETS)
    ]
    source_columns = (
        "id",
        "url",
        "name",
        "guild_id",
        "origin",
        "enabled",
        "consecutive_failures",
        "next_fetch_at",
        "created_at",
    )
    conns = [await engine.connect() for engine in engines]
    try:
        for conn in conns:
            await conn.begin()
            await conn.run_sync(drop_search_objects)
            await bulk_insert(conn, Source.__table__, source_columns, sources)
        for stories, articles in generate(n, seed, datetime(2023, 1, 1, tzinfo=UTC)):
            # SQLite writes in its driver thread while PostgreSQL writes in its server: overlap them.
            await asyncio.gather(*(_store(conn, stories, articles) for conn in conns))
        stored = time.perf_counter() - started
        print(f"  {n} stories with their articles stored in {stored:.1f} s")
        timings = await asyncio.gather(*(_index(conn, n) for conn in conns))
    finally:
        for conn in conns:
            await conn.close()
    return {engine.dialect.name: stored + t for engine, t in zip(engines, timings, strict=True)}


async def _store(conn: AsyncConnection, stories: list[tuple[Any, ...]], articles: list[tuple[Any, ...]]) -> None:
    await bulk_insert(conn, Story.__table__, STORY_COLUMNS, stories)
    await bulk_insert(conn, Article.__table__, ARTICLE_COLUMNS, articles)


async def _index(conn: AsyncConnection, n: int) -> float:
    """Re-create the search objects and index everything in one pass; the two backends do this concurrently."""
    started = time.perf_counter()
    if conn.dialect.name == "postgresql":
        await conn.run_sync(lambda c: c.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'"))
    await conn.run_sync(create_search_objects)
    await rebuild_search_index(conn)
    await conn.commit()
    elapsed = time.perf_counter() - started
    print(f"  {conn.dialect.name}: index built in {elapsed:.1f} s")
    return elapsed


async def measure(engine: AsyncEngine, repeat: int, entity: str, guild_id: int | None = None) -> list[float]:
    """Latencies of every query; with `guild_id`, searched as that guild (storage.scope), as the bot always does."""
    sessions = session_factory(engine)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    latencies: list[float] = []
    for raw, filters in QUERIES:
        query = parse_query(raw.format(entity=entity))
        times = []
        for attempt in range(repeat + 1):
            t0 = time.perf_counter()
            async with sessions() as session, session.begin():
                page = await search_stories(session, query, now=now, guild_id=guild_id, **filters)
            elapsed = (time.perf_counter() - t0) * 1000
            if attempt:  # the first run warms caches and plans
                times.append(elapsed)
        latencies += times
        label = raw.format(entity=entity) + (f" {filters}" if filters else "")
        print(f"  {statistics.median(times):8.1f} ms  {page.total:5d}{'+' if page.total_capped else ' '} hits  {label}")
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def stored_stories(engine: AsyncEngine) -> int:
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(Story)) or 0)
    except Exception:  # not migrated yet
        return -1


async def _reset_pg_schema(keep: bool, schema: str = PG_SCHEMA) -> None:
    import asyncpg

    admin = await asyncpg.connect(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}")
    try:
        if not keep:
            await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    finally:
        await admin.close()


async def _drop_pg_schema(schema: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}")
    try:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (after one warm-up)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--sqlite", type=Path, help="SQLite file to use (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="keep databases that already hold --stories stories")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes (700 stories, 1 timed run per query) in a throw-away schema: checks the bench runs,"
        " measures nothing; without PostgreSQL its half is skipped, except under CI=true",
    )
    args = parser.parse_args()
    schema = PG_SCHEMA
    if args.smoke:
        args.stories, args.repeat, args.reuse = 700, 1, False
        # Its own schema, dropped afterwards: smoke runs elsewhere on the same server must not share one.
        schema = f"{PG_SCHEMA}_smoke_{uuid.uuid4().hex[:10]}"
        from tests.pg import pg_available

        reason = None if args.skip_pg else pg_available()
        if reason is not None and os.environ.get("CI", "").lower() != "true":
            print(f"PostgreSQL not available ({reason}): its half skipped")
            args.skip_pg = True

    with tempfile.TemporaryDirectory() as tmp:
        path = args.sqlite or Path(tmp) / "bench.db"
        if not args.reuse and path.exists():
            path.unlink()
        urls = [] if args.skip_sqlite else [f"sqlite+aiosqlite:///{path}"]
        if not args.skip_pg:
            await _reset_pg_schema(args.reuse, schema)
            urls.append(f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}?schema={schema}")
        engines = [create_engine(url) for url in urls]
        try:
            stale = [e for e in engines if await stored_stories(e) != args.stories]
            for url, engine in zip(urls, engines, strict=True):
                if engine in stale:
                    await upgrade(url)
            load_s = await load(stale, args.stories, args.seed) if stale else {}
            entity = "".join(random.Random(args.seed).choices(SYLLABLES, k=3)).capitalize()
            figures: dict[str, dict[str, float]] = {}
            for engine in engines:
                name = engine.dialect.name
                if name == "postgresql":
                    async with engine.begin() as conn:  # statistics are transactional: commit them
                        await conn.execute(text("ANALYZE"))
                print(f"{name}: {args.stories} stories (loaded and indexed in {load_s.get(name, 0.0):.1f} s)")
                latencies = await measure(engine, args.repeat, entity)
                print(f"{name}: the same queries as guild {GUILD} (its scope: the operator's sources, so every story)")
                scoped = await measure(engine, args.repeat, entity, guild_id=GUILD)
                figures[name] = {
                    "p50": percentile(latencies, 0.5),
                    "p95": percentile(latencies, 0.95),
                    "guild_p50": percentile(scoped, 0.5),
                    "guild_p95": percentile(scoped, 0.95),
                    "load_s": load_s.get(name, 0.0),
                }
        finally:
            for engine in engines:
                await engine.dispose()
            if schema != PG_SCHEMA and not args.skip_pg:
                await _drop_pg_schema(schema)
    nan = dict.fromkeys(("p50", "p95", "guild_p50", "guild_p95", "load_s"), float("nan"))
    sqlite, pg = figures.get("sqlite", nan), figures.get("postgresql", nan)
    result = {
        "stories": args.stories,
        "queries": len(QUERIES),
        "sqlite_p50_ms": round(sqlite["p50"], 2),
        "sqlite_p95_ms": round(sqlite["p95"], 2),
        "pg_p50_ms": round(pg["p50"], 2),
        "pg_p95_ms": round(pg["p95"], 2),
        "sqlite_guild_p50_ms": round(sqlite["guild_p50"], 2),
        "sqlite_guild_p95_ms": round(sqlite["guild_p95"], 2),
        "pg_guild_p50_ms": round(pg["guild_p50"], 2),
        "pg_guild_p95_ms": round(pg["guild_p95"], 2),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        # None when --reuse found the databases already loaded.
        "sqlite_load_s": round(sqlite["load_s"], 1) or None,
        "pg_load_s": round(pg["load_s"], 1) or None,
        "target_p95_ms": 50,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
