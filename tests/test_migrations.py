"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and can be walked back."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.engine import create_engine
from storage.migrate import current, downgrade, head, upgrade
from storage.models import Base
from storage.search_schema import include_name


def _diff(conn: Connection) -> list[Any]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
    return list(compare_metadata(ctx, Base.metadata))


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def _inspect(url: str) -> tuple[list[Any], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff), await conn.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_upgrade_matches_models(empty_db_url: str) -> None:
    assert await current(empty_db_url) is None
    await upgrade(empty_db_url)
    assert await current(empty_db_url) == head()
    diff, tables = await _inspect(empty_db_url)
    assert diff == [], f"migrations and models disagree: {diff}"
    assert set(Base.metadata.tables) <= tables


async def test_downgrade_then_upgrade(empty_db_url: str) -> None:
    await upgrade(empty_db_url)
    await downgrade(empty_db_url, "base")
    assert await current(empty_db_url) is None
    _, tables = await _inspect(empty_db_url)
    assert not set(Base.metadata.tables) & tables
    await upgrade(empty_db_url)
    diff, _ = await _inspect(empty_db_url)
    assert diff == []


async def test_upgrade_is_idempotent(empty_db_url: str) -> None:
    await upgrade(empty_db_url)
    await upgrade(empty_db_url)
    assert await current(empty_db_url) == head()
