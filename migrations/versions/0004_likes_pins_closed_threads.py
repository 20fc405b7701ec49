"""readers' likes, pinned comments, closed threads

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "likes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("comment_id", BigId, nullable=False),
        sa.Column("liker_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "liker_hash", name="uq_likes_comment_liker"),
    )
    op.create_index("ix_likes_comment_ip", "likes", ["comment_id", "ip_hash"], unique=False)
    op.create_table(
        "pins",
        sa.Column("comment_id", BigId, nullable=False),
        sa.Column("thread_id", BigId, nullable=False),
        sa.Column("pinned_by", sa.String(length=100), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thread_id"], ["threads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("comment_id"),
    )
    op.create_index("ix_pins_thread_id", "pins", ["thread_id"], unique=False)
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("threads", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
    op.drop_index("ix_pins_thread_id", table_name="pins")
    op.drop_table("pins")
    op.drop_index("ix_likes_comment_ip", table_name="likes")
    op.drop_table("likes")
