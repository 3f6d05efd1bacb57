"""Loading many rows at once (archive imports, the search benchmark, scale tests): COPY on PostgreSQL,
executemany on SQLite, values converted by the columns' own types so the rows read back like ORM-written ones.

Triggers still fire on both databases; for a large import drop the search index objects first
(storage.search_schema.drop_search_objects), load, re-create them and call storage.search.rebuild_search_index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """Values for the columns left out that have a Python-side default (the ORM would have filled them)."""
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None:
            continue
        if default.is_scalar:
            values[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            values[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return values


async def bulk_insert(
    conn: AsyncConnection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (tuples in `columns` order) into `table`; omitted columns get their model defaults."""
    if not rows:
        return
    extra = _defaults(table, columns)
    names = [*columns, *extra]
    tail = tuple(extra.values())
    dialect = conn.dialect
    procs: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    converted = [
        tuple(v if p is None or v is None else p(v) for p, v in zip(procs, (*row, *tail), strict=True)) for row in rows
    ]
    if dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table(table.name, records=converted, columns=names)
        if "id" in names and table.c.id.autoincrement:
            # Rows came with their own ids: move the sequence past them so later ORM inserts do not collide.
            await conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")
            )
        return
    placeholders = ", ".join("?" for _ in names)
    await conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})", converted)
