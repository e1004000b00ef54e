"""translation_cache table

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_cache",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
    )
    op.create_index("ix_translation_cache_model", "translation_cache", ["model"])
    op.create_index("ix_translation_cache_last_used_at", "translation_cache", ["last_used_at"])


def downgrade() -> None:
    op.drop_index("ix_translation_cache_last_used_at", table_name="translation_cache")
    op.drop_index("ix_translation_cache_model", table_name="translation_cache")
    op.drop_table("translation_cache")
