"""articles.embedding: the sentence embedding the trained classifier read, stored once per article

Revision ID: 0004_article_embedding
Revises: 0003_search
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_article_embedding"
down_revision: str | None = "0003_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("embedding", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of `articles` would break the search triggers that name it.
    op.drop_column("articles", "embedding")
