"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.engine import create_engine, session_factory
from storage.migrate import upgrade
from tests.pg import pg_available, pg_schema

pytest_plugins = ["tests.emulator.fixtures", "tests.botfixtures"]

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def require_shared(*parts: str) -> Path:
    """The path under ../shared, skipping the test when it is absent (but failing under CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing under CI=true")
        pytest.skip(f"{path} not present on this machine")
    return path


def require_postgres() -> None:
    reason = pg_available()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
        pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return str(request.param)


@pytest.fixture
async def empty_db_url(db_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database: an SQLite file, or a throw-away PostgreSQL schema."""
    if db_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    async for url in pg_schema(migrate=False):
        yield url


@pytest.fixture
async def db_url(empty_db_url: str) -> str:
    await upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No BREACHWATCH_* or DISCORD_TOKEN from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("BREACHWATCH_") or key == "DISCORD_TOKEN":
            monkeypatch.delenv(key)
    yield monkeypatch


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A migrated PostgreSQL schema that several processes of one test share (the multi-process fault tests)."""
    require_postgres()
    async for url in pg_schema():
        yield url


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pg_url)
    yield engine
    await engine.dispose()
