"""Async engine and session factory, configured alike for SQLite and PostgreSQL."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


class DatabaseLocationError(Exception):
    """The SQLite file cannot be created or written where the URL puts it; the message is one line."""


def check_sqlite_location(url: str) -> None:
    """Raise DatabaseLocationError when the SQLite file of `url` cannot live where the URL puts it: its folder is a
    file, cannot be created or is not writable, or the file itself cannot be opened for writing. Other URLs pass."""
    path = _sqlite_file(url) if url.startswith("sqlite") else None
    if path is None:
        return
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise DatabaseLocationError(f"{folder} is a file, not a folder for the database")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Writing is the only test that holds for root (who passes permission checks) and read-only filesystems.
        tempfile.TemporaryFile(dir=folder).close()
        if path.is_dir():
            raise DatabaseLocationError(f"{path} is a folder, not a database file")
        if path.exists():
            os.close(os.open(path, os.O_RDWR))
    except OSError as exc:
        raise DatabaseLocationError(f"cannot write the database in {folder}: {exc.strerror or exc}") from None


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets the poller write while searches read; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine for `url`; an SQLite file's folder is created so a fresh checkout just runs."""
    if url.startswith("sqlite"):
        path = _sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    parsed = make_url(url)
    schema = parsed.query.get("schema")
    server_settings = kwargs.setdefault("connect_args", {}).setdefault("server_settings", {})
    # Named in pg_stat_activity, so an operator (or a fault test) can tell breachwatch's connections apart.
    server_settings.setdefault(
        "application_name", f"breachwatch/{schema}"[:63] if isinstance(schema, str) else "breachwatch"
    )
    if isinstance(schema, str):
        # `?schema=NAME` puts every table in that schema (public stays on the path for extensions).
        server_settings["search_path"] = f"{schema},public"
        return create_async_engine(parsed.difference_update_query(["schema"]), **kwargs)
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
