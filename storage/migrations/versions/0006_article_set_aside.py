"""articles.set_aside_at and set_aside_reason: articles whose own processing failed, listed and taken back

Revision ID: 0006_article_set_aside
Revises: 0005_article_analysis_language
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0006_article_set_aside"
down_revision: str | None = "0005_article_analysis_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs, no batch copy: a copy of `articles` would break the search triggers that name it.
    op.add_column("articles", sa.Column("set_aside_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("articles", sa.Column("set_aside_reason", sa.String(500), nullable=True))
    # Set-aside articles are few; the partial index keeps `stories --set-aside` and the metric cheap either way.
    op.create_index(
        "ix_articles_set_aside",
        "articles",
        ["set_aside_at"],
        sqlite_where=sa.text("set_aside_at IS NOT NULL"),
        postgresql_where=sa.text("set_aside_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_articles_set_aside", table_name="articles")
    op.drop_column("articles", "set_aside_reason")
    op.drop_column("articles", "set_aside_at")
