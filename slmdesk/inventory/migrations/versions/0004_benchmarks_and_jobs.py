"""Benchmark runs and jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2025-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create benchmark_run (kept when its artifact is deleted) and job."""
    op.create_table(
        "benchmark_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("hardware", sa.JSON(), nullable=False),
        sa.Column("backend", sa.String(64), nullable=False),
        sa.Column("backend_version", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("quantization", sa.String(64), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifact.id"],
            name="fk_benchmark_run_artifact_id_artifact",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_benchmark_run"),
    )
    op.create_index("ix_benchmark_run_artifact_id", "benchmark_run", ["artifact_id"])
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job"),
    )


def downgrade() -> None:
    """Drop job and benchmark_run."""
    op.drop_table("job")
    op.drop_index("ix_benchmark_run_artifact_id", table_name="benchmark_run")
    op.drop_table("benchmark_run")
