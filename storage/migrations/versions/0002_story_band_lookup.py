"""story_bands: a covering band-first look-up index; uniqueness keyed by story

Revision ID: 0002_story_band_lookup
Revises: 0001_initial
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_story_band_lookup"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("story_bands", schema=None) as batch_op:
        batch_op.drop_constraint("uq_story_bands_band_story_id", type_="unique")
        batch_op.drop_index("ix_story_bands_seen")
        batch_op.drop_index("ix_story_bands_story_id")
        batch_op.create_unique_constraint("uq_story_bands_story_id_band", ["story_id", "band"])
        batch_op.create_index("ix_story_bands_lookup", ["band", "seen_at", "story_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("story_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_story_bands_lookup")
        batch_op.drop_constraint("uq_story_bands_story_id_band", type_="unique")
        batch_op.create_index("ix_story_bands_story_id", ["story_id"], unique=False)
        batch_op.create_index("ix_story_bands_seen", ["band", "seen_at"], unique=False)
        batch_op.create_unique_constraint("uq_story_bands_band_story_id", ["band", "story_id"])
