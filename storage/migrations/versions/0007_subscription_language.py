"""subscriptions.language: the language a channel's alerts, digests and notices are written in

Revision ID: 0007_subscription_language
Revises: 0006_article_set_aside
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_subscription_language"
down_revision: str | None = "0006_article_set_aside"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Subscriptions made before languages existed read English, as they always have.
    op.add_column(
        "subscriptions", sa.Column("language", sa.String(length=8), nullable=False, server_default=sa.text("'en'"))
    )


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("language")
