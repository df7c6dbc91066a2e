"""Regenerated replies keep their earlier versions: ``reply_version``, one row per version of a
message that has two or more (the selected one mirrors the message row).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create reply_version (deleted with its message; the model reference kept NULL once deleted)."""
    op.create_table(
        "reply_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=True),
        sa.Column("artifact_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name="fk_reply_version_message_id_message", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifact.id"], name="fk_reply_version_artifact_id_artifact", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reply_version"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reply_version_message_id", "reply_version", ["message_id"])


def downgrade() -> None:
    """Drop reply_version (every message keeps the version it shows)."""
    op.drop_index("ix_reply_version_message_id", table_name="reply_version")
    op.drop_table("reply_version")
