"""glossaries, glossary_dictionaries, glossary_entries tables

Revision ID: 0006_glossaries
Revises: 0005_translation_memory
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_glossaries"
down_revision: str | None = "0005_translation_memory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "glossaries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(1024), nullable=False),
        sa.Column("owner", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_glossaries_owner", "glossaries", ["owner"])
    op.create_table(
        "glossary_dictionaries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("glossary_id", sa.String(36), sa.ForeignKey("glossaries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source_lang", sa.String(8), nullable=False),
        sa.Column("target_lang", sa.String(8), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("glossary_id", "source_lang", "target_lang", name="uq_glossary_pair"),
    )
    op.create_table(
        "glossary_entries",
        sa.Column("dictionary_id", sa.Integer(), sa.ForeignKey("glossary_dictionaries.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("target", sa.String(1024), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("glossary_entries")
    op.drop_table("glossary_dictionaries")
    op.drop_index("ix_glossaries_owner", table_name="glossaries")
    op.drop_table("glossaries")
