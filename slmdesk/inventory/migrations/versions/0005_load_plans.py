"""Load plans: one per artifact, deleted with it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The plans were kept in a JSON file (``load_defaults.json`` in the config folder) before; it is
imported once by :func:`slmdesk.inventory.load_plans.import_legacy_file` when slmdesk opens the
inventory with its paths (a migration does not know where the config folder is).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create load_plan (artifact_id primary key, cascading delete)."""
    op.create_table(
        "load_plan",
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("n_ctx", sa.Integer(), nullable=False),
        sa.Column("kv_type", sa.String(16), nullable=False),
        sa.Column("flash_attn", sa.Boolean(), nullable=False),
        sa.Column("n_gpu_layers", sa.Integer(), nullable=True),
        sa.Column("n_threads", sa.Integer(), nullable=True),
        sa.Column("profile", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"], ["artifact.id"], name="fk_load_plan_artifact_id_artifact", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("artifact_id", name="pk_load_plan"),
    )


def downgrade() -> None:
    """Drop load_plan."""
    op.drop_table("load_plan")
