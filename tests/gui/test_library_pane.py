"""The Library pane on a real SQLite inventory with real (synthetic and starter) GGUF files."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from library_pane_speed import synthetic_records

from slmdesk.hub import starter
from slmdesk.jobs.runner import JobRunner, JobState
from slmdesk.ui.library.model import ArtifactTableModel
from tests.gguf_factory import write_gguf


def _wait_jobs(qtbot, runner: JobRunner, timeout: int = 30_000) -> None:
    # Reading the records back is a job too, so this also waits for the table to refresh.
    qtbot.waitUntil(lambda: all(j.state.is_final for j in runner.jobs()), timeout=timeout)
    failed = [j for j in runner.jobs() if j.state is JobState.FAILED]
    assert not failed, [(j.title, j.error, j.details) for j in failed]


def test_first_run_offers_the_starter_models_and_adds_one(qtbot, library_pane) -> None:
    pane, _inventory, runner = library_pane
    assert pane.welcome.isVisible()
    button = pane.starter_buttons[starter.SMOLLM2.key]
    assert button.isEnabled() and "SmolLM2" in button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _wait_jobs(qtbot, runner)
    assert not button.isVisible()  # offered no more; the banner stays while Gemma is not added
    assert pane.welcome.isVisible() == starter.available(starter.GEMMA3_270M)
    record = pane.selected_record()
    assert record is not None
    assert record.architecture == "llama" and record.quantization == "Q4_1"
    assert record.n_layer == 30 and record.context_length == 8192
    assert pane.details.values["KV heads"].text() == "3"
    assert "{%" in pane.details.template_edit.toPlainText()  # SmolLM2 ships a chat template
    assert pane.chat_button.isEnabled()


def test_scan_filter_facets_verify_remove(qtbot, qtmodeltester, library_pane, tmp_path: Path, monkeypatch) -> None:
    pane, inventory, runner = library_pane
    folder = tmp_path / "models"
    folder.mkdir()
    write_gguf(folder / "alpha-Q8_0.gguf", arch="llama", name="Alpha")
    write_gguf(folder / "beta.gguf", arch="qwen2", name="Beta")
    (folder / "broken.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 20)
    pane.scan([folder])
    _wait_jobs(qtbot, runner)
    qtmodeltester.check(pane.model)
    assert pane.model.rowCount() == 3
    names = {pane.model.record(r).display_name: pane.model.record(r) for r in range(3)}
    assert names["broken.gguf"].status == "corrupt"

    pane.filter_edit.setText("qwen")
    assert pane.model.rowCount() == 1 and pane.model.record(0).display_name == "Beta"
    pane.filter_edit.clear()
    status_combo = pane.facet_combos[ArtifactTableModel.COL_STATUS]
    status_combo.setCurrentIndex(status_combo.findData("corrupt"))
    assert pane.model.rowCount() == 1 and pane.model.record(0).status == "corrupt"
    status_combo.setCurrentIndex(0)
    assert pane.model.rowCount() == 3
    assert pane.count_label.text().startswith("3 model")  # "3 models" once the English plurals are installed

    assert pane.select(names["Alpha"].id)
    pane.verify_selected()
    _wait_jobs(qtbot, runner)
    pane.select(names["Alpha"].id)
    assert len(pane.selected_record().sha256) == 64
    assert pane.selected_record().sha256 in pane.details.checksum_label.text()

    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    pane.remove_selected()
    _wait_jobs(qtbot, runner)
    assert inventory.get_artifact(names["Alpha"].id) is None
    assert (folder / "alpha-Q8_0.gguf").exists()  # files stay on disk
    assert pane.model.rowCount() == 2


def test_delete_from_disk_asks_first_naming_file_and_size(qtbot, library_pane, tmp_path: Path, monkeypatch) -> None:
    pane, _inventory, runner = library_pane
    path = tmp_path / "gone.gguf"
    write_gguf(path)
    pane.scan([path])
    _wait_jobs(qtbot, runner)
    pane.select(pane.model.record(0).id)
    asked: list[str] = []

    def refuse(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "warning", refuse)
    pane.delete_selected()
    assert path.exists() and "gone.gguf" in asked[0] and "KiB" in asked[0]
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: QMessageBox.StandardButton.Yes)
    pane.delete_selected()
    _wait_jobs(qtbot, runner)
    assert not path.exists()
    assert pane.model.rowCount() == 0


def test_sizes_sort_numerically_above_2_gib(qtbot, qtmodeltester) -> None:
    model = ArtifactTableModel()
    records = synthetic_records(300)
    model.set_records(records)
    qtmodeltester.check(model)
    model.sort(ArtifactTableModel.COL_SIZE, Qt.SortOrder.DescendingOrder)
    sizes = [model.record(r).size_bytes for r in range(model.rowCount())]
    assert sizes == sorted((r.size_bytes for r in records), reverse=True)
    assert sizes[0] > 2**32


def test_one_source_model_feeds_the_library_and_the_pickers(qtbot, qtmodeltester) -> None:
    from dataclasses import replace

    from slmdesk.ui.artifacts import ArtifactSourceModel, Badge, LoadableArtifacts

    source = ArtifactSourceModel()
    library = ArtifactTableModel(source=source)
    picker = LoadableArtifacts(source, checkable=True)
    records = synthetic_records(60)
    source.set_records(records)
    for model in (source, library, picker):
        qtmodeltester.check(model)
    loadable = [r for r in records if r.loadable]
    assert library.rowCount() == 60 and picker.rowCount() == len(loadable) < 60
    names = [picker.record(row).display_name for row in range(picker.rowCount())]
    assert names == sorted(names, key=str.lower)  # the picker lists models by name

    library.set_text("gemma3")
    assert 0 < library.rowCount() < 60 and picker.rowCount() == len(loadable)  # each view filters alone
    # A badge set through the Library shows in the source (one place) and its views.
    first = library.record(0)
    library.set_verdict(first.id, Badge("fits", "good"))
    assert source.badge(first.id) == Badge("fits", "good")
    assert library.index(0, ArtifactTableModel.COL_FIT).data() == "fits"

    picker.set_checked([loadable[0].id, loadable[1].id])
    assert set(picker.checked_ids()) == {loadable[0].id, loadable[1].id}
    qtmodeltester.check(picker)
    # A reload that drops a model drops its check and keeps the others.
    source.set_records([r for r in records if r.id != loadable[0].id] + [replace(records[0], id=999)])
    assert picker.checked_ids() == [loadable[1].id]
    assert library.rowCount() == sum("gemma3" in r.display_name.lower() or "gemma3" in str(r.path).lower()
                                     for r in source.records())


def test_few_columns_by_default_the_choice_kept_filter_before_table(qtbot, app_paths, inventory) -> None:
    from PySide6.QtCore import QSettings

    from slmdesk.ui.library.pane import DEFAULT_HIDDEN_COLUMNS, LibraryPane
    from slmdesk.ui.widgets.columns import column_chooser
    from tests.gui.polish import focus_problems, tab_stops

    state = QSettings(str(app_paths.window_state_file), QSettings.Format.IniFormat)
    runner = JobRunner()
    pane = LibraryPane(inventory, runner, app_paths, state=state)
    qtbot.addWidget(pane)
    pane.show()
    qtbot.waitUntil(lambda: not pane.is_refreshing())
    hidden = {c for c in range(pane.model.columnCount()) if pane.table.isColumnHidden(c)}
    assert hidden == DEFAULT_HIDDEN_COLUMNS and ArtifactTableModel.COL_NAME not in hidden
    chooser = column_chooser(pane.table)
    assert chooser is not None
    chooser.actions()[ArtifactTableModel.COL_ADDED].setChecked(True)  # show "Added"
    assert not pane.table.isColumnHidden(ArtifactTableModel.COL_ADDED)

    stops = tab_stops(pane)
    assert stops.index(pane.filter_edit) < stops.index(pane.table)
    assert pane.filter_edit.accessibleName() and pane.table.accessibleName()
    assert pane.fit_panel.gpu_spin.accessibleName() == "GPU layers"
    assert focus_problems(pane) == []
    assert runner.shutdown(10_000)

    second_runner = JobRunner()
    again = LibraryPane(inventory, second_runner, app_paths, state=state)  # a new view, the same state
    qtbot.addWidget(again)
    assert not again.table.isColumnHidden(ArtifactTableModel.COL_ADDED)
    assert again.table.isColumnHidden(ArtifactTableModel.COL_SOURCE)
    assert second_runner.shutdown(10_000)
