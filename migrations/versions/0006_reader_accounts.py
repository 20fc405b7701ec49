"""reader accounts, their sessions, and reply notices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "readers",
        sa.Column("id", BigId, nullable=False),
        sa.Column("site_id", BigId, nullable=False),
        sa.Column("nickname", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "email", name="uq_readers_site_email"),
    )
    op.create_table(
        "reader_sessions",
        sa.Column("id", BigId, nullable=False),
        sa.Column("reader_id", BigId, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reader_id"], ["readers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_reader_sessions_reader_id", "reader_sessions", ["reader_id"], unique=False)
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reader_id", BigId, nullable=True))
        batch_op.add_column(sa.Column("reply_notice_lang", sa.String(length=8), nullable=True))
        batch_op.create_foreign_key("fk_comments_reader_id_readers", "readers", ["reader_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index("ix_comments_reader_id", ["reader_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_reader_id")
        batch_op.drop_constraint("fk_comments_reader_id_readers", type_="foreignkey")
        batch_op.drop_column("reply_notice_lang")
        batch_op.drop_column("reader_id")
    op.drop_index("ix_reader_sessions_reader_id", table_name="reader_sessions")
    op.drop_table("reader_sessions")
    op.drop_table("readers")
