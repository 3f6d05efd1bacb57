"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

The tests are laid out like the code: `classify/` (lexicon, encoder, trained model, training, `breachwatch
classify`), `stories/` (grouping, facts, summaries), `alerts/` (fan-out, delivery queue, rendering), `storage/`
(migrations, search), `cogs/` (slash commands against the emulator), `feeds/` (fetch, parse, poll, pages),
`emulator/` (the loopback Discord emulator and its contract); process-level suites (`breachwatch run`, the CLI,
settings, health, fault injection) stay at the top.

| fixture | where | what it gives |
| --- | --- | --- |
| `db_kind` | here | "sqlite" or "postgresql": database tests run on both (PostgreSQL: skipped if absent, CI fails) |
| `empty_db_url`, `db_url` | here | a fresh database (temp SQLite file or throw-away schema); `db_url` migrated |
| `engine`, `sessions` | here | an AsyncEngine and a session factory on `db_url` |
| `clean_env` | here | a monkeypatch with every BREACHWATCH_* variable and DISCORD_TOKEN removed |
| `pg_url`, `pg_db` | here | PostgreSQL only: a schema URL / an engine on it |
| `emulator` | emulator/fixtures.py | the loopback Discord emulator (REST, gateway, interactions) |
| `start_discord` | emulator/fixtures.py | starts a discord.py client against the emulator and waits until it is ready |
| `eventually` | emulator/fixtures.py | polls a predicate until it holds or a timeout names what never happened |
| `services`, `bw` | botfixtures.py | Services on the test database / the real bot connected to the emulator |
| `feed_server`, `feed_state` | feeds/conftest.py | a scriptable loopback feed server and its state |
| `guard`, `http` | feeds/conftest.py | the address guard and a guarded HTTP session |
| `thread_parser`, `process_parser` | feeds/conftest.py | the feed parse pool in a thread / in worker processes |

Helpers, not fixtures: `require_shared` (skip without ../shared, fail in CI), `require_postgres`, `tests/procs.py`
(subprocess bots and pollers, `eventually` for them), `tests/e2e_helpers.py` (`breachwatch run` as a process),
`tests/feedserver.py`, `tests/stories_helpers.py`, `tests/factories.py`.
"""

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
