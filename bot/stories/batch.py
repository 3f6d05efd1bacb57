"""Grouping a batch of items into stories with the ingestion code, on a throw-away SQLite database."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.languages import decide_language
from bot.core.text import tidy_text
from bot.process import process_pending
from storage import articles_batch
from storage.engine import create_engine, session_factory
from storage.migrate import upgrade


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


async def group_items(items: Sequence[dict[str, Any]], window_days: float = 7.0) -> list[int]:
    """The story id of each item, in input order; items of one incident share an id."""
    with tempfile.TemporaryDirectory(prefix="breachwatch-dedupe-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'dedupe.db'}"
        await upgrade(url)
        engine = create_engine(url)
        try:
            sessions = session_factory(engine)
            async with sessions() as session, session.begin():
                article_ids = await articles_batch.insert_items(session, [read_item(i) for i in items], parse_date)
            while await process_pending(sessions, _no_classify, window_days=window_days, batch=500):
                continue
            async with sessions() as session:
                story_of = await articles_batch.story_ids(session, article_ids)
        finally:
            await engine.dispose()
    return [story_of[a] for a in article_ids]
