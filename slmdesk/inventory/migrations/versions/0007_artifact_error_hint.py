"""Artifacts keep the reader's hint beside its message: what to do about an unreadable file.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

``artifact.error`` held only what went wrong; the hint (download it again, fetch the missing
part...) was dropped, so the Library and ``slmdesk scan`` could not say what to do. Rows
already marked corrupt by a SHA-256 mismatch get that case's hint here; rows marked corrupt or
incomplete by a reader keep NULL, which makes the next scan read their header again
(``scan_plan._unchanged``) and store the reader's own hint.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MISMATCH_HINT = (
    "The file was damaged or replaced since its checksum was recorded: download it again, "
    "or remove it from the library."
)
"""The hint :meth:`Inventory.set_verified` stores with a mismatch (copied: a migration keeps the
words of its day)."""


def upgrade() -> None:
    """Add artifact.error_hint (nullable text); fill it for SHA-256 mismatches."""
    op.add_column("artifact", sa.Column("error_hint", sa.Text(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE artifact SET error_hint = :hint WHERE status = 'corrupt' AND error LIKE 'SHA-256%'"
        ).bindparams(hint=MISMATCH_HINT)
    )


def downgrade() -> None:
    """Drop artifact.error_hint (the table is recreated, rows and ids kept)."""
    with op.batch_alter_table("artifact", recreate="always", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("error_hint")
