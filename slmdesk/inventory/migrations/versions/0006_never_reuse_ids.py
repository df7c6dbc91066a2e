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

It also renames models and artifacts by the one display-name rule
(:func:`slmdesk.formats.naming.display_name`), from what the rows hold (``general.name``, the
path, the parameter count); the next scan that reads a header refines it with the
``general.basename``/``size_label``/``finetune`` keys.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

from slmdesk.formats.naming import display_name

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
    _rename_by_rule()


def _rename_by_rule() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, model_id, path, name, n_params FROM artifact ORDER BY id")).all()
    model_names: dict[int, str] = {}
    for artifact_id, model_id, path, name, n_params in rows:
        new = display_name(Path(path), general_name=name, n_params=n_params)
        connection.execute(sa.text("UPDATE artifact SET name = :name WHERE id = :id"), {"name": new, "id": artifact_id})
        if model_id is not None:
            model_names.setdefault(model_id, new)
    for model_id, new in model_names.items():
        connection.execute(sa.text("UPDATE model SET name = :name WHERE id = :id"), {"name": new, "id": model_id})


def downgrade() -> None:
    """Recreate each table without AUTOINCREMENT."""
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
            pass
