"""The Library's details panel: header facts, chat template, provenance, checksum and lineage of one artifact."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core.units import format_bytes, format_params
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.artifacts import status_reason
from slmdesk.ui.library.model import source_text
from slmdesk.ui.quantize.lineage_panel import LineagePanel
from slmdesk.ui.widgets.jinja_highlighter import JinjaHighlighter


class ArtifactDetails(QWidget):
    """Everything the inventory knows about the selected artifact."""

    verify_requested = Signal(int)  # artifact id

    FIELDS = (
        ("Name", lambda r: r.display_name),
        ("Architecture", lambda r: r.architecture),
        ("Parameters", lambda r: f"{format_params(r.n_params)} ({r.n_params:,})" if r.n_params else None),
        ("Quantization", lambda r: r.quantization),
        ("Format", lambda r: r.format.upper() + (f", split in {r.split_count} parts" if r.split_count > 1 else "")),
        ("Size", lambda r: f"{format_bytes(r.size_bytes)} ({r.size_bytes:,} bytes)"),
        ("Context length", lambda r: f"{r.context_length:,} tokens" if r.context_length else None),
        ("Layers", lambda r: r.n_layer),
        ("Attention heads", lambda r: r.n_head),
        ("KV heads", lambda r: r.n_head_kv),
        ("Embedding length", lambda r: r.n_embd),
        ("Vocabulary", lambda r: f"{r.n_vocab:,}" if r.n_vocab else None),
        ("Sliding window", lambda r: f"{r.sliding_window:,} tokens" if r.sliding_window else "none"),
        ("Status", lambda r: r.status + (f": {status_reason(r)}" if r.error else "")),
        ("Source", source_text),
        ("Added", lambda r: r.added_at.strftime("%Y-%m-%d %H:%M UTC") if r.added_at else None),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._record: ArtifactRecord | None = None
        self.title = QLabel("<i>Select a model to see its details.</i>", self)
        self.title.setWordWrap(True)
        self.values: dict[str, QLabel] = {}
        form_host = QWidget(self)
        form = QFormLayout(form_host)
        for label, _ in self.FIELDS:
            value = QLabel(form_host)
            value.setWordWrap(True)
            value.setTextInteractionFlags(value.textInteractionFlags().TextSelectableByMouse)
            self.values[label] = value
            form.addRow(f"{label}:", value)
        self.path_label = QLabel(form_host)
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(self.path_label.textInteractionFlags().TextSelectableByMouse)
        self.show_button = QPushButton("Show in folder", form_host)
        self.show_button.clicked.connect(self.show_in_folder)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_label, 1)
        path_row.addWidget(self.show_button)
        form.addRow("Path:", path_row)
        self.provenance_label = QLabel(form_host)
        self.provenance_label.setWordWrap(True)
        form.addRow("Provenance:", self.provenance_label)
        self.checksum_label = QLabel(form_host)
        self.checksum_label.setWordWrap(True)
        self.checksum_label.setTextInteractionFlags(self.checksum_label.textInteractionFlags().TextSelectableByMouse)
        self.verify_button = QPushButton("Verify checksum", form_host)
        self.verify_button.clicked.connect(self._on_verify)
        checksum_row = QHBoxLayout()
        checksum_row.addWidget(self.checksum_label, 1)
        checksum_row.addWidget(self.verify_button)
        form.addRow("SHA-256:", checksum_row)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_host)

        self.template_edit = QPlainTextEdit(self)
        self.template_edit.setReadOnly(True)
        self.template_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.template_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._highlighter = JinjaHighlighter(self.template_edit.document())

        self.tabs = QTabWidget(self)
        self.tabs.addTab(scroll, "Details")
        self.tabs.addTab(self.template_edit, "Chat template")
        self.lineage = LineagePanel(self)
        """Where the artifact came from and the variants made from it (the Library fills it)."""
        self.tabs.addTab(self.lineage, "Lineage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs, 1)
        self.show_record(None)

    def record(self) -> ArtifactRecord | None:
        """The artifact shown."""
        return self._record

    def show_record(self, record: ArtifactRecord | None) -> None:
        """Show ``record`` (None clears the panel)."""
        self._record = record
        self.tabs.setEnabled(record is not None)
        self.show_button.setEnabled(record is not None)
        self.lineage.show_reading(record)  # the Library reads the lineage in a job
        self.verify_button.setEnabled(record is not None and record.status != "missing")
        if record is None:
            self.title.setText("<i>Select a model to see its details.</i>")
            for value in self.values.values():
                value.clear()
            self.path_label.clear()
            self.provenance_label.clear()
            self.checksum_label.clear()
            self.template_edit.clear()
            return
        self.title.setText(f"<h3>{html.escape(record.display_name)}</h3>")
        for label, getter in self.FIELDS:
            fact = getter(record)
            self.values[label].setText("" if fact is None else str(fact))
        files = "<br>".join(html.escape(str(f)) for f in record.files)
        self.path_label.setText(files)
        detail = dict(record.source_detail)
        self.provenance_label.setText(
            html.escape(source_text(record))
            + (f"<br><small>{html.escape(json.dumps(detail, default=str))}</small>" if detail else "")
        )
        if record.sha256:
            when = f" (verified {record.verified_at:%Y-%m-%d %H:%M} UTC)" if record.verified_at else " (from the store)"
            self.checksum_label.setText(f"<code>{record.sha256}</code>{when}")
        else:
            self.checksum_label.setText("Not computed yet.")
        if record.chat_template:
            self.template_edit.setPlainText(record.chat_template)
        else:
            self.template_edit.setPlainText(
                "This model has no chat template in its header. slmdesk will use a fallback "
                "template (ChatML) and show a warning when you chat with it."
            )

    @Slot()
    def show_in_folder(self) -> None:
        """Open the folder holding the artifact in the desktop's file manager."""
        if self._record is None:
            return
        folder = self._record.path if self._record.path.is_dir() else self._record.path.parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot()
    def _on_verify(self) -> None:
        if self._record is not None:
            self.verify_requested.emit(self._record.id)
