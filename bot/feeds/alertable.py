"""Which newly stored feed entries may alert: decided here, before storing; storage records the answer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.feeds.parse import ParsedEntry


def is_alertable(entry: ParsedEntry, now: datetime, *, baseline: bool, max_age: timedelta) -> bool:
    """First poll of a source alerts nobody; later, only recent entries may (undated ones count as new)."""
    if baseline:
        return False
    return entry.published_at is None or now - entry.published_at <= max_age


def alertable_keys(
    entries: Iterable[ParsedEntry], now: datetime, *, baseline: bool, max_age: timedelta
) -> frozenset[str]:
    """The entry keys of one poll's entries that may alert, for `storage.articles.store_entries`."""
    return frozenset(e.entry_key for e in entries if is_alertable(e, now, baseline=baseline, max_age=max_age))
