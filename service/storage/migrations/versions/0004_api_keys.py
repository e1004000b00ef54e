"""api_keys, api_usage, api_rate tables

Revision ID: 0004_api_keys
Revises: 0003_jobs
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_api_keys"
down_revision: str | None = "0003_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(16), nullable=False),
        sa.Column("chars_per_month", sa.Integer(), nullable=True),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_usage",
        sa.Column("subject", sa.String(100), primary_key=True),
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
    )
    op.create_table(
        "api_rate",
        sa.Column("subject", sa.String(100), primary_key=True),
        sa.Column("window", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_api_rate_window", "api_rate", ["window"])


def downgrade() -> None:
    op.drop_index("ix_api_rate_window", table_name="api_rate")
    op.drop_table("api_rate")
    op.drop_table("api_usage")
    op.drop_table("api_keys")
