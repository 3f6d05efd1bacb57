"""full-text search index over stories (FTS5 on SQLite, tsvector + GIN with unaccent on PostgreSQL)

Revision ID: 0003_search
Revises: 0002_story_band_lookup
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from storage.search_schema import create_search_objects, drop_search_objects, rebuild_statements

revision: str = '0003_search'
down_revision: str | None = '0002_story_band_lookup'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_source_story', ['source_id', 'story_id'], unique=False)
    bind = op.get_bind()
    create_search_objects(bind)
    # Stories stored before this revision are indexed once here; triggers keep new writes current.
    for statement in rebuild_statements(bind.dialect.name):
        bind.execute(text(statement))


def downgrade() -> None:
    drop_search_objects(op.get_bind())
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_source_story')
