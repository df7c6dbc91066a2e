"""Conversations have a mode: ``chat`` (the model's chat template) or ``completion`` (the
model continues the text as written; how a base model without a chat template is used).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add conversation.mode, "chat" for every existing conversation."""
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("mode", sa.String(16), nullable=False, server_default="chat"))
        batch.create_check_constraint("mode", "mode IN ('chat', 'completion')")


def downgrade() -> None:
    """Drop conversation.mode."""
    with op.batch_alter_table("conversation") as batch:
        batch.drop_constraint("mode", type_="check")
        batch.drop_column("mode")
