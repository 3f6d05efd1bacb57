"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and can be walked back."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.engine import create_engine
from storage.migrate import current, downgrade, head, upgrade
from storage.models import Base
from storage.search_schema import include_name

REPO = Path(__file__).resolve().parents[2]


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


async def test_concurrent_start_ups_migrate_once(empty_db_url: str, db_kind: str) -> None:
    if db_kind != "postgresql":
        pytest.skip("several processes on one database is the PostgreSQL deployment; SQLite is single-process")
    # Scaled out, every poller and bot process migrates at start; they must not trip over each other. Separate
    # processes, as in production (alembic's context is process-global, so threads would not be a fair test).
    code = f"import asyncio; from storage.migrate import upgrade; asyncio.run(upgrade({empty_db_url!r}))"
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", code, cwd=REPO, stderr=asyncio.subprocess.PIPE)
        for _ in range(3)
    ]
    results = [(await p.wait(), (await p.stderr.read()).decode()[-2000:]) for p in procs if p.stderr]
    assert all(code == 0 for code, _ in results), results
    assert await current(empty_db_url) == head()
