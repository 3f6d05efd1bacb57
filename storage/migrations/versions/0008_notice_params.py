"""notices.params: what a notice says, as values, so it is written in its channel's language when posted

Revision ID: 0008_notice_params
Revises: 0007_subscription_language
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_notice_params"
down_revision: str | None = "0007_subscription_language"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Notices recorded before keep their English `message`, which is posted as it is.
    op.add_column("notices", sa.Column("params", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("params")
