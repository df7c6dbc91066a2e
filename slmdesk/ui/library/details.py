"""The Library's details panel: header facts, chat template, provenance, checksum and lineage of one artifact."""

from __future__ import annotations

import html
import json
from datetime import UTC

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.artifacts import status_reason, status_text
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_datetime, format_number, format_params
from slmdesk.ui.library.model import source_text
from slmdesk.ui.quantize.lineage_panel import LineagePanel
from slmdesk.ui.widgets.elided import ElidedLabel
from slmdesk.ui.widgets.jinja_highlighter import JinjaHighlighter
from slmdesk.ui.widgets.scroll import VerticalScrollArea


def _number(value: int | None) -> str | None:
    return None if value is None else format_number(value)


class ArtifactDetails(QWidget):
    """Everything the inventory knows about the selected artifact."""

    verify_requested = Signal(int)  # artifact id

    FIELDS = (
        QT_TRANSLATE_NOOP("ArtifactDetails", "Name"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Architecture"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Parameters"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Quantization"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Format"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Size"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Context length"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Layers"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Attention heads"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "KV heads"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Embedding length"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Vocabulary"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Sliding window"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Status"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Source"),
        QT_TRANSLATE_NOOP("ArtifactDetails", "Added"),
    )
    """The facts shown, by their English names (the keys of :attr:`values`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._record: ArtifactRecord | None = None
        self.title = QLabel(self.tr("<i>Select a model to see its details.</i>"), self)
        self.title.setWordWrap(True)
        self.values: dict[str, QLabel] = {}
        form_host = QWidget(self)
        form = QFormLayout(form_host)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for field in self.FIELDS:
            value = QLabel(form_host)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[field] = value
            form.addRow(self.tr("{field}:").format(field=QCoreApplication.translate("ArtifactDetails", field)),
                        value)
        self.path_label = ElidedLabel("", form_host, selectable=True)
        self.path_label.setAccessibleName(self.tr("Path"))
        self.show_button = QPushButton(self.tr("Show in folder"), form_host)
        self.show_button.setToolTip(self.tr("Open the folder holding the model's files"))
        self.show_button.clicked.connect(self.show_in_folder)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_label, 1)
        path_row.addWidget(self.show_button)
        form.addRow(self.tr("Path:"), path_row)
        self.provenance_label = QLabel(form_host)
        self.provenance_label.setWordWrap(True)
        form.addRow(self.tr("Provenance:"), self.provenance_label)
        self.checksum_label = QLabel(form_host)
        self.checksum_label.setWordWrap(True)
        self.checksum_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_button = QPushButton(self.tr("Verify checksum"), form_host)
        self.verify_button.setAccessibleName(self.tr("Verify the checksum of this model"))
        self.verify_button.clicked.connect(self._on_verify)
        checksum_row = QHBoxLayout()
        checksum_row.addWidget(self.checksum_label, 1)
        checksum_row.addWidget(self.verify_button)
        form.addRow(self.tr("SHA-256:"), checksum_row)
        scroll = VerticalScrollArea(self)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)  # framed in its tab, and a tab stop of its own
        scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        scroll.setAccessibleName(self.tr("Details"))
        scroll.setWidget(form_host)

        self.template_edit = QPlainTextEdit(self)
        self.template_edit.setReadOnly(True)
        self.template_edit.setAccessibleName(self.tr("Chat template"))
        self.template_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.template_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._highlighter = JinjaHighlighter(self.template_edit.document())

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Model details"))
        self.tabs.addTab(scroll, self.tr("Details"))
        self.tabs.addTab(self.template_edit, self.tr("Chat template"))
        self.lineage = LineagePanel(self)
        """Where the artifact came from and the variants made from it (the Library fills it)."""
        self.tabs.addTab(self.lineage, self.tr("Lineage"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs, 1)
        self.show_record(None)

    def facts(self, record: ArtifactRecord) -> dict[str, str | None]:
        """The facts of :attr:`FIELDS` for ``record``, as shown (None: unknown)."""
        fmt = record.format.upper()
        if record.split_count > 1:
            fmt = self.tr("{format}, split in %n part(s)", "", record.split_count).format(format=fmt)
        added = None
        if record.added_at is not None:
            added = format_datetime(record.added_at if record.added_at.tzinfo
                                    else record.added_at.replace(tzinfo=UTC))
        status = status_text(record) + (f": {status_reason(record)}" if record.error else "")
        return {
            "Name": record.display_name,
            "Architecture": record.architecture,
            "Parameters": self.tr("{short} ({exact})").format(short=format_params(record.n_params),
                                                             exact=format_number(record.n_params))
            if record.n_params else None,
            "Quantization": record.quantization,
            "Format": fmt,
            # no %n plural: Qt's count is a 32-bit int and GGUF files exceed 2**31 bytes
            "Size": self.tr("{size} ({bytes} bytes)").format(size=format_bytes(record.size_bytes),
                                                             bytes=format_number(record.size_bytes)),
            "Context length": self.tr("%Ln token(s)", "", record.context_length) if record.context_length else None,
            "Layers": _number(record.n_layer),
            "Attention heads": _number(record.n_head),
            "KV heads": _number(record.n_head_kv),
            "Embedding length": _number(record.n_embd),
            "Vocabulary": _number(record.n_vocab),
            "Sliding window": self.tr("%Ln token(s)", "", record.sliding_window) if record.sliding_window
            else self.tr("none", "no sliding window"),
            "Status": status,
            "Source": source_text(record),
            "Added": added,
        }

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._highlighter.refresh_colours()  # the template's colours are the theme's

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
            self.title.setText(self.tr("<i>Select a model to see its details.</i>"))
            for value in self.values.values():
                value.clear()
            self.path_label.clear()
            self.provenance_label.clear()
            self.checksum_label.clear()
            self.template_edit.clear()
            return
        self.title.setText("<h3>" + html.escape(record.display_name) + "</h3>")  # a name: nothing to translate
        for label, fact in self.facts(record).items():
            self.values[label].setText("" if fact is None else fact)
        self.path_label.setText("\n".join(str(f) for f in record.files))
        detail = dict(record.source_detail)
        self.provenance_label.setText(
            html.escape(source_text(record))
            + (f"<br><small>{html.escape(json.dumps(detail, default=str))}</small>" if detail else "")
        )
        if record.sha256:
            if record.verified_at:
                verified = record.verified_at if record.verified_at.tzinfo else record.verified_at.replace(tzinfo=UTC)
                when = self.tr("(verified {time})").format(time=format_datetime(verified))
            else:
                when = self.tr("(from the store)")
            self.checksum_label.setText("<code>" + record.sha256 + "</code> " + html.escape(when))
        else:
            self.checksum_label.setText(self.tr("Not computed yet."))
        if record.chat_template:
            self.template_edit.setPlainText(record.chat_template)
        else:
            self.template_edit.setPlainText(self.tr(
                "This model has no chat template in its header. slmdesk will use a fallback "
                "template (ChatML) and show a warning when you chat with it."
            ))

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
