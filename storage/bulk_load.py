"""Loading many rows at once (archive imports, the search benchmark, scale tests): COPY on PostgreSQL,
executemany on SQLite, values converted by the columns' own types so the rows read back like ORM-written ones.

Triggers still fire on SQLite and PostgreSQL alike; for a large import drop the search index objects first
(storage.search_schema.drop_search_objects), load, re-create them and call storage.search.rebuild_search_index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection


def _processors(table: Table, columns: Sequence[str], dialect: Any) -> list[Callable[[Any], Any] | None]:
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]


async def bulk_insert(
    conn: AsyncConnection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (tuples in `columns` order) into `table` in one round trip per batch."""
    if not rows:
        return
    dialect = conn.dialect
    procs = _processors(table, columns, dialect)
    converted = [tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True)) for row in rows]
    if dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(table.name, records=converted, columns=list(columns))
        return
    placeholders = ", ".join("?" for _ in columns)
    names = ", ".join(columns)
    await conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({placeholders})", converted)
