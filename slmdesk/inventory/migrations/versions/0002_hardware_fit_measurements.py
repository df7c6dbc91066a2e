"""Hardware profiles, fit estimates and measurements.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create hardware_profile, fit_estimate and measurement."""
    op.create_table(
        "hardware_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("cpu_name", sa.String(256), nullable=True),
        sa.Column("cpu_cores", sa.Integer(), nullable=True),
        sa.Column("ram_bytes", sa.BigInteger(), nullable=True),
        sa.Column("gpu_name", sa.String(256), nullable=True),
        sa.Column("vram_bytes", sa.BigInteger(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hardware_profile"),
        sa.UniqueConstraint("fingerprint", name="uq_hardware_profile_fingerprint"),
    )
    op.create_table(
        "fit_estimate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("n_ctx", sa.Integer(), nullable=False),
        sa.Column("kv_type", sa.String(16), nullable=False),
        sa.Column("gpu_layers", sa.Integer(), nullable=False),
        sa.Column("weights_bytes", sa.BigInteger(), nullable=False),
        sa.Column("kv_cache_bytes", sa.BigInteger(), nullable=False),
        sa.Column("compute_bytes", sa.BigInteger(), nullable=False),
        sa.Column("overhead_bytes", sa.BigInteger(), nullable=False),
        sa.Column("total_host_bytes", sa.BigInteger(), nullable=False),
        sa.Column("total_device_bytes", sa.BigInteger(), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("max_ctx", sa.Integer(), nullable=True),
        sa.Column("tg_bound_tps", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifact.id"],
            name="fk_fit_estimate_artifact_id_artifact",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["hardware_profile.id"],
            name="fk_fit_estimate_profile_id_hardware_profile",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_fit_estimate"),
        sa.UniqueConstraint(
            "artifact_id",
            "profile_id",
            "n_ctx",
            "kv_type",
            "gpu_layers",
            name="uq_fit_estimate_artifact_id_profile_id_n_ctx_kv_type_gpu_layers",
        ),
    )
    op.create_index("ix_fit_estimate_profile_id", "fit_estimate", ["profile_id"])
    op.create_table(
        "measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("load_settings", sa.JSON(), nullable=False),
        sa.Column("peak_rss_bytes", sa.BigInteger(), nullable=True),
        sa.Column("peak_device_bytes", sa.BigInteger(), nullable=True),
        sa.Column("load_s", sa.Float(), nullable=True),
        sa.Column("pp_tps", sa.Float(), nullable=True),
        sa.Column("tg_tps", sa.Float(), nullable=True),
        sa.Column("backend", sa.String(64), nullable=True),
        sa.Column("measured_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifact.id"],
            name="fk_measurement_artifact_id_artifact",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["hardware_profile.id"],
            name="fk_measurement_profile_id_hardware_profile",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_measurement"),
    )
    op.create_index("ix_measurement_artifact_id", "measurement", ["artifact_id"])
    op.create_index("ix_measurement_profile_id", "measurement", ["profile_id"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_measurement_profile_id", table_name="measurement")
    op.drop_index("ix_measurement_artifact_id", table_name="measurement")
    op.drop_table("measurement")
    op.drop_index("ix_fit_estimate_profile_id", table_name="fit_estimate")
    op.drop_table("fit_estimate")
    op.drop_table("hardware_profile")
