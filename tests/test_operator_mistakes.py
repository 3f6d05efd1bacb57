"""Operator mistakes end in one line, never in a traceback or in silence (issue 15, item 6): `breachwatch run` as a
separate process, as an operator starts it."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.settings import PARSE_MEMORY_MIN_MB, Settings, SettingsError, load_settings
from storage.migrate import upgrade
from tests.conftest import IN_CI, require_postgres
from tests.e2e_helpers import env_for, read_until, start_bot, stop_bot
from tests.emulator.server import Emulator
from tests.pg import PG_ADMIN_URL, schema_url

# No poll ever reaches it: every start below ends (or is stopped) before a feed is fetched.
FEED = "http://127.0.0.1:9/feed"


async def _exit_line(env: dict[str, str], cwd: Path, timeout: float = 90) -> str:
    """Run `breachwatch run` to its end; it must exit 2 with one `breachwatch: ...` line and no traceback."""
    proc = await start_bot(env, cwd)
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(timeout):
            stderr = (await proc.stderr.read()).decode()
            await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 2, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("breachwatch:")]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("BREACHWATCH_FETCH_TIMEOUT", "inf", "BREACHWATCH_FETCH_TIMEOUT: Input should be a finite number"),
        ("BREACHWATCH_FETCH_TIMEOUT", "nan", "BREACHWATCH_FETCH_TIMEOUT: Input should be a finite number"),
        ("BREACHWATCH_PARSE_MEMORY_MB", "1", "BREACHWATCH_PARSE_MEMORY_MB: Value error, at least 128"),
    ],
)
async def test_bad_numbers_are_refused_at_start(tmp_path: Path, var: str, value: str, expected: str) -> None:
    line = await _exit_line(env_for(tmp_path, FEED, **{var: value}), tmp_path)
    assert expected in line


async def test_missing_sources_file_stops_the_start(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "sources.toml"
    line = await _exit_line(env_for(tmp_path, FEED, BREACHWATCH_SOURCES_FILE=str(missing)), tmp_path)
    assert line == f"breachwatch: BREACHWATCH_SOURCES_FILE: {missing}: cannot read: No such file or directory"


async def test_data_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    env = env_for(tmp_path, FEED, BREACHWATCH_DATABASE_URL="sqlite:///./data/breachwatch.db")
    line = await _exit_line(env, tmp_path)
    assert line == "breachwatch: BREACHWATCH_DATABASE_URL: data is a file, not a folder for the database"


@pytest.fixture
def read_only_data(tmp_path: Path) -> Iterator[Path]:
    """./data on a read-only tmpfs: permission bits do not stop root, who runs the tests here; this stops anyone."""
    data = tmp_path / "data"
    data.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(data)], check=False)
    if mounted.returncode != 0:
        if IN_CI:
            pytest.fail("cannot mount a read-only tmpfs")
        pytest.skip("cannot mount a read-only tmpfs here")
    try:
        yield data
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)


async def test_unwritable_data_folder(tmp_path: Path, read_only_data: Path) -> None:
    env = env_for(tmp_path, FEED, BREACHWATCH_DATABASE_URL="sqlite:///./data/breachwatch.db")
    line = await _exit_line(env, tmp_path)
    assert line == "breachwatch: BREACHWATCH_DATABASE_URL: cannot write the database in data: Read-only file system"


async def test_locked_database(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    await upgrade(f"sqlite+aiosqlite:///{path}")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        # Another program holding the file for itself, as `sqlite3 locked.db` with an open exclusive transaction.
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE held (x)")
        line = await _exit_line(env_for(tmp_path, FEED, BREACHWATCH_DATABASE_URL=f"sqlite:///{path}"), tmp_path)
    finally:
        holder.close()
    assert line.endswith("cannot be used: OperationalError: database is locked"), line


@pytest.fixture
async def missing_schema() -> AsyncIterator[str]:
    require_postgres()
    schema = f"t_missing_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        yield schema
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


async def test_postgres_schema_that_does_not_exist_is_created(tmp_path: Path, missing_schema: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        public_before = await admin.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        proc = await start_bot(env_for(tmp_path, FEED, BREACHWATCH_DATABASE_URL=schema_url(missing_schema)), tmp_path)
        assert proc.stderr is not None
        try:
            await read_until(proc.stderr, "scheduler started", 90)
        finally:
            log = await stop_bot(proc)
        assert proc.returncode == 0, log
        tables = await admin.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", missing_schema)
        public_after = await admin.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await admin.close()
    names = {row["tablename"] for row in tables}
    assert {"alembic_version", "articles", "stories", "deliveries"} <= names
    assert public_after == public_before  # before: every table went into public without a word


async def _forward(target_port: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()

    await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer), return_exceptions=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_discord_is_retried_until_it_answers(tmp_path: Path, emulator: Emulator) -> None:
    # Discord's REST API is first a port nobody listens on, then a relay to the emulator on that port.
    port = _free_port()
    env = env_for(
        tmp_path,
        FEED,
        DISCORD_TOKEN=emulator.token,
        BREACHWATCH_DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10",
        BREACHWATCH_DISCORD_GATEWAY=emulator.gateway_url,
    )
    proc = await start_bot(env, tmp_path)
    assert proc.stderr is not None
    relay: asyncio.Server | None = None
    try:
        seen = await read_until(proc.stderr, "(attempt 2:", 90)
        assert proc.returncode is None
        relay = await asyncio.start_server(lambda r, w: _forward(emulator.port, r, w), "127.0.0.1", port)
        await emulator.wait_gateway_event("identify", timeout=60)
        seen += await read_until(proc.stderr, "logged in to Discord at attempt", 30)
        # Stopped once the first poll has synced the sources, not in the middle of it.
        seen += await read_until(proc.stderr, "sources file", 30)
    finally:
        log = await stop_bot(proc)
        if relay is not None:
            relay.close()
    assert f"Discord not reachable at http://127.0.0.1:{port}/api/v10 (attempt 1: ClientConnectorError" in seen
    assert "trying again in 2s" in seen
    assert "Traceback" not in seen
    assert emulator.token not in seen + log
    assert proc.returncode == 0, log


def _float_settings() -> list[str]:
    return [name for name, f in Settings.model_fields.items() if "float" in str(f.annotation)]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
def test_no_float_setting_takes_an_infinite_or_nan_value(clean_env: pytest.MonkeyPatch, value: str) -> None:
    names = _float_settings()
    assert "fetch_timeout" in names and "poll_lease" in names and len(names) >= 10
    for name in names:
        clean_env.setenv(f"BREACHWATCH_{name.upper()}", value)
        with pytest.raises(SettingsError, match=f"BREACHWATCH_{name.upper()}: Input should be a finite number"):
            load_settings()
        clean_env.delenv(f"BREACHWATCH_{name.upper()}")


def test_parse_memory_below_the_minimum(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("BREACHWATCH_PARSE_MEMORY_MB", str(PARSE_MEMORY_MIN_MB - 1))
    with pytest.raises(SettingsError, match=f"at least {PARSE_MEMORY_MIN_MB}"):
        load_settings()
    for ok in ("0", str(PARSE_MEMORY_MIN_MB)):
        clean_env.setenv("BREACHWATCH_PARSE_MEMORY_MB", ok)
        assert load_settings().parse_memory_mb == int(ok)
