"""Grouping a batch of items into stories with the ingestion code, on a throw-away SQLite database."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bot.classify.encoder import Encoder, encoder_text
from bot.classify.judge import pack
from bot.core.languages import decide_language
from bot.core.text import tidy_text
from bot.process import process_pending
from bot.stories.pairing import PairJudge
from storage import articles_batch
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Article


@dataclass(frozen=True)
class _NoVerdict:
    match: bool = False
    score: float = 0.0
    categories: tuple[str, ...] = ()
    evidence: dict[str, Any] | None = None


def _no_classify(_title: str, _summary: str, _text: str, _lang: str) -> _NoVerdict:
    return _NoVerdict()


def parse_date(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_item(item: dict[str, Any]) -> dict[str, Any]:
    """An item's text and language decided once, as parsing decides a feed entry's: plain text tidied, the
    item's `lang` (if any) first, else detected."""
    title, summary = tidy_text(str(item.get("title") or "")), tidy_text(str(item.get("summary") or ""))
    decided = decide_language(title, summary, (item.get("lang"),))
    return {**item, "title": title, "summary": summary, "lang": decided.language, "analysis_language": decided.analysis}


class Embedder:
    """Sentence embeddings of items for the grouping's meaning signal, each distinct text encoded once per run
    (an item repeated, or grouped again in the same run, is not encoded again)."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._cache: dict[str, bytes] = {}

    def __call__(self, items: Sequence[dict[str, Any]]) -> list[bytes]:
        texts = [encoder_text(str(i.get("title") or ""), str(i.get("summary") or "")) for i in items]
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing), strict=True):
                self._cache[text] = pack(vector)
        return [self._cache[t] for t in texts]


async def group_items(
    items: Sequence[dict[str, Any]],
    window_days: float = 7.0,
    embed: Embedder | None = None,
    pairs: PairJudge | Literal["committed"] | None = "committed",
) -> list[int]:
    """The story id of each item, in input order; items of one incident share an id.

    With `embed`, every item carries its sentence embedding, as items that pass the classifier's first pass do
    in the bot, and the grouping weighs their similarity; without, it groups on names, numbers and words alone."""
    read = [read_item(i) for i in items]
    embeddings = embed(read) if embed is not None else None
    with tempfile.TemporaryDirectory(prefix="breachwatch-dedupe-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'dedupe.db'}"
        await upgrade(url)
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            async with sessions() as session, session.begin():
                article_ids = await articles_batch.insert_items(session, read, parse_date)
                if embeddings is not None:
                    for article_id, blob in zip(article_ids, embeddings, strict=True):
                        article = await session.get(Article, article_id)
                        if article is not None:
                            article.embedding = blob
            while await process_pending(sessions, _no_classify, window_days=window_days, batch=500, pairs=pairs):
                continue
            async with sessions() as session:
                story_of = await articles_batch.story_ids(session, article_ids)
        finally:
            await engine.dispose()
    return [story_of[a] for a in article_ids]
