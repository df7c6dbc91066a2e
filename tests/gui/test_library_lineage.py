"""The Library's Lineage tab on a real SQLite inventory with synthetic GGUF files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from slmdesk.inventory.lineage import add_lineage
from slmdesk.inventory.scanners import add_paths
from tests.gguf_factory import write_gguf


def test_lineage_tab_shows_source_and_variants_and_acts(qtbot, qtmodeltester, library_pane, tmp_path: Path,
                                                        monkeypatch) -> None:
    pane, inventory, runner = library_pane
    [source_path] = write_gguf(tmp_path / "toy-F16.gguf", tensor_type="F16", file_type=1, name="Toy")
    [variant_path] = write_gguf(tmp_path / "toy-Q8_0.gguf", tensor_type="Q8_0", file_type=7, name="Toy")
    source, variant = add_paths(inventory, [source_path, variant_path])
    add_lineage(inventory, variant.id, source.id, "quantize", {
        "type": "Q8_0", "source_path": str(source_path), "imatrix": {"path": "/m/toy.imatrix", "sha256": "ab" * 32},
        "calibration_sha256": "cd" * 32, "tools": {"llama_cpp_python": "0.3.36", "llama_cpp": "0c1e57098"},
    }, seconds=1.5)
    with qtbot.waitSignal(pane.records_changed):
        pane.refresh()
    lineage = pane.details.lineage

    assert pane.select(variant.id)
    qtbot.waitUntil(lambda: "Made from" in lineage.made_label.text())
    text = lineage.made_label.text()
    assert "Toy (F16)" in text and "<b>Q8_0</b>" in text and "toy.imatrix" in text
    assert "abababababab" in text and "cdcdcdcdcdcd" in text  # imatrix and calibration text hashes
    assert "llama_cpp_python 0.3.36" in text and "took 1.5 s" in text
    assert lineage.compare_button.isEnabled() and not lineage.delete_button.isEnabled()
    with qtbot.waitSignal(pane.compare_requested) as compared:
        lineage.compare_button.click()
    assert compared.args == [source.id, variant.id]
    with qtbot.waitSignal(pane.quantize_requested) as again:
        lineage.quantize_button.click()
    assert again.args == [source.id]  # "Quantize again" starts from the variant's source

    assert pane.select(source.id)
    qtbot.waitUntil(lambda: lineage.derived_model.rowCount() == 1)
    qtmodeltester.check(lineage.derived_model)
    assert "Not made by slmdesk" in lineage.made_label.text()
    assert lineage.derived_model.index(0, 1).data() == "Q8_0"
    assert lineage.select_variant(variant.id) and lineage.delete_button.isEnabled()
    asked: list[str] = []

    def confirm(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "warning", confirm)
    with qtbot.waitSignal(pane.records_changed, timeout=10_000):
        lineage.delete_button.click()
    assert "toy-Q8_0.gguf" in asked[0] and not variant_path.exists() and source_path.exists()
    assert inventory.get_artifact(variant.id) is None
    qtbot.waitUntil(lambda: lineage.derived_model.rowCount() == 0 and "none yet" in lineage.derived_label.text())
    qtbot.waitUntil(lambda: all(j.state.is_final for j in runner.jobs()))
