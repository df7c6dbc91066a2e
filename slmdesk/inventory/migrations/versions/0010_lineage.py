"""Lineage: which artifact a quantization, conversion or ONNX build was made from, and how.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create lineage (deleted with the derived artifact; the source reference kept NULL once it is deleted)."""
    op.create_table(
        "lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("source_artifact_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('quantize', 'convert', 'onnx-build')", name="ck_lineage_kind"),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifact.id"], name="fk_lineage_artifact_id_artifact", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_artifact_id"], ["artifact.id"], name="fk_lineage_source_artifact_id_artifact",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_lineage"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_lineage_artifact_id", "lineage", ["artifact_id"])
    op.create_index("ix_lineage_source_artifact_id", "lineage", ["source_artifact_id"])


def downgrade() -> None:
    """Drop lineage (the artifacts themselves stay)."""
    op.drop_index("ix_lineage_source_artifact_id", table_name="lineage")
    op.drop_index("ix_lineage_artifact_id", table_name="lineage")
    op.drop_table("lineage")
