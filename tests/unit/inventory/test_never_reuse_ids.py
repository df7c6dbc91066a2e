"""Migration 0006: ids are never reused, and rows get names by the one display-name rule."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from slmdesk.inventory import db
from slmdesk.inventory.repository import open_inventory

NOW = "2026-01-01 00:00:00"


def _add_artifact(connection: sqlite3.Connection, artifact_id: int | None, path: str, name: str | None) -> int:
    cursor = connection.execute(
        "INSERT INTO artifact (id, path, format, status, size_bytes, source_kind, source_detail, split_count,"
        " added_at, name, n_params) VALUES (?, ?, 'gguf', 'ok', 1, 'folder', '{}', 1, ?, ?, 134515008)",
        (artifact_id, path, NOW, name),
    )
    return int(cursor.lastrowid or 0)


def test_a_removed_artifacts_id_is_not_handed_out_again(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    open_inventory(path).close()
    with sqlite3.connect(path) as connection:
        first = _add_artifact(connection, None, "/m/a.gguf", "A")
        second = _add_artifact(connection, None, "/m/b.gguf", "B")
        connection.execute("DELETE FROM artifact WHERE id = ?", (second,))
        third = _add_artifact(connection, None, "/m/c.gguf", "C")
    assert (first, second) == (1, 2)
    assert third == 3, "plain rowids would have given the removed id 2 again"


def test_upgrading_keeps_ids_remembers_the_largest_and_renames_by_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    db.migrate(path, "0005")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO model (id, name, architecture, created_at) VALUES (4, 'Smollm2 135M 8k Lc100K Mix1 Ep2',"
            " 'llama', ?)", (NOW,),
        )
        _add_artifact(connection, 5, "/m/SmolLM2-135M-Instruct.Q4_1.gguf", "Smollm2 135M 8k Lc100K Mix1 Ep2")
        connection.execute("UPDATE artifact SET model_id = 4 WHERE id = 5")
        _add_artifact(connection, 9, "/m/gemma-3-270m-q4_k_m.gguf", "Gemma 3 270m")
        connection.execute("DELETE FROM artifact WHERE id = 9")  # the largest id, removed before upgrading

    with open_inventory(path) as inventory:
        record = inventory.get_artifact(5)
        assert record is not None
        assert record.display_name == "SmolLM2 135M Instruct"
        assert record.model_name == "SmolLM2 135M Instruct"
    with sqlite3.connect(path) as connection:
        new = _add_artifact(connection, None, "/m/other.gguf", None)
        ddl = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'artifact'").fetchone()[0]
    assert "AUTOINCREMENT" in ddl
    # Rowid 9 was gone before the upgrade, so the recreated table starts from the largest id
    # it holds (5): ids removed before this migration cannot be known, those after are kept.
    assert new == 6
