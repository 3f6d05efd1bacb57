"""Where the test PostgreSQL is, and how to give each test its own schema."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator

import asyncpg

from storage.migrate import upgrade

PG_HOST = os.environ.get("BREACHWATCH_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BREACHWATCH_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("BREACHWATCH_TEST_PG_USER", "postgres")
PG_DB = os.environ.get("BREACHWATCH_TEST_PG_DB", "test")
PG_ADMIN_URL = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}"


def pg_available() -> str | None:
    """None when PostgreSQL accepts TCP connections, else why not."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1.0):
            return None
    except OSError as exc:
        return f"{PG_HOST}:{PG_PORT}: {exc}"


def schema_url(schema: str) -> str:
    """An asyncpg URL whose connections work inside `schema` (public stays visible for extensions)."""
    return f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}?schema={schema}"


async def pg_schema(migrate: bool = True) -> AsyncIterator[str]:
    """A throw-away PostgreSQL schema for processes to share; every process gets the same `?schema=` URL."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        url = schema_url(schema)
        if migrate:
            await upgrade(url)
        yield url
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()
