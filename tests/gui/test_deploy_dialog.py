"""The Library's "Export deployment…": the dialog's choices, the export job, the folder offer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox

from slmdesk.jobs.runner import JobRunner, JobState
from slmdesk.ui.library.deploy_dialog import DeployChoices, DeployDialog
from tests.gguf_factory import write_gguf
from tests.unit.deploy.validators import parse_modelfile


def _wait_jobs(qtbot, runner: JobRunner, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: all(j.state.is_final for j in runner.jobs()), timeout=timeout)


def _add_toy(qtbot, pane, runner: JobRunner, folder: Path):
    folder.mkdir()
    write_gguf(folder / "Toy-Chat.gguf", name="Toy Chat", n_layer=4, n_embd=256, n_ff=512, context_length=1024,
               extra_tokens=("<|im_end|>",), chat_template="{{ x }}<|im_end|>")
    pane.scan([folder])
    _wait_jobs(qtbot, runner)
    record = pane.selected_record()
    assert record is not None and record.display_name.startswith("Toy Chat")
    return record


def test_the_dialog_gathers_the_choices(qtbot, library_pane, tmp_path: Path) -> None:
    pane, _inventory, runner = library_pane
    record = _add_toy(qtbot, pane, runner, tmp_path / "models")
    assert pane.deploy_button.isEnabled()
    dialog = DeployDialog(record, tmp_path / "out", pane)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.choices() == DeployChoices(("ollama", "llama-server"), tmp_path / "out")
    for box in dialog.target_boxes.values():
        box.setChecked(False)
    assert not ok.isEnabled()  # nothing to export
    dialog.target_boxes["k8s"].setChecked(True)
    assert ok.isEnabled()
    dialog.folder_edit.clear()
    assert not ok.isEnabled()
    dialog.folder_edit.setText(str(tmp_path / "k"))
    dialog.port_spin.setValue(9000)
    dialog.hosts_edit.setText("a=8,b=8")
    dialog.repo_edit.setText("org/Toy")
    assert dialog.choices() == DeployChoices(("k8s",), tmp_path / "k", 9000, "a=8,b=8", "org/Toy")


def test_the_button_exports_in_a_job_and_offers_the_folder(qtbot, library_pane, tmp_path: Path, monkeypatch) -> None:
    pane, _inventory, runner = library_pane
    record = _add_toy(qtbot, pane, runner, tmp_path / "models")
    asked: list[str] = []
    opened: list[object] = []

    def answer(_parent, _title, text, *_args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    monkeypatch.setattr("slmdesk.ui.library.pane.QDesktopServices.openUrl", opened.append)
    monkeypatch.setattr(DeployDialog, "exec", lambda _self: QDialog.DialogCode.Accepted)
    pane.deploy_button.click()
    _wait_jobs(qtbot, runner)
    written = [j for j in runner.jobs() if j.title.startswith("Export deployment")]
    assert len(written) == 1 and written[0].state is JobState.SUCCEEDED
    folder = written[0].result[0].parent
    assert folder.parent == Path.home() and folder.name.startswith("deploy-toy-chat")
    modelfile = parse_modelfile((folder / "ollama" / "Modelfile").read_text(encoding="utf-8"))
    assert modelfile.first("FROM") == str(record.path)
    assert (folder / "llama-server" / "run.sh").is_file()
    assert asked and str(folder) in asked[0]
    assert [url.toLocalFile() for url in opened] == [str(folder)]


def test_a_refusal_is_shown_and_nothing_is_written(qtbot, library_pane, tmp_path: Path, monkeypatch) -> None:
    pane, _inventory, runner = library_pane
    record = _add_toy(qtbot, pane, runner, tmp_path / "models")
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *_a: warned.append(text))
    out = tmp_path / "out"
    pane.export_deployment(record, DeployChoices(("llama-server",), out, hosts="a=100MiB,b=100MiB"))
    _wait_jobs(qtbot, runner)
    assert warned and "does not fit these 2 machines" in warned[0]
    assert not out.exists()
    pane.export_deployment(record, DeployChoices(("k8s",), out))
    _wait_jobs(qtbot, runner)
    assert "needs the Hugging Face model" in warned[1]
