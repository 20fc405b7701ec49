"""imported comments: the source system and id of each comment an import wrote

A revision of its own, on 0003: other branches add 0004; `python -m service migrate` upgrades every
head, so the two apply in either order until a merge revision joins them.

Revision ID: imports_0001
Revises: 0003
Create Date: 2026-12-02 08:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "imports_0001"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "imported_comments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("site_id", BigId, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("comment_id", BigId, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "source", "source_id", name="uq_imported_comments_source"),
    )
    op.create_index("ix_imported_comments_comment_id", "imported_comments", ["comment_id"])


def downgrade() -> None:
    op.drop_index("ix_imported_comments_comment_id", table_name="imported_comments")
    op.drop_table("imported_comments")
