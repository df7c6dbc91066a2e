"""The Library says why a model cannot be read and what to do: the scan's reason, stored in the
inventory row, in the Status column's tooltip and the details panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import run_inline
from slmdesk.formats.detect import read_spec
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.ui.artifacts import ArtifactSourceModel
from slmdesk.ui.library.details import ArtifactDetails


@pytest.fixture
def unreadable(tmp_path: Path) -> tuple[ArtifactRecord, UserError]:
    """A corrupt GGUF scanned into a real inventory: its record, and the reader's error."""
    bad = tmp_path / "models" / "bad.gguf"
    bad.parent.mkdir()
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    with pytest.raises(UserError) as caught:
        read_spec(bad)
    with open_inventory(tmp_path / "inventory.sqlite3") as inventory:
        run_inline(scan_task(inventory, [bad.parent]))
        (record,) = inventory.list_artifacts()
    return record, caught.value


def test_the_status_tooltip_gives_the_reason_and_what_to_do(qtbot, unreadable) -> None:
    record, error = unreadable
    model = ArtifactSourceModel()
    model.set_records([record])
    status = model.index(0, ArtifactSourceModel.COL_STATUS)
    assert model.data(status) == "corrupt"
    assert model.data(status, Qt.ItemDataRole.ToolTipRole) == f"{error.message}\n{error.hint}"


def test_the_details_panel_gives_the_reason_and_what_to_do(qtbot, unreadable) -> None:
    record, error = unreadable
    details = ArtifactDetails()
    qtbot.addWidget(details)
    details.show_record(record)
    assert details.values["Status"].text() == f"corrupt: {error.message}\n{error.hint}"
