"""articles.analysis_language: the one of the seven languages an article's text is analysed as, decided at parse

Revision ID: 0005_article_analysis_language
Revises: 0004_article_embedding
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_article_analysis_language"
down_revision: str | None = "0004_article_embedding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No backfill: processed rows never read it again, and the few rows still waiting are decided when processed.
    op.add_column("articles", sa.Column("analysis_language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of `articles` would break the search triggers that name it.
    op.drop_column("articles", "analysis_language")
