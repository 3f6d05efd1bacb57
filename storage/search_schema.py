"""The full-text index's DDL: an FTS5 table on SQLite, a tsvector table with a GIN index on PostgreSQL.

Each story is indexed as three fields: title (story title plus its articles' other titles), body (summaries) and
outlets (article outlets, else source names); PostgreSQL weighs them A, B, C and keeps the texts beside the vector
for the ranker, FTS5 stores them anyway. FTS5 also gets a `tags` column of filter tokens (source ids, categories,
language) and prefix indexes (PREFIX_LENGTHS). Triggers on `stories` and `articles` keep the index current whatever
code writes those rows (ORM or not), so ingestion needs no explicit index calls; renaming a source does not re-index
its stories' outlet names (run `breachwatch reindex`).

The index lives in tables the models do not declare (an FTS5 virtual table has no ORM equivalent, and a tsvector
column on `stories` would need PostgreSQL-only model code), so `include_name` hides them from Alembic's
autogenerate comparison; storage/migrations/env.py and tests/storage/test_migrations.py both use it.

SQLite caveat for later migrations: a batch ("move and copy") alteration of `stories`, `articles` or `sources`
drops the triggers on that table and fails on the triggers that name it. Such a migration must call
`drop_search_objects(bind)` first, then `create_search_objects(bind)` and run `rebuild_statements(dialect)`
(tests/storage/test_search_schema.py shows it).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

SQLITE_TABLE = "story_fts"
PG_TABLE = "story_search"
PG_CONFIG = "bw_search"
# FTS5 precomputes the doclists of every prefix of these lengths; storage.search cuts stem prefixes to one of them.
PREFIX_LENGTHS = (4, 6, 8)

# FTS5 creates shadow tables named story_fts_data, story_fts_idx, story_fts_content, story_fts_docsize, _config.
_HIDDEN_PREFIXES = (SQLITE_TABLE, PG_TABLE)


def include_name(name: str | None, type_: str, parent_names: MutableMapping[Any, str | None]) -> bool:
    """Alembic filter: leave the search index's own tables (and their indexes) out of autogenerate."""
    if type_ == "table" and name is not None:
        return not name.startswith(_HIDDEN_PREFIXES)
    if type_ in ("index", "unique_constraint", "foreign_key_constraint", "column"):
        table = parent_names.get("table_name") or ""
        return not str(table).startswith(_HIDDEN_PREFIXES)
    return True


# --- SQLite -------------------------------------------------------------------------------------------------------

# `tags` holds filter tokens (source ids, categories, language) so that filters are index look-ups too; user words
# are confined to the other columns, and the zz prefixes keep tags apart from anything an outlet writes.
_SQLITE_DOC = """
INSERT INTO story_fts(rowid, title, body, outlets, tags)
SELECT s.id,
       s.title || ' ' || coalesce((SELECT group_concat(a.title, ' ') FROM articles a
                                   WHERE a.story_id = s.id AND a.title <> s.title), ''),
       s.summary || ' ' || coalesce((SELECT group_concat(a.summary, ' ') FROM articles a
                                     WHERE a.story_id = s.id AND a.summary <> s.summary), ''),
       coalesce((SELECT group_concat(coalesce(a.outlet, src.name, ''), ' ') FROM articles a
                 LEFT JOIN sources src ON src.id = a.source_id WHERE a.story_id = s.id), ''),
       coalesce((SELECT group_concat('zzsrc' || a.source_id, ' ') FROM articles a WHERE a.story_id = s.id), '')
       || ' ' || coalesce((SELECT group_concat('zzcat ' || j.value || ' zzend', ' ')
                           FROM json_each(s.categories) j), '')
       || ' zzlang ' || coalesce(s.language, '') || ' zzend'
FROM stories s WHERE {where}"""


def _sqlite_refresh(story_id: str) -> str:
    return f"DELETE FROM story_fts WHERE rowid = {story_id};" + _SQLITE_DOC.format(where=f"s.id = {story_id}") + ";"


SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(title, body, outlets, tags, "
    f"tokenize = 'unicode61 remove_diacritics 2', prefix = '{' '.join(map(str, PREFIX_LENGTHS))}')",
    "CREATE TRIGGER story_fts_stories_ai AFTER INSERT ON stories BEGIN " + _sqlite_refresh("new.id") + " END",
    "CREATE TRIGGER story_fts_stories_au AFTER UPDATE OF title, summary, categories, language ON stories BEGIN "
    + _sqlite_refresh("new.id")
    + " END",
    "CREATE TRIGGER story_fts_stories_ad AFTER DELETE ON stories BEGIN DELETE FROM story_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER story_fts_articles_ai AFTER INSERT ON articles WHEN new.story_id IS NOT NULL BEGIN "
    + _sqlite_refresh("new.story_id")
    + " END",
    "CREATE TRIGGER story_fts_articles_au AFTER UPDATE OF title, summary, outlet, source_id, story_id ON articles "
    "BEGIN " + _sqlite_refresh("old.story_id") + _sqlite_refresh("new.story_id") + " END",
    "CREATE TRIGGER story_fts_articles_ad AFTER DELETE ON articles WHEN old.story_id IS NOT NULL BEGIN "
    + _sqlite_refresh("old.story_id")
    + " END",
]
SQLITE_TRIGGERS = [
    "story_fts_stories_ai",
    "story_fts_stories_au",
    "story_fts_stories_ad",
    "story_fts_articles_ai",
    "story_fts_articles_au",
    "story_fts_articles_ad",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS] + [f"DROP TABLE IF EXISTS {SQLITE_TABLE}"]
SQLITE_REBUILD = [f"DELETE FROM {SQLITE_TABLE}", _SQLITE_DOC.format(where="1 = 1")]


# --- PostgreSQL ---------------------------------------------------------------------------------------------------

# unaccent goes to public so that dropping a per-test schema never takes the extension with it; a concurrent
# CREATE EXTENSION from another connection may still race, hence the exception handler.
_PG_EXTENSION = """
DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
END $$"""

# A copy of `simple` (no stop words, no stemming: the query side adds stem prefixes) with accents stripped.
_PG_CONFIG = f"""
DO $$ DECLARE dict text;
BEGIN
  SELECT quote_ident(n.nspname) || '.unaccent' INTO dict
    FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace WHERE d.dictname = 'unaccent' LIMIT 1;
  CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = pg_catalog.simple);
  EXECUTE format('ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR hword, hword_part, word '
                 'WITH %s, simple', dict);
END $$"""

_PG_TEXT = """
SELECT s.id,
       s.title || ' ' || coalesce((SELECT string_agg(a.title, ' ')
           FROM articles a WHERE a.story_id = s.id AND a.title <> s.title), '') AS title,
       s.summary || ' ' || coalesce((SELECT string_agg(a.summary, ' ')
           FROM articles a WHERE a.story_id = s.id AND a.summary <> s.summary), '') AS body,
       coalesce((SELECT string_agg(coalesce(a.outlet, src.name, ''), ' ')
           FROM articles a LEFT JOIN sources src ON src.id = a.source_id WHERE a.story_id = s.id), '') AS outlets
FROM stories s"""

# The text is kept beside the vector because the ranker (bot.core.search_rank) reads it, as it reads FTS5's columns.
_PG_DOC = f"""
SELECT d.id, d.title, d.body, d.outlets,
       setweight(to_tsvector('{PG_CONFIG}', d.title), 'A') || setweight(to_tsvector('{PG_CONFIG}', d.body), 'B')
       || setweight(to_tsvector('{PG_CONFIG}', d.outlets), 'C')
FROM ({_PG_TEXT} {{where}}) d"""

