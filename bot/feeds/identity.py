"""Who an entry is within its feed, and whether its content changed since last time."""

from __future__ import annotations

import hashlib
from datetime import datetime


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


def entry_identity(
    guid: str | None, link: str | None, title: str, published: datetime | None, summary: str = ""
) -> str:
    """guid, else link, else a hash of title and date: stable across polls for an unchanged entry.

    An entry with neither title nor date is told apart by its summary, the only thing left.
    """
    if guid and guid.strip():
        return guid.strip()
    if link and link.strip():
        return link.strip()
    stamp = published.isoformat() if published else ""
    if not title.strip() and not stamp:
        return "hash:" + _digest("", "", summary.strip())
    return "hash:" + _digest(title.strip(), stamp)


def entry_key(identity: str) -> str:
    """Fixed-width key for the identity, which may be very long."""
    return _digest(identity)


def content_hash(title: str, summary: str, content: str | None) -> str:
    """Changes when what a reader sees changes; dates and links alone do not count as an edit."""
    return _digest(title, summary, content or "")
