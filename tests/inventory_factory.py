"""Inventory rows written straight into SQLite, as a scan would write them (tests only).

``insert_artifacts(inventory, count, parts=1)`` inserts ``count`` GGUF artifacts (ids 1..count,
``/models/m<id>.gguf``, or split sets of ``parts`` files) with two bulk inserts, so a test can
fill a large inventory without writing model files.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from slmdesk.inventory.orm import Artifact, ArtifactFile
from slmdesk.inventory.repository import Inventory

NOW = datetime(2025, 11, 29, 12, 0, tzinfo=UTC)
"""The ``added_at`` of every inserted artifact."""


def insert_artifacts(inventory: Inventory, count: int, parts: int = 1) -> None:
    """``count`` GGUF rows, each of ``parts`` files, as a scan would write them."""
    rows = [
        {
            "id": i,
            "path": f"/models/m{i}-00001-of-{parts:05d}.gguf" if parts > 1 else f"/models/m{i}.gguf",
            "format": "gguf",
            "status": "ok",
            "size_bytes": 3 * 1024**3 + i,
            "source_kind": "folder",
            "source_detail": {"root": "/models"},
            "architecture": "llama",
            "quantization": "Q4_K_M",
            "n_layer": 30,
            "split_count": parts,
            "added_at": NOW,
        }
        for i in range(1, count + 1)
    ]
    files = [
        {
            "artifact_id": row["id"],
            "position": p,
            "path": row["path"].replace("00001-of", f"{p + 1:05d}-of"),
            "size_bytes": 1,
        }
        for row in rows
        for p in range(parts)
    ]
    with inventory.session() as session:
        session.execute(insert(Artifact), rows)
        session.execute(insert(ArtifactFile), files)
