"""INSERT ... ON CONFLICT for whichever database the session is bound to, so repositories run on both."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's insert construct, which has on_conflict_do_nothing / on_conflict_do_update."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no ON CONFLICT insert for dialect {name}")


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    """Batches small enough for either database's bound-parameter limit."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def rowcount(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (typed loosely: session.execute returns a plain Result type)."""
    return int(getattr(result, "rowcount", 0) or 0)
