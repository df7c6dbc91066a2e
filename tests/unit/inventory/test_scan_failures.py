"""A scan says which files it could not read and why: in its summary, in the inventory row
(message and hint, migration 0007), and in the counts (corrupt, incomplete)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import run_inline
from slmdesk.formats.detect import read_spec
from slmdesk.inventory import db, scanners
from slmdesk.inventory.records import ScanFailure, ScanSummary
from slmdesk.inventory.repository import MISMATCH_HINT, Inventory, open_inventory
from tests.gguf_factory import write_gguf
from tests.inventory_damage import downgrade


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = open_inventory(tmp_path / "inventory.sqlite3")
    yield inv
    inv.close()


def scan(inventory: Inventory, *targets: Path) -> ScanSummary:
    return run_inline(scanners.scan_task(inventory, list(targets)))


def reader_error(path: Path) -> UserError:
    """What `slmdesk show PATH` and `slmdesk fit PATH` report for ``path``."""
    with pytest.raises(UserError) as caught:
        read_spec(path)
    return caught.value


def test_a_corrupt_file_is_a_failure_with_the_readers_message_and_hint(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    write_gguf(root / "good.gguf")
    bad = root / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    expected = reader_error(bad)
    assert expected.hint, "the reader gives a hint: the scan must keep it"

    first = scan(inventory, root)
    assert first.failures == (ScanFailure(bad, "corrupt", expected.message, expected.hint),)
    assert (first.added, first.corrupt) == (2, 1)
    record = inventory.find_by_path(bad)
    assert record is not None
    assert (record.status, record.error, record.error_hint) == ("corrupt", expected.message, expected.hint)
    assert record.to_json()["error_hint"] == expected.hint

    # Left alone, the file is not read again, but it is still unreadable: still reported.
    second = scan(inventory, root)
    assert (second.unchanged, second.corrupt) == (2, 1)
    assert second.failures == first.failures
    assert second.to_json()["failures"] == [
        {"path": str(bad), "status": "corrupt", "error": expected.message, "hint": expected.hint}
    ]


def test_a_clean_scan_has_no_failures(inventory: Inventory, tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    write_gguf(tmp_path / "models" / "good.gguf")
    summary = scan(inventory, tmp_path / "models")
    assert (summary.failures, summary.corrupt, summary.incomplete) == ((), 0, 0)
    assert summary.to_json()["failures"] == []


def test_a_split_set_short_of_a_part_counts_as_incomplete(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    parts = write_gguf(root / "big.gguf", split=3, n_layer=3)
    parts[1].unlink()
    expected = reader_error(parts[0])

    summary = scan(inventory, root)
    (record,) = inventory.list_artifacts()
    assert record.status == "incomplete"
    assert summary.incomplete == 1, "the row is marked incomplete: the summary must count it"
    assert summary.corrupt == 0
    assert summary.failures == (ScanFailure(parts[0], "incomplete", expected.message, expected.hint),)
    assert "big-00002-of-00003.gguf is missing" in summary.failures[0].message
    assert "Download the missing parts again" in summary.failures[0].hint
    assert record.error_hint == expected.hint


def test_a_set_that_loses_a_part_after_a_good_scan_is_counted_once(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    parts = write_gguf(root / "big.gguf", split=2)
    assert scan(inventory, root).incomplete == 0
    parts[1].unlink()
    again = scan(inventory, root)
    assert (again.updated, again.incomplete, len(again.failures)) == (1, 1, 1)


def test_a_repaired_file_clears_its_reason(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    path = root / "m.gguf"
    path.write_bytes(b"not a model" * 10)
    scan(inventory, root)
    write_gguf(path)
    summary = scan(inventory, root)
    record = inventory.find_by_path(path)
    assert summary.failures == ()
    assert record is not None and (record.status, record.error, record.error_hint) == ("ok", None, None)


def test_a_checksum_mismatch_says_what_to_do(inventory: Inventory, tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "m.gguf")
    scan(inventory, path)
    (record,) = inventory.list_artifacts()
    inventory.set_verified(record.id, "0" * 64)
    inventory.set_verified(record.id, "1" * 64)  # differs from the recorded digest
    after = inventory.get_artifact(record.id)
    assert after is not None and after.status == "corrupt"
    assert after.error_hint == MISMATCH_HINT
    inventory.set_verified(record.id, "0" * 64)  # matches again: cleared
    cleared = inventory.get_artifact(record.id)
    assert cleared is not None and (cleared.status, cleared.error, cleared.error_hint) == ("ok", None, None)


def test_migration_0007_adds_the_hint_and_the_next_scan_fills_it(tmp_path: Path) -> None:
    """Rows marked corrupt before 0007 have no hint: a mismatch gets its hint from the
    migration, a reader failure is read again by the next scan (its file is unchanged)."""
    path = tmp_path / "inventory.sqlite3"
    root = tmp_path / "models"
    root.mkdir()
    bad = root / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    [good] = write_gguf(root / "good.gguf")
    with open_inventory(path) as inventory:
        scan(inventory, root)
        ids = {r.path.name: r.id for r in inventory.list_artifacts()}
    # Back to 0006 as an older slmdesk left it: the column is gone, a mismatch is recorded.
    downgrade(path, "0006")
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(artifact)")]
        assert "error_hint" not in columns
        connection.execute(
            "UPDATE artifact SET status = 'corrupt', error = 'SHA-256 mismatch: the file hashes to 1, expected 0.'"
            " WHERE id = ?",
            (ids[good.name],),
        )

    with open_inventory(path) as inventory:
        assert db.current_revision(path) == db.HEAD_REVISION
        mismatch = inventory.get_artifact(ids[good.name])
        unread = inventory.get_artifact(ids[bad.name])
        assert mismatch is not None and mismatch.error_hint == MISMATCH_HINT
        assert unread is not None and unread.status == "corrupt" and unread.error_hint is None
        summary = scan(inventory, root)
        refreshed = inventory.get_artifact(ids[bad.name])
        assert refreshed is not None and refreshed.error_hint == reader_error(bad).hint
        reasons = {f.path: (f.message, f.hint) for f in summary.failures}
        assert reasons == {
            bad: (reader_error(bad).message, reader_error(bad).hint),
            good: ("SHA-256 mismatch: the file hashes to 1, expected 0.", MISMATCH_HINT),
        }
        still = inventory.get_artifact(ids[good.name])
        assert still is not None and still.status == "corrupt", "an unchanged mismatch is not read away"
