"""The Chat pane's model bar: the model picker, Load / Unload, what is loaded and its warnings."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from slmdesk.engine.types import LoadInfo, LoadSettings
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number
from slmdesk.ui.widgets.tinted import TintedLabel

BASE_MODEL_NOTE = QT_TRANSLATE_NOOP(
    "ModelBar",
    "{name} has no chat template: it is a base model, so this conversation is in completion mode "
    "(the model continues your text). Choose Chat mode to try it with the ChatML format anyway."
)
"""Shown once, instead of the template warnings, for a model without a chat template in completion mode."""


def _tr(text: str) -> str:
    return QCoreApplication.translate("ModelBar", text)


def artifact_entry(artifact: ArtifactRecord, settings: LoadSettings, verdict: str | None) -> tuple[str, str]:
    """The picker's ``(label, tooltip)`` for an artifact: name, quantization, the load plan's
    ``n_ctx`` and KV type (when not f16) and the fit verdict; the tooltip adds the path and
    where to change the load settings."""
    kv = "" if settings.type_k == "f16" else f" · KV {settings.type_k}"
    label = (
        f"{artifact.display_name} · {artifact.quantization or artifact.format.upper()} · "
        f"n_ctx {settings.n_ctx}{kv}" + (f" · {verdict}" if verdict else "")
    )
    tooltip = f"{artifact.path}\n" + QCoreApplication.translate(
        "ModelBar", "Load settings (change them in Library > Fit): n_ctx {n_ctx}, KV {kv_type}, GPU layers {gpu_layers}"
    ).format(n_ctx=settings.n_ctx, kv_type=settings.type_k, gpu_layers=settings.n_gpu_layers)
    return label, tooltip


def loaded_text(name: str, info: LoadInfo) -> str:
    """``'Loaded X · llama.cpp 0.3.36 · n_ctx 4096 · load 0.42 s · engine peak 190 MiB'``."""
    text = QCoreApplication.translate(
        "ModelBar", "Loaded {name} · {backend} {version} · n_ctx {n_ctx} · load {seconds} s · engine peak {memory}")
    return text.format(name=name, backend=info.backend, version=info.backend_version, n_ctx=info.n_ctx,
                       seconds=format_number(info.load_s, 2), memory=format_bytes(info.peak_rss_bytes))


def remote_loaded_text(model: str, base_url: str, server: str, info: LoadInfo) -> str:
    """``'Connected to X at http://gpu-box:8000/v1 · vLLM 0.6.3 · n_ctx 4096 · answered in 0.05 s'``
    (``server``: its kind and version; n_ctx when the server says it)."""
    context = f" · n_ctx {info.n_ctx}" if info.n_ctx else ""
    text = QCoreApplication.translate(
        "ModelBar", "Connected to {model} at {address} · {server}{context} · answered in {seconds} s")
    return text.format(model=model, address=base_url, server=server, context=context,
                       seconds=format_number(info.load_s, 2))


def distinct_warnings(warnings: Sequence[str]) -> list[str]:
    """``warnings`` without blanks and repeats, in order. The load info's ``template_warning``
    is also the first of its ``template_notes`` (the preflight lists every finding there), and
    some notes repeat a warning with the error appended: a text that another one contains is
    left out, so each finding shows once, in its fullest wording."""
    texts = [w.strip() for w in warnings if w and w.strip()]
    kept: list[str] = []
    for text in texts:
        if text in kept or any(text != other and text in other for other in texts):
            continue
        kept.append(text)
    return kept


class ModelBar(QWidget):
    """Picker row (model, Load, Unload, busy bar), then the status line and template warnings."""

    load_requested = Signal()
    unload_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        # Long names elide instead of pushing Load off a 1024-pixel-wide window (full name in
        # each item's tooltip).
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(10)
        self.combo.setAccessibleName(self.tr("Model"))
        self.combo.setToolTip(self.tr("The model to chat with: your models, then those of remote servers"))
        model_label = QLabel(self.tr("Model:"), self)
        model_label.setBuddy(self.combo)
        self.load_button = QPushButton(self.tr("Load"), self)
        self.load_button.setToolTip(self.tr("Load the chosen model (a remote model: connect to it)"))
        self.load_button.clicked.connect(self.load_requested)
        self.unload_button = QPushButton(self.tr("Unload"), self)
        self.unload_button.setToolTip(self.tr("Free the memory the loaded model takes"))
        self.unload_button.clicked.connect(self.unload_requested)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # a load reports no progress: busy indicator
        self.progress.setMaximumWidth(120)
        self.progress.setAccessibleName(self.tr("Loading"))
        self.progress.hide()
        self.status_label = QLabel(self.tr("No model loaded."), self)
        self.status_label.setWordWrap(True)
        self.warning_label = TintedLabel(self, role="text.warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()

        row = QHBoxLayout()
        row.addWidget(model_label)
        row.addWidget(self.combo, 1)
        row.addWidget(self.load_button)
        row.addWidget(self.unload_button)
        row.addWidget(self.progress)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status_label)
        layout.addWidget(self.warning_label)

    def set_entries(self, entries: Sequence[tuple[int, str, str]],
                    remote: Sequence[tuple[str, str, str, bool]] = ()) -> None:
        """Fill the picker with ``(artifact id, label, tooltip)`` rows, then the remote models'
        ``(key, label, tooltip, enabled)`` rows (a network icon; a disabled row says why it cannot be
        used), keeping the current choice when it is still there; with none, say where models come from."""
        current = self.combo.currentData()
        self.combo.clear()
        for artifact_id, label, tooltip in entries:
            self.combo.addItem(label, artifact_id)
            self.combo.setItemData(self.combo.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DriveNetIcon)
        model = self.combo.model()
        for key, label, tooltip, enabled in remote:
            self.combo.addItem(icon, label, key)
            self.combo.setItemData(self.combo.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)
            if not enabled and isinstance(model, QStandardItemModel):
                item = model.item(self.combo.count() - 1)
                if item is not None:
                    item.setEnabled(False)
        if current is not None:
            self.select(current)
        if not entries and not remote:
            self.combo.addItem(self.tr("No models yet: add one in the Library"), None)

    def selected_id(self) -> int | None:
        """The artifact id chosen in the picker (None for the "no models" row or a remote model)."""
        data = self.combo.currentData()
        return data if isinstance(data, int) else None

    def selected_remote(self) -> str | None:
        """The key of the remote model chosen in the picker (``remote:<connection>:<model>``), or None."""
        data = self.combo.currentData()
        return data if isinstance(data, str) else None

    def select(self, choice: int | str) -> None:
        """Choose an artifact (by id) or a remote model (by key) in the picker (no-op when it is
        not listed)."""
        index = self.combo.findData(choice)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def show_status(self, text: str, loading: bool = False) -> None:
        """Set the status line; ``loading`` shows the busy bar and hides old warnings."""
        self.status_label.setText(text)
        self.progress.setVisible(loading)
        if loading:
            self.warning_label.hide()

    def show_load_warnings(self, info: LoadInfo | None, name: str, mode: str) -> None:
        """The loaded model's template warnings (none when ``info`` is None); for a model
        without a chat template in completion mode, :data:`BASE_MODEL_NOTE` instead (the
        ChatML fallback the warnings describe is not used then)."""
        if info is None:
            self.show_warnings([])
        elif not info.has_chat_template and mode == "completion":
            self.show_warnings([_tr(BASE_MODEL_NOTE).format(name=name or info.model_name)])
        else:
            self.show_warnings([info.template_warning, *info.template_notes])

    def show_warnings(self, warnings: Sequence[str]) -> None:
        """Show the chat-template warnings of the loaded model, each once (hidden when there
        are none): see :func:`distinct_warnings`."""
        shown = distinct_warnings(warnings)
        self.warning_label.setText("\n".join(shown))
        self.warning_label.setVisible(bool(shown))

    def set_state(self, busy: bool, loaded: bool, has_models: bool) -> None:
        """Enable Load, Unload and the picker for the engine's state."""
        self.load_button.setEnabled(not busy and has_models)
        self.unload_button.setEnabled(not busy and loaded)
        self.combo.setEnabled(not busy)
