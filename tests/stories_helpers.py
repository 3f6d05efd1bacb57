"""Shared helpers for the story tests: store articles the way the feed poller does, a tiny classifier."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.commands.dedupe.batch import Embedder
from storage.models import Article, Source


@dataclass
class Verdict:
    match: bool
    score: float
    categories: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


def keyword_classify(title: str, summary: str, _text: str, _lang: str) -> Verdict:
    """A small real classifier for tests: surveillance words plus a breach word."""
    text = f"{title} {summary}".lower()
    surveillance = any(w in text for w in ("plate", "plaque", "camera", "caméra", "fingerprint", "spyware", "location"))
    breach = any(w in text for w in ("leak", "fuite", "expos", "stole", "hack", "pirat", "open"))
    return Verdict(surveillance and breach, 0.9 if surveillance and breach else 0.1, ["alpr"] if surveillance else [])


async def add_source(sessions: async_sessionmaker[AsyncSession], url: str = "https://feeds.example/rss") -> int:
    async with sessions() as session, session.begin():
        source = Source(url=url, name="test feed", origin="operator")
        session.add(source)
        await session.flush()
        return source.id


async def add_article(
    sessions: async_sessionmaker[AsyncSession],
    source_id: int,
    url: str,
    title: str,
    summary: str,
    lang: str,
    day: str,
    outlet: str | None = None,
    alertable: bool = True,
) -> int:
    published = datetime.fromisoformat(day).replace(tzinfo=UTC)
    async with sessions() as session, session.begin():
        article = Article(
            source_id=source_id,
            canonical_url=url,
            url=url,
            title=title,
            summary=summary,
            language=lang,
            outlet=outlet,
            published_at=published,
            first_seen_at=published,
            content_hash=hashlib.sha256(f"{title}{summary}".encode()).hexdigest(),
            alertable=alertable,
        )
        session.add(article)
        await session.flush()
        return article.id


INCIDENT = [
    (
        "https://one.example/a",
        "Korvalis left 310,000 number-plate scans open on the internet",
        "An unprotected storage bucket run by the traffic-camera maker Korvalis held plate reads and vehicle photos "
        "from toll roads in three states, a researcher found.",
        "en",
        "2025-03-03",
        "One News",
    ),
    (
        "https://deux.example/b",
        "Fuite chez Korvalis : 310 000 images de plaques accessibles en ligne",
        "Le fabricant de caméras routières a laissé un espace de stockage sans mot de passe, selon un chercheur en "
        "sécurité. Les images couvrent trois États américains.",
        "fr",
        "2025-03-04",
        "Deux Infos",
    ),
    (
        "https://three.example/c",
        "Lawmakers ask Korvalis how long plate images sat exposed",
        "Two senators want the company to say who else downloaded the scans before the bucket was locked.",
        "en",
        "2025-03-05",
        "Three Daily",
    ),
    (
        "https://four.example/d",
        "Korvalis leak was larger: 1.2 million plate scans, and a gang claims it",
        "The camera maker now says 1.2 million plate scans were in the bucket; the Nightowl gang posted a sample "
        "on its leak site.",
        "en",
        "2025-03-06",
        "Four Wire",
    ),
]


def report(ident: str, event: str, lang: str, day: str, title: str, summary: str) -> dict[str, Any]:
    """One report in the form of the dedupe fixtures (tests/fixtures/dedupe_*.jsonl)."""
    return {"id": ident, "event": event, "lang": lang, "date": day, "title": title, "summary": summary, "outlet": "T"}


def pair_reports(
    pairs: list[tuple[str, tuple[str, str], tuple[str, str]]], first_day: str, second_day: str
) -> list[dict[str, Any]]:
    """Two incidents per (language, first report, second report): report a<i> on the first day, b<i> on the second,
    each its own incident."""
    items = []
    for i, (lang, first, second) in enumerate(pairs):
        items.append(report(f"a{i}", f"first-{i}", lang, first_day, *first))
        items.append(report(f"b{i}", f"second-{i}", lang, second_day, *second))
    return items


def no_verdict(*_: object) -> Any:
    """The verdict `breachwatch dedupe` gives every report: none (grouping alone)."""
    from bot.commands.dedupe.batch import _NoVerdict

    return _NoVerdict()


async def group_through_storage(
    sessions: async_sessionmaker[AsyncSession], items: list[dict[str, Any]], embed: Embedder | None = None
) -> list[int]:
    """The story id of each report, stored and processed as `breachwatch dedupe` does (no classifier verdict);
    with `embed`, each report carries its sentence embedding, as one the first pass sent on does in the bot."""
    from bot.commands.dedupe.batch import parse_date, read_item
    from bot.process import process_pending
    from storage import articles_batch

    inputs = [
        read_item(
            {
                "title": d["title"],
                "summary": d["summary"],
                "published": d.get("date") or d.get("published"),
                "lang": d["lang"],
                "outlet": d.get("outlet"),
            }
        )
        for d in items
    ]
    async with sessions() as session, session.begin():
        ids = await articles_batch.insert_items(session, inputs, parse_date)
        if embed is not None:
            for article_id, blob in zip(ids, embed(inputs), strict=True):
                article = await session.get(Article, article_id)
                assert article is not None
                article.embedding = blob
    while await process_pending(sessions, no_verdict, batch=500):
        continue
    async with sessions() as session:
        story_of = await articles_batch.story_ids(session, ids)
    return [story_of[i] for i in ids]


def pair_errors(items: list[dict[str, Any]], stories: list[int]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(pairs of different incidents in one story, pairs of one incident in two stories), by report id."""
    wrong, missed = [], []
    for (a, sa), (b, sb) in itertools.combinations(zip(items, stories, strict=True), 2):
        if sa == sb and a["event"] != b["event"]:
            wrong.append((a["id"], b["id"]))
        if sa != sb and a["event"] == b["event"]:
            missed.append((a["id"], b["id"]))
    return wrong, missed
