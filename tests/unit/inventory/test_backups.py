"""Rolling backups of the inventory, the integrity check, and restoring a damaged database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.inventory import backups
from slmdesk.inventory.backups import InventoryDamaged
from slmdesk.inventory.repository import open_inventory
from tests.inventory_damage import damage_a_row_page, truncate
from tests.inventory_factory import insert_artifacts

MONDAY = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)


def make_inventory(path: Path, artifacts: int) -> None:
    with open_inventory(path) as inventory:
        insert_artifacts(inventory, artifacts)


def artifact_count(path: Path) -> int:
    with open_inventory(path) as inventory:
        return len(inventory.list_artifacts())


def test_a_backup_is_taken_once_a_day_and_five_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    make_inventory(path, 3)
    first = backups.take_backup_if_due(path, now=MONDAY)
    assert first == tmp_path / "backups" / "inventory-2026-11-30T083000Z.sqlite3"
    assert backups.take_backup_if_due(path, now=MONDAY + timedelta(hours=23)) is None, "not due yet"
    for day in range(1, 7):
        assert backups.take_backup_if_due(path, now=MONDAY + timedelta(days=day)) is not None
    kept = backups.rolling_backups(path)
    assert [b.taken_at for b in kept] == [MONDAY + timedelta(days=d) for d in (6, 5, 4, 3, 2)]
    assert not first.exists(), "the oldest beyond five are deleted"
    # Each is one complete SQLite file (no -wal beside it) holding the rows.
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == sorted(b.path.name for b in kept)
    assert artifact_count(kept[0].path) == 3


def test_no_database_no_backup(tmp_path: Path) -> None:
    assert backups.take_backup_if_due(tmp_path / "inventory.sqlite3", now=MONDAY) is None
    assert not (tmp_path / "backups").exists()


def test_a_damaged_database_is_never_backed_up_over_a_good_backup(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    make_inventory(path, 500)
    good = backups.take_backup(path, now=MONDAY, keep=1)
    damage_a_row_page(path)
    with pytest.raises(InventoryDamaged, match="is damaged") as caught:
        backups.take_backup_if_due(path, now=MONDAY + timedelta(days=2), keep=1)
    assert caught.value.backup is not None and caught.value.backup.path == good
    assert [b.path for b in backups.rolling_backups(path)] == [good], "the good backup is kept"
    assert artifact_count(good) == 500


def test_a_damaged_database_that_still_opens_fails_the_check(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    make_inventory(path, 500)
    backups.check_integrity(path)  # a sound file passes
    damage_a_row_page(path)
    open_inventory(path).close()  # opening alone does not notice
    with pytest.raises(InventoryDamaged) as caught:
        backups.check_integrity(path)
    assert "malformed" in caught.value.reason
    assert "no backup" in caught.value.hint


def test_a_truncated_database_is_detected_and_the_latest_backup_restored(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    make_inventory(path, 40)
    backups.take_backup(path, now=MONDAY)
    latest = backups.take_backup(path, now=MONDAY + timedelta(days=1))
    left = truncate(path)

    with pytest.raises(InventoryDamaged) as caught:
        open_inventory(path)
    error = caught.value
    assert error.db_path == path
    assert error.backup is not None and error.backup.path == latest
    assert str(latest) in error.hint and "2026-12-01 08:30 UTC" in error.hint
    assert path.read_bytes() == left, "detecting the damage changes nothing"

    result = backups.restore_latest_backup(path, now=MONDAY + timedelta(days=1, hours=2))
    assert result.backup.path == latest
    assert result.damaged == tmp_path / "inventory.sqlite3.damaged-2026-12-01T103000Z"
    assert result.damaged.read_bytes() == left, "the damaged file is kept, byte for byte"
    assert latest.is_file(), "the backup stays a backup"
    assert artifact_count(path) == 40
    assert backups.integrity_problem(path) is None


def test_restore_skips_a_damaged_backup(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    make_inventory(path, 7)
    older = backups.take_backup(path, now=MONDAY)
    newer = backups.take_backup(path, now=MONDAY + timedelta(days=1))
    truncate(newer)
    truncate(path)
    assert backups.restore_latest_backup(path).backup.path == older
    assert artifact_count(path) == 7


def test_restore_without_a_usable_backup_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    path.write_bytes(b"damaged" * 100)
    with pytest.raises(UserError, match="no usable backup"):
        backups.restore_latest_backup(path)
    assert path.read_bytes() == b"damaged" * 100
    assert [p.name for p in tmp_path.iterdir()] == ["inventory.sqlite3"]


def test_a_failed_restore_puts_the_damaged_file_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "inventory.sqlite3"
    make_inventory(path, 2)
    backups.take_backup(path, now=MONDAY)
    left = truncate(path)

    def disk_full(source: Path, destination: Path) -> Path:
        raise UserError(f"Cannot copy the inventory {source} to {destination}: disk full.")

    monkeypatch.setattr(backups, "copy_database", disk_full)
    with pytest.raises(UserError, match="disk full"):
        backups.restore_latest_backup(path)
    assert path.read_bytes() == left
    assert not list(tmp_path.glob("*.damaged-*"))


def test_moving_aside_keeps_the_wal_with_its_database(tmp_path: Path) -> None:
    path = tmp_path / "inventory.sqlite3"
    for suffix, content in (("", b"main"), ("-wal", b"wal"), ("-shm", b"shm")):
        path.with_name(path.name + suffix).write_bytes(content)
    aside = backups.move_aside(path, now=MONDAY)
    assert aside.name == "inventory.sqlite3.damaged-2026-11-30T083000Z"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        aside.name: b"main", aside.name + "-wal": b"wal", aside.name + "-shm": b"shm"
    }
    path.write_bytes(b"again")
    second = backups.move_aside(path, now=MONDAY)  # same second: a new name, nothing overwritten
    assert second != aside and second.read_bytes() == b"again" and aside.read_bytes() == b"main"
