"""Lineage rows in the inventory: added, read both ways, kept when the source goes, gone with the derived."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.inventory.lineage import add_lineage, derived_from, lineage_of
from slmdesk.inventory.repository import Inventory
from slmdesk.inventory.scanners import add_paths
from tests.gguf_factory import write_gguf


def test_lineage_both_ways_and_on_delete(inventory: Inventory, tmp_path: Path) -> None:
    [f16] = write_gguf(tmp_path / "toy-F16.gguf", tensor_type="F16", file_type=1)
    [q8] = write_gguf(tmp_path / "toy-Q8_0.gguf", tensor_type="Q8_0", file_type=7)
    source, derived = add_paths(inventory, [f16, q8])
    row = add_lineage(inventory, derived.id, source.id, "quantize", {"type": "Q8_0", "source_path": str(f16)}, 0.25)
    assert (row.artifact_id, row.source_artifact_id, row.kind, row.seconds) == (derived.id, source.id, "quantize", 0.25)
    assert row.created_at is not None and row.created_at.tzinfo is not None
    assert lineage_of(inventory, derived.id) == [row] and derived_from(inventory, source.id) == [row]
    with pytest.raises(TypeError):
        row.parameters["type"] = "Q4_0"  # type: ignore[index]

    inventory.remove_artifact(source.id)
    [kept] = lineage_of(inventory, derived.id)
    assert kept.source_artifact_id is None and kept.parameters["source_path"] == str(f16)
    inventory.remove_artifact(derived.id)
    assert lineage_of(inventory, derived.id) == []


def test_lineage_refusals(inventory: Inventory, tmp_path: Path) -> None:
    [f16] = write_gguf(tmp_path / "toy.gguf", tensor_type="F16", file_type=1)
    [record] = add_paths(inventory, [f16])
    with pytest.raises(UserError, match="made from itself"):
        add_lineage(inventory, record.id, record.id, "quantize", {})
    with pytest.raises(UserError, match="no artifact 999"):
        add_lineage(inventory, record.id, 999, "convert", {})
    with pytest.raises(UserError, match="Unknown lineage kind"):
        add_lineage(inventory, record.id, None, "copy", {})  # type: ignore[arg-type]
