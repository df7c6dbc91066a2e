"""Repository functions that need no model files: listing, lookups, removal, scan roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.inventory.records import JSON_FIELDS
from slmdesk.inventory.repository import Inventory, open_inventory
from tests.inventory_factory import NOW, insert_artifacts


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = open_inventory(tmp_path / "inventory.sqlite3")
    yield inv
    inv.close()


def test_list_artifacts_returns_every_row_with_its_files_in_order(inventory: Inventory) -> None:
    insert_artifacts(inventory, 10_000)
    records = inventory.list_artifacts()
    assert len(records) == 10_000
    assert [r.id for r in records[:3]] == [1, 2, 3]
    last = records[-1]
    assert last.size_bytes == 3 * 1024**3 + 10_000  # BigInteger survives the round trip
    assert last.files == (Path("/models/m10000.gguf"),)
    assert last.added_at == NOW
    assert last.source_detail == {"root": "/models"}


def test_split_sets_list_their_parts_and_are_found_by_any_part(inventory: Inventory) -> None:
    insert_artifacts(inventory, 2, parts=3)
    record = inventory.get_artifact(2)
    assert record is not None
    assert [f.name for f in record.files] == [
        "m2-00001-of-00003.gguf", "m2-00002-of-00003.gguf", "m2-00003-of-00003.gguf",
    ]
    by_part = inventory.find_by_path("/models/m2-00003-of-00003.gguf")
    assert by_part is not None and by_part.id == 2
    assert inventory.find_by_path("/models/../models/m1-00001-of-00003.gguf").id == 1  # type: ignore[union-attr]
    assert inventory.find_by_path("/models/other.gguf") is None


def test_get_artifacts_keeps_the_requested_order_and_skips_unknown_ids(inventory: Inventory) -> None:
    insert_artifacts(inventory, 1200)
    ids = [1100, 3, 99_999, 700]
    assert [r.id for r in inventory.get_artifacts(ids)] == [1100, 3, 700]


def test_json_of_a_record_has_exactly_the_interface_fields(inventory: Inventory) -> None:
    insert_artifacts(inventory, 1)
    data = inventory.get_artifact(1).to_json()  # type: ignore[union-attr]
    assert tuple(data) == JSON_FIELDS
    assert data["source"] == {"kind": "folder", "root": "/models"}
    assert data["format"] == "gguf" and data["n_layer"] == 30


def test_is_empty_and_remove_artifact(inventory: Inventory) -> None:
    assert inventory.is_empty()
    insert_artifacts(inventory, 2)
    assert not inventory.is_empty()
    assert inventory.remove_artifact(1) is True
    assert inventory.remove_artifact(1) is False
    assert [r.id for r in inventory.list_artifacts()] == [2]
    assert inventory.count_artifacts() == 1


def test_delete_artifact_files_refuses_an_unknown_id(inventory: Inventory) -> None:
    with pytest.raises(UserError, match="no artifact 5"):
        inventory.delete_artifact_files(5)


def test_scan_roots_crud(inventory: Inventory, tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    lmstudio = tmp_path / "lms"
    lmstudio.mkdir()
    default = inventory.add_scan_root(lmstudio, "lmstudio", is_default=True)
    user = inventory.add_scan_root(models)
    assert (user.kind, user.is_default, user.enabled) == ("folder", False, True)
    assert [r.path for r in inventory.list_scan_roots()] == [lmstudio, models]  # defaults first

    assert inventory.set_scan_root_enabled(default.id, False).enabled is False
    assert inventory.list_scan_roots(enabled_only=True) == [user]
    # Registering defaults again at start-up does not undo the user's choice...
    assert inventory.add_scan_root(lmstudio, "lmstudio", is_default=True).enabled is False
    # ...but adding the folder by hand does, and it becomes the user's.
    again = inventory.add_scan_root(lmstudio, "gpt4all")
    assert (again.id, again.kind, again.enabled, again.is_default) == (default.id, "gpt4all", True, False)

    assert inventory.remove_scan_root(user.id) is True
    assert inventory.remove_scan_root(user.id) is False
    assert [r.path for r in inventory.list_scan_roots()] == [lmstudio]
    assert inventory.get_scan_root(default.id).kind == "gpt4all"  # type: ignore[union-attr]


def test_scan_root_must_be_an_existing_folder_of_a_known_kind(
    inventory: Inventory, tmp_path: Path
) -> None:
    with pytest.raises(UserError, match="is not a folder"):
        inventory.add_scan_root(tmp_path / "nope")
    with pytest.raises(UserError, match="Unknown store kind"):
        inventory.add_scan_root(tmp_path, "dropbox")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="no scan folder"):
        inventory.set_scan_root_enabled(42, True)
