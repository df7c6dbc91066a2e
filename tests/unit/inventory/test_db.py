"""The inventory database: Alembic migrations, backups before migrating, pragmas, constraints."""

from __future__ import annotations

import fnmatch
import sqlite3
import tomllib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from slmdesk.core.errors import UserError
from slmdesk.inventory import db
from slmdesk.inventory.backups import InventoryDamaged
from slmdesk.inventory.orm import Base
from slmdesk.inventory.repository import open_inventory
from tests.inventory_damage import downgrade

REPO = Path(__file__).resolve().parents[3]
ALL_TABLES = {
    "alembic_version", "model", "artifact", "artifact_file", "scan_root", "hardware_profile",
    "fit_estimate", "measurement", "conversation", "message", "benchmark_run", "job", "load_plan",
    "reply_version", "lineage", "remote_connection",
}
BIG = 5 * 1024**3  # a 5 GiB file: does not fit a 32-bit integer


def _tables(path: Path) -> set[str]:
    """The inventory's tables (SQLite's own, such as sqlite_sequence, left out)."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return {name for (name,) in rows}


def test_empty_database_is_created_at_head_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "data" / "inventory.sqlite3"
    with open_inventory(path) as inventory:
        assert db.current_revision(path) == db.head_revision() == db.HEAD_REVISION == "0011"
        assert _tables(path) == ALL_TABLES
        assert db.pragma(inventory.engine, "journal_mode") == "wal"
        assert db.pragma(inventory.engine, "foreign_keys") == 1
        assert inventory.is_empty()
    assert not list(path.parent.glob("*.bak-*")), "a new file needs no backup"


def test_database_at_0001_with_rows_is_upgraded_keeping_rows_and_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    assert db.migrate(path, "0001").after == "0001"
    assert _tables(path) == {"alembic_version", "model", "artifact", "artifact_file", "scan_root"}
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO model (id, name, architecture, created_at) VALUES (1, 'Big', 'llama', '2025-01-01 00:00:00')"
        )
        connection.execute(
            "INSERT INTO artifact (id, model_id, path, format, status, size_bytes, source_kind,"
            " source_detail, split_count, added_at, architecture, quantization, n_layer)"
            " VALUES (7, 1, '/models/big.gguf', 'gguf', 'ok', ?, 'folder', '{}', 1,"
            " '2025-01-01 00:00:00', 'llama', 'Q4_K_M', 32)",
            (BIG,),
        )
        connection.execute(
            "INSERT INTO artifact_file (artifact_id, position, path, size_bytes)"
            " VALUES (7, 0, '/models/big.gguf', ?)",
            (BIG,),
        )
        connection.execute(
            "INSERT INTO scan_root (path, kind, is_default, enabled, added_at)"
            " VALUES ('/models', 'folder', 0, 1, '2025-01-01 00:00:00')"
        )

    with open_inventory(path) as inventory:
        assert db.current_revision(path) == db.HEAD_REVISION
        record = inventory.get_artifact(7)
        assert record is not None
        assert (record.size_bytes, record.quantization, record.n_layer) == (BIG, "Q4_K_M", 32)
        assert record.model_name == "Big"
        assert record.files == (Path("/models/big.gguf"),)
        assert [r.path for r in inventory.list_scan_roots()] == [Path("/models")]
        assert db.pragma(inventory.engine, "journal_mode") == "wal"
        assert db.pragma(inventory.engine, "foreign_keys") == 1

    backup = tmp_path / "inventory.sqlite3.bak-0001"
    assert backup.is_file()
    with sqlite3.connect(backup) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert connection.execute("SELECT size_bytes FROM artifact").fetchone() == (BIG,)


def test_opening_a_database_at_head_takes_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    open_inventory(path).close()
    result = db.migrate(path)
    assert (result.before, result.after, result.backup) == (db.HEAD_REVISION, db.HEAD_REVISION, None)
    assert not list(tmp_path.glob("*.bak-*"))


def test_orm_models_match_the_migrated_schema(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    db.migrate(path)
    engine = db.create_sqlite_engine(path)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrations_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    db.migrate(path)
    downgrade(path, "base")
    assert _tables(path) == {"alembic_version"}
    assert db.migrate(path).after == db.HEAD_REVISION
    assert _tables(path) == ALL_TABLES


def test_foreign_keys_cascade_and_set_null(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    with open_inventory(path) as inventory, inventory.engine.begin() as connection:
        with pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed"), connection.begin_nested():
            connection.execute(
                text(
                    "INSERT INTO artifact_file (artifact_id, position, path) VALUES (99, 0, '/x')"
                )
            )
        connection.execute(
            text(
                "INSERT INTO artifact (id, path, format, status, size_bytes, source_kind,"
                " source_detail, split_count, added_at) VALUES (1, '/m.gguf', 'gguf', 'ok', 10,"
                " 'folder', '{}', 1, '2025-01-01 00:00:00')"
            )
        )
        connection.execute(
            text("INSERT INTO artifact_file (artifact_id, position, path) VALUES (1, 0, '/m.gguf')")
        )
        connection.execute(
            text(
                "INSERT INTO conversation (id, title, artifact_id, settings, created_at, updated_at)"
                " VALUES (1, 'chat', 1, '{}', '2025-01-01 00:00:00', '2025-01-01 00:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO message (conversation_id, role, content, created_at, artifact_id)"
                " VALUES (1, 'assistant', 'Hello!', '2025-01-01 00:00:00', 1)"
            )
        )
        connection.execute(text("DELETE FROM artifact WHERE id = 1"))
        assert connection.execute(text("SELECT count(*) FROM artifact_file")).scalar() == 0
        assert connection.execute(
            text("SELECT content, artifact_id FROM message")
        ).one() == ("Hello!", None)
        assert connection.execute(text("SELECT artifact_id FROM conversation")).scalar() is None


def test_a_database_from_a_newer_slmdesk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    db.migrate(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(UserError, match="revision '0099'") as caught:
        open_inventory(path)
    assert "newer slmdesk" in caught.value.hint


def test_a_file_that_is_not_a_database_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(InventoryDamaged, match="is damaged") as caught:
        open_inventory(path)
    # No backup exists yet: the hint must not send the user looking for one.
    assert "no backup" in caught.value.hint and "bak-" not in caught.value.hint
    assert path.read_bytes() == b"this is not SQLite" * 100  # left as it was


def test_migrations_ship_as_package_data() -> None:
    """Every migration file must be matched by [tool.setuptools.package-data] to be installed."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["slmdesk.inventory"]
    package = REPO / "slmdesk" / "inventory"
    files = [
        p.relative_to(package).as_posix()
        for p in (package / "migrations").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert "migrations/env.py" in files
    assert sum(f.startswith("migrations/versions/") for f in files) == 11
    unmatched = [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in patterns)]
    assert unmatched == []
