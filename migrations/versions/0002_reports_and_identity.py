"""reports, signed-in readers' user ids, sites' signing secrets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", BigId, nullable=False),
        sa.Column("comment_id", BigId, nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("reporter_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "reporter_hash", name="uq_reports_comment_reporter"),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_comment_id"), ["comment_id"], unique=False)
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=100), nullable=True))
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("secret", sa.String(length=64), nullable=True))
    # Sites created before this revision get their own signing secret, as new sites do.
    connection = op.get_bind()
    sites = sa.table("sites", sa.column("id", BigId), sa.column("secret", sa.String(64)))
    for (site_id,) in connection.execute(sa.select(sites.c.id).where(sites.c.secret.is_(None))).all():
        connection.execute(sites.update().where(sites.c.id == site_id).values(secret=secrets.token_urlsafe(32)))


def downgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("secret")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("user_id")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_comment_id"))
    op.drop_table("reports")
