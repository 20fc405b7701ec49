"""moderators' notes on comments, authors and hashed IPs; built-in words a site switched off

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "moderator_notes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("site_id", BigId, nullable=False),
        sa.Column("comment_id", BigId, nullable=True),
        sa.Column("author_key", sa.String(length=100), nullable=True),
        sa.Column("ip_hash", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("moderator", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moderator_notes_comment_id", "moderator_notes", ["comment_id"])
    op.create_index("ix_moderator_notes_site_author", "moderator_notes", ["site_id", "author_key"])
    op.create_index("ix_moderator_notes_site_ip", "moderator_notes", ["site_id", "ip_hash"])
    op.create_table(
        "builtin_words_off",
        sa.Column("id", BigId, nullable=False),
        sa.Column("site_id", BigId, nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("moderator", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "term", name="uq_builtin_words_off_site_term"),
    )


def downgrade() -> None:
    op.drop_table("builtin_words_off")
    op.drop_index("ix_moderator_notes_site_ip", table_name="moderator_notes")
    op.drop_index("ix_moderator_notes_site_author", table_name="moderator_notes")
    op.drop_index("ix_moderator_notes_comment_id", table_name="moderator_notes")
    op.drop_table("moderator_notes")
