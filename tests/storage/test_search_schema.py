"""The search index's raw objects: created at head, gone after downgrade, and survivable by later migrations."""

from __future__ import annotations

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, text
from sqlalchemy.engine import Connection

from bot.core.search_query import parse_query
from storage.engine import create_engine, session_factory
from storage.migrate import downgrade, upgrade
from storage.search import search_stories
from storage.search_schema import create_search_objects, drop_search_objects, rebuild_statements, trigger_names
from tests.search_data import StorySpec, add_story


def _objects(conn: Connection) -> tuple[set[str], set[str]]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT type, name FROM sqlite_master WHERE name LIKE 'story_fts%'")).all()
        return {n for t, n in rows if t == "table"}, {n for t, n in rows if t == "trigger"}
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'story_search%'")
    )
    triggers = conn.execute(
        text(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND t.tgname LIKE 'story_search%'"
        )
    )
    return set(tables.scalars()), set(triggers.scalars())


async def _inspect(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_objects)
    finally:
        await engine.dispose()


async def test_created_at_head_and_removed_by_downgrade(empty_db_url: str) -> None:
    await upgrade(empty_db_url)
    tables, triggers = await _inspect(empty_db_url)
    dialect = "sqlite" if empty_db_url.startswith("sqlite") else "postgresql"
    assert tables and triggers == set(trigger_names(dialect))
    await downgrade(empty_db_url, "0001_initial")
    assert await _inspect(empty_db_url) == (set(), set())
    await upgrade(empty_db_url)
    assert (await _inspect(empty_db_url))[1] == set(trigger_names(dialect))


def _batch_alter_stories(conn: Connection) -> None:
    """What a later migration that rebuilds `stories` on SQLite must do around the batch operation."""
    drop_search_objects(conn)
    ops = Operations(MigrationContext.configure(conn))
    recreate = "always" if conn.dialect.name == "sqlite" else "auto"  # PostgreSQL alters in place
    with ops.batch_alter_table("stories", recreate=recreate) as batch:
        batch.add_column(Column("extra", Integer))
    create_search_objects(conn)
    for statement in rebuild_statements(conn.dialect.name):
        conn.execute(text(statement))


async def test_a_later_table_rebuild_keeps_search_working(db_url: str) -> None:
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            before = await add_story(session, StorySpec("Stalkerware leak", "before the migration"))
        async with engine.begin() as conn:
            await conn.run_sync(_batch_alter_stories)
        async with sessions() as session, session.begin():
            after = await add_story(session, StorySpec("Another stalkerware leak", "after the migration"))
        async with sessions() as session:
            page = await search_stories(session, parse_query("stalkerware"))
        assert {h.story_id for h in page.hits} == {before.id, after.id}
    finally:
        await engine.dispose()
