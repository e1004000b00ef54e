"""translation memory (entries, history, fuzzy keys) and API key roles

Revision ID: 0005_translation_memory
Revises: 0004_api_keys
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_translation_memory"
down_revision: str | None = "0004_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "translation_memory",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source_lang", sa.String(8), nullable=False),
        sa.Column("target_lang", sa.String(8), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("source_norm", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("source_len", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_translation_memory_lookup", "translation_memory",
                    ["source_hash", "source_lang", "target_lang"])
    op.create_index("ix_translation_memory_list", "translation_memory",
                    ["source_lang", "target_lang", "status", "id"])
    # at most one approved entry per (normalized source, languages, scope)
    op.create_index("uq_translation_memory_approved", "translation_memory",
                    ["source_hash", "source_lang", "target_lang", "scope"], unique=True,
                    sqlite_where=sa.text("status = 'approved'"), postgresql_where=sa.text("status = 'approved'"))
    op.create_table(
        "translation_memory_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("who", sa.String(100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_translation_memory_history_entry", "translation_memory_history", ["entry_id", "id"])
    op.create_table(
        "translation_memory_keys",
        sa.Column("key", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.Integer(), primary_key=True, autoincrement=False),
    )
    op.create_index("ix_translation_memory_keys_entry", "translation_memory_keys", ["entry_id"])
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="translator"))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("role")
    op.drop_index("ix_translation_memory_keys_entry", table_name="translation_memory_keys")
    op.drop_table("translation_memory_keys")
    op.drop_index("ix_translation_memory_history_entry", table_name="translation_memory_history")
    op.drop_table("translation_memory_history")
    op.drop_index("uq_translation_memory_approved", table_name="translation_memory")
    op.drop_index("ix_translation_memory_list", table_name="translation_memory")
    op.drop_index("ix_translation_memory_lookup", table_name="translation_memory")
    op.drop_table("translation_memory")
