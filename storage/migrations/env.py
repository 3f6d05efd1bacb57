"""Alembic environment, async: runs migrations over the project's own engine factory."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection, make_url

from storage.engine import create_engine
from storage.models import Base
from storage.search_schema import include_name

config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK = 0x6277_6D69  # any fixed 64-bit key, shared by every breachwatch process


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The full-text index's tables are raw SQL, not models (see storage/search_schema.py).
        include_name=include_name,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes (pollers, bot shards) start together against one database and each migrates at
            # start-up: the first takes this lock and migrates, the others wait and then find nothing to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            schema = make_url(config.get_main_option("sqlalchemy.url") or "").query.get("schema")
            if isinstance(schema, str):
                # `?schema=NAME` that does not exist yet would put every table into `public` (the next entry of the
                # search path) without a word: the migrations create it, as they create the tables in it.
                quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
                connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())
