"""Remote connections: OpenAI-compatible servers the user chats with (the API key is kept outside the database).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create remote_connection (names unique, ids never reused: the key store is keyed by id)."""
    op.create_table(
        "remote_connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("base_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime(), nullable=True),
        sa.Column("server_kind", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_remote_connection"),
        sa.UniqueConstraint("name", name="uq_remote_connection_name"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Drop remote_connection (keys left in the keyring or key files are removed by ``slmdesk remote remove``)."""
    op.drop_table("remote_connection")
