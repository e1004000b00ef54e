"""translation_cache.capped: the translation stopped at the output cap or was repetition-guarded

Revision ID: 0002_cache_capped
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_cache_capped"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("translation_cache") as batch:
        batch.add_column(sa.Column("capped", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("translation_cache") as batch:
        batch.drop_column("capped")
