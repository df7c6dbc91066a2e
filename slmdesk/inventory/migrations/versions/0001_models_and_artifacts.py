"""Models, artifacts (with their files) and scan roots.

Revision ID: 0001
Revises:
Create Date: 2025-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create model, artifact, artifact_file and scan_root."""
    op.create_table(
        "model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(512), nullable=False),
        sa.Column("family", sa.String(256), nullable=True),
        sa.Column("architecture", sa.String(128), nullable=True),
        sa.Column("publisher", sa.String(256), nullable=True),
        sa.Column("n_params", sa.BigInteger(), nullable=True),
        sa.Column("license", sa.String(256), nullable=True),
        sa.Column("source_repo", sa.String(512), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model"),
    )
    op.create_index("ix_model_name_architecture", "model", ["name", "architecture"])

    op.create_table(
        "artifact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("source_detail", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(512), nullable=True),
        sa.Column("architecture", sa.String(128), nullable=True),
        sa.Column("quantization", sa.String(64), nullable=True),
        sa.Column("n_params", sa.BigInteger(), nullable=True),
        sa.Column("context_length", sa.BigInteger(), nullable=True),
        sa.Column("n_layer", sa.Integer(), nullable=True),
        sa.Column("n_head", sa.Integer(), nullable=True),
        sa.Column("n_head_kv", sa.Integer(), nullable=True),
        sa.Column("n_embd", sa.Integer(), nullable=True),
        sa.Column("n_vocab", sa.Integer(), nullable=True),
        sa.Column("sliding_window", sa.Integer(), nullable=True),
        sa.Column("chat_template", sa.Text(), nullable=True),
        sa.Column("split_count", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("format IN ('gguf', 'onnx', 'hf')", name="ck_artifact_format"),
        sa.CheckConstraint(
            "status IN ('ok', 'missing', 'incomplete', 'corrupt')", name="ck_artifact_status"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["model.id"], name="fk_artifact_model_id_model", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_artifact"),
        sa.UniqueConstraint("path", name="uq_artifact_path"),
    )
    op.create_index("ix_artifact_model_id", "artifact", ["model_id"])
    op.create_index("ix_artifact_sha256", "artifact", ["sha256"])
    op.create_index("ix_artifact_size_bytes", "artifact", ["size_bytes"])

    op.create_table(
        "artifact_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("artifact_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifact.id"],
            name="fk_artifact_file_artifact_id_artifact",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_artifact_file"),
        sa.UniqueConstraint(
            "artifact_id", "position", name="uq_artifact_file_artifact_id_position"
        ),
    )
    op.create_index("ix_artifact_file_path", "artifact_file", ["path"])

    op.create_table(
        "scan_root",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("last_scanned_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('folder', 'hf_cache', 'lmstudio', 'gpt4all', 'ollama')",
            name="ck_scan_root_kind",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scan_root"),
        sa.UniqueConstraint("path", name="uq_scan_root_path"),
    )


def downgrade() -> None:
    """Drop the four tables."""
    op.drop_table("scan_root")
    op.drop_index("ix_artifact_file_path", table_name="artifact_file")
    op.drop_table("artifact_file")
    op.drop_index("ix_artifact_size_bytes", table_name="artifact")
    op.drop_index("ix_artifact_sha256", table_name="artifact")
    op.drop_index("ix_artifact_model_id", table_name="artifact")
    op.drop_table("artifact")
    op.drop_index("ix_model_name_architecture", table_name="model")
    op.drop_table("model")
