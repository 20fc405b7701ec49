"""Join the two branches of the schema: likes, pins and closed threads (0004) and imported comments.

Revision ID: 0005
Revises: 0004, imports_0001
"""
from __future__ import annotations

revision = "0005"
down_revision = ("0004", "imports_0001")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: both branches' tables exist once both have applied."""


def downgrade() -> None:
    """Nothing to change."""
