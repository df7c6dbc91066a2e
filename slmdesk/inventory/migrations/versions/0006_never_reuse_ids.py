"""Ids are never reused: AUTOINCREMENT on the tables whose ids people and other rows refer to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

SQLite's plain INTEGER PRIMARY KEY hands out max(id) + 1, so removing the newest model and
adding another gave the new one the old id, and with it the old one's saved load plan and
cached estimate. With AUTOINCREMENT the largest id ever used is remembered in
``sqlite_sequence`` (https://www.sqlite.org/autoinc.html). SQLite cannot add it to an existing
table: each is recreated (batch mode copies the rows, keeping their ids; foreign keys are off
during migrations, see ``db.migrate``).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("model", "artifact", "scan_root", "hardware_profile", "measurement", "conversation", "message",
          "benchmark_run", "job")


def upgrade() -> None:
    """Recreate each table with AUTOINCREMENT (rows and ids kept)."""
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade() -> None:
    """Recreate each table without AUTOINCREMENT."""
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass
