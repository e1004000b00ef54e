"""translation_cache.score and .alignment: the confidence an entry was made with, its word links

Revision ID: 0007_cache_score_alignment
Revises: 0006_glossaries
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_cache_score_alignment"
down_revision: str | None = "0006_glossaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("translation_cache") as batch:
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("alignment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("translation_cache") as batch:
        batch.drop_column("alignment")
        batch.drop_column("score")
