"""stories.merged_into: a story merged into an older one after a later report bridged them (issue 14 item 3)

Revision ID: 0009_story_merged_into
Revises: 0008_notice_params
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_story_merged_into"
down_revision: str | None = "0008_notice_params"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, no batch copy: a copy of `stories` would break the search triggers that name it. No
    # foreign key: stories are never deleted, and SQLite could not drop a column a REFERENCES clause names.
    op.add_column("stories", sa.Column("merged_into", sa.BigInteger().with_variant(sa.Integer(), "sqlite")))


def downgrade() -> None:
    op.drop_column("stories", "merged_into")