PG_CREATE = [
    _PG_EXTENSION,
    _PG_CONFIG,
    f"""CREATE TABLE {PG_TABLE} (
        story_id BIGINT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        outlets TEXT NOT NULL,
        tsv TSVECTOR NOT NULL)""",
    f"CREATE INDEX {PG_TABLE}_tsv ON {PG_TABLE} USING gin (tsv)",
    # search_path is pinned so the trigger finds the config and tables whatever the writer's session uses.
    f"""CREATE FUNCTION bw_story_search_refresh(sid BIGINT) RETURNS void LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
    BEGIN
      IF sid IS NULL THEN RETURN; END IF;
      INSERT INTO {PG_TABLE}(story_id, title, body, outlets, tsv) {_PG_DOC.format(where="WHERE s.id = sid")}
      ON CONFLICT (story_id) DO UPDATE
        SET title = EXCLUDED.title, body = EXCLUDED.body, outlets = EXCLUDED.outlets, tsv = EXCLUDED.tsv;
    END $$""",
    """CREATE FUNCTION bw_stories_search_trigger() RETURNS trigger LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
    BEGIN
      PERFORM bw_story_search_refresh(NEW.id);
      RETURN NULL;
    END $$""",
    """CREATE FUNCTION bw_articles_search_trigger() RETURNS trigger LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM bw_story_search_refresh(NEW.story_id);
      ELSIF TG_OP = 'DELETE' THEN
        PERFORM bw_story_search_refresh(OLD.story_id);
      ELSE
        PERFORM bw_story_search_refresh(OLD.story_id);
        IF NEW.story_id IS DISTINCT FROM OLD.story_id THEN
          PERFORM bw_story_search_refresh(NEW.story_id);
        END IF;
      END IF;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER story_search_stories AFTER INSERT OR UPDATE OF title, summary ON stories
        FOR EACH ROW EXECUTE FUNCTION bw_stories_search_trigger()""",
    """CREATE TRIGGER story_search_articles AFTER INSERT OR DELETE OR UPDATE OF title, summary, outlet, source_id,
        story_id ON articles FOR EACH ROW EXECUTE FUNCTION bw_articles_search_trigger()""",
]
PG_TRIGGERS = ["story_search_stories", "story_search_articles"]
PG_DROP = [
    "DROP TRIGGER IF EXISTS story_search_articles ON articles",
    "DROP TRIGGER IF EXISTS story_search_stories ON stories",
    "DROP FUNCTION IF EXISTS bw_articles_search_trigger()",
    "DROP FUNCTION IF EXISTS bw_stories_search_trigger()",
    "DROP FUNCTION IF EXISTS bw_story_search_refresh(BIGINT)",
    f"DROP TABLE IF EXISTS {PG_TABLE}",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}",
    # The unaccent extension stays: other schemas in the same database may rely on it.
]
# Dropping the GIN index around the bulk insert builds it once, far faster than row by row.
PG_REBUILD = [
    "SELECT set_config('jit', 'off', true)",
    f"DROP INDEX IF EXISTS {PG_TABLE}_tsv",
    f"TRUNCATE {PG_TABLE}",
    f"INSERT INTO {PG_TABLE}(story_id, title, body, outlets, tsv) {_PG_DOC.format(where='')}",
    f"CREATE INDEX {PG_TABLE}_tsv ON {PG_TABLE} USING gin (tsv)",
    # Planner statistics decide between the GIN index and walking stories newest first; after a bulk load the
    # tables have none until autovacuum comes round.
    f"ANALYZE {PG_TABLE}",
    "ANALYZE stories",
    "ANALYZE articles",
]


def _statements(dialect: str, sqlite: list[str], pg: list[str]) -> list[str]:
    if dialect == "sqlite":
        return sqlite
    if dialect == "postgresql":
        return pg
    raise ValueError(f"no full-text index for {dialect}: breachwatch runs on SQLite or PostgreSQL")


def create_search_objects(bind: Connection) -> None:
    for statement in _statements(bind.dialect.name, SQLITE_CREATE, PG_CREATE):
        bind.execute(text(statement))


def drop_search_objects(bind: Connection) -> None:
    for statement in _statements(bind.dialect.name, SQLITE_DROP, PG_DROP):
        bind.execute(text(statement))


def rebuild_statements(dialect: str) -> list[str]:
    """SQL that re-indexes every story from scratch (bulk loads, recovery after a trigger-less import)."""
    return _statements(dialect, SQLITE_REBUILD, PG_REBUILD)


def trigger_names(dialect: str) -> list[str]:
    return _statements(dialect, SQLITE_TRIGGERS, PG_TRIGGERS)
