"""The Library's "Export deployment…" dialog: targets, folder, port, RPC hosts; the export runs
in a job (:func:`export_in_job`), the dialog only gathers the choices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core.errors import UserError
from slmdesk.deploy import TARGETS, export, parse_hosts, request_for_record, slugify
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP

TARGET_LABELS = {
    "ollama": QT_TRANSLATE_NOOP("DeployDialog", "Ollama (Modelfile)"),
    "llama-server": QT_TRANSLATE_NOOP("DeployDialog",
                                      "llama.cpp server (command line, systemd unit, RPC over several machines)"),
    "vllm-compose": QT_TRANSLATE_NOOP("DeployDialog", "vLLM with Docker Compose (+ Prometheus, Grafana)"),
    "k8s": QT_TRANSLATE_NOOP("DeployDialog", "vLLM on Kubernetes (manifests, Prometheus, Grafana)"),
}
"""Each target's check box (English source; shown translated)."""


@dataclass(frozen=True)
class DeployChoices:
    """What the user chose: targets (in :data:`~slmdesk.deploy.TARGETS` order), a new folder,
    a port (None = each server's usual one), RPC hosts as text ("" = one machine), the Hugging
    Face repo for vLLM ("" = the one slmdesk knows), a system prompt ("" = none)."""

    targets: tuple[str, ...]
    folder: Path
    port: int | None = None
    hosts: str = ""
    hf_repo: str = ""
    system_prompt: str = ""


class DeployDialog(QDialog):
    """Choose what to export for one artifact. ``choices()`` holds the answer once accepted."""

    def __init__(self, record: ArtifactRecord, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export deployment: {name}").format(name=record.display_name))
        self.target_boxes: dict[str, QCheckBox] = {}
        targets = QVBoxLayout()
        for target in TARGETS:
            box = QCheckBox(QCoreApplication.translate("DeployDialog", TARGET_LABELS[target]), self)
            box.setChecked(target in ("ollama", "llama-server") if record.format == "gguf" else target != "ollama")
            box.toggled.connect(self._update_ok)
            self.target_boxes[target] = box
            targets.addWidget(box)
        self.folder_edit = QLineEdit(str(folder), self)
        self.folder_edit.textChanged.connect(self._update_ok)
        browse = QPushButton(self.tr("Browse…"), self)
        browse.setAccessibleName(self.tr("Choose the folder for the deployment files"))
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        self.port_spin = QSpinBox(self)
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText(self.tr("usual (11434 Ollama, 8080 llama-server, 8000 vLLM)"))
        self.hosts_edit = QLineEdit(self)
        self.hosts_edit.setPlaceholderText(
            self.tr("one machine; or head=24,worker1=16 (free GiB or a hardware profile)"))
        self.hosts_edit.setToolTip(
            self.tr("llama.cpp RPC: the model is split over these machines by the fit estimator"))
        self.repo_edit = QLineEdit(self)
        self.repo_edit.setPlaceholderText(
            self.tr("vLLM: the Hugging Face repo, e.g. HuggingFaceTB/SmolLM2-135M-Instruct"))
        self.system_edit = QLineEdit(self)
        self.system_edit.setPlaceholderText(self.tr("Ollama: a system prompt (optional)"))
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow(self.tr("Targets"), targets)
        form.addRow(self.tr("New &folder"), folder_row)
        self.folder_edit.setAccessibleName(self.tr("New folder"))
        form.addRow(self.tr("&Port"), self.port_spin)
        form.addRow(self.tr("&RPC hosts"), self.hosts_edit)
        form.addRow(self.tr("&HF repo"), self.repo_edit)
        form.addRow(self.tr("&System prompt"), self.system_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Export"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Files to serve this model elsewhere, with its load plan; no real key is written."),
                       self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._update_ok()

    def choices(self) -> DeployChoices:
        """The choices as they stand."""
        return DeployChoices(
            targets=tuple(t for t in TARGETS if self.target_boxes[t].isChecked()),
            folder=Path(self.folder_edit.text().strip()).expanduser(),
            port=self.port_spin.value() or None,
            hosts=self.hosts_edit.text().strip(),
            hf_repo=self.repo_edit.text().strip(),
            system_prompt=self.system_edit.text().strip(),
        )

    @Slot()
    def _update_ok(self, *_args: object) -> None:
        ok = any(box.isChecked() for box in self.target_boxes.values()) and bool(self.folder_edit.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the deployment files"),
                                                  self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)


def default_folder(record: ArtifactRecord, base: Path) -> Path:
    """``base/deploy-<model slug>``, with ``-2``, ``-3``... when that exists already."""
    stem = base / f"deploy-{slugify(record.display_name)}"
    candidate, number = stem, 1
    while candidate.exists():
        number += 1
        candidate = stem.with_name(f"{stem.name}-{number}")
    return candidate


def export_in_job(runner: JobRunner, inventory: Inventory, plans: LoadPlanStore, record: ArtifactRecord,
                  choices: DeployChoices, estimated_gpu_layers: int | None,
                  on_done: Callable[[Job], None]) -> int:
    """Build and write the bundle off the GUI thread (header read, fit split, files); the job's
    result is the list of files written, its error a refusal's message. Returns the job id."""

    def work() -> list[Path]:
        from slmdesk.core.profiles import PRESETS

        if not choices.folder.is_absolute():
            raise UserError(QCoreApplication.translate("DeployDialog", "{folder} is not a full path.").format(
                folder=choices.folder), QCoreApplication.translate("DeployDialog", "Choose the folder with Browse…."))
        request = request_for_record(
            inventory, record, plans,
            port=choices.port,
            hosts=parse_hosts(choices.hosts, PRESETS) if choices.hosts else (),
            hf_repo=choices.hf_repo or None,
            system_prompt=choices.system_prompt or None,
            estimated_gpu_layers=estimated_gpu_layers,
        )
        return export(request, choices.targets, choices.folder)

    title = QCoreApplication.translate("DeployDialog", "Export deployment of {name}").format(name=record.display_name)
    return runner.submit_call(title, work, resource="io", on_done=on_done)
