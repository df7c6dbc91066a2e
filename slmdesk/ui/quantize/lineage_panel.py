"""Lineage of one artifact, for the Library's details: what it was made from and how, and the
variants made from it, with "Quantize again", "Compare with source" and "Delete variant"."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.inventory.lineage import LineageRecord
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_datetime, format_number
from slmdesk.ui.widgets.table_model import ColumnTableModel

VariantIdRole = Qt.ItemDataRole.UserRole + 1

_KIND_TEXT = {
    "quantize": QT_TRANSLATE_NOOP("LineagePanel", "quantization"),
    "convert": QT_TRANSLATE_NOOP("LineagePanel", "conversion to GGUF"),
    "onnx-build": QT_TRANSLATE_NOOP("LineagePanel", "ONNX build"),
}
"""Lineage kinds in words (translated in the "LineagePanel" context where shown)."""


def kind_text(kind: str) -> str:
    """A lineage kind in words ("quantization"); an unknown kind as it is stored."""
    return QCoreApplication.translate("LineagePanel", _KIND_TEXT[kind]) if kind in _KIND_TEXT else kind


@dataclass(frozen=True)
class Derived:
    """One variant made from the artifact shown: its lineage row and its record (None once the
    variant is gone from the inventory; the row then goes with it, so this is rare)."""

    lineage: LineageRecord
    record: ArtifactRecord | None


def lineage_type(lineage: LineageRecord) -> str:
    """What was made: the GGUF type ("Q4_K_M"), the ONNX precision ("int4") or the kind."""
    parameters = lineage.parameters
    return str(parameters.get("type") or parameters.get("precision") or parameters.get("out_type")
               or kind_text(lineage.kind))


def _short(digest: object) -> str:
    return f"<code>{html.escape(str(digest)[:12])}…</code>" if digest else "–"


def source_path_of(lineage: LineageRecord) -> str | None:
    """The source's path as the lineage recorded it, None when it did not."""
    path = lineage.parameters.get("source_path") or lineage.parameters.get("source")
    return str(path) if path else None


def describe_lineage(lineage: LineageRecord, source: ArtifactRecord | None) -> str:
    """Rich text: source, kind and type, importance matrix and calibration text hash, tool
    versions, duration and time (local) of one derivation. A source no longer in the library
    is named by its file name (its whole path: :func:`source_path_of`, the label's tooltip)."""
    translate = QCoreApplication.translate
    parameters: Mapping[str, Any] = lineage.parameters
    if source is not None:
        made_from = html.escape(f"{source.display_name} ({source.quantization or source.format.upper()})")
    elif (path := source_path_of(lineage)) is not None:
        made_from = translate("LineagePanel", "{name} <i>(not in the library)</i>").format(
            name=html.escape(PurePath(path).name or path))
    else:
        made_from = translate("LineagePanel", "<i>unknown</i>")
    lines = [translate("LineagePanel", "<b>Made from:</b> {source}").format(source=made_from),
             translate("LineagePanel", "<b>By:</b> {kind} to <b>{type}</b>").format(
                 kind=html.escape(kind_text(lineage.kind)), type=html.escape(lineage_type(lineage)))]
    if lineage.kind == "quantize":
        imatrix = parameters.get("imatrix")
        if isinstance(imatrix, Mapping):
            name = str(imatrix.get("path") or "").rsplit("/", 1)[-1] or translate("LineagePanel", "yes")
            lines.append(translate("LineagePanel", "<b>Importance matrix:</b> {name} (SHA-256 {sha256})").format(
                name=html.escape(name), sha256=_short(imatrix.get("sha256"))))
        else:
            lines.append(translate("LineagePanel", "<b>Importance matrix:</b> none"))
        if parameters.get("calibration_sha256"):
            lines.append(translate("LineagePanel", "<b>Calibration text:</b> SHA-256 {sha256}").format(
                sha256=_short(parameters.get("calibration_sha256"))))
    tools = parameters.get("tools")
    if isinstance(tools, Mapping) and tools:
        lines.append(translate("LineagePanel", "<b>Tools:</b> {tools}").format(
            tools=html.escape(", ".join(f"{k} {v}" for k, v in tools.items()))))
    elif parameters.get("builder_version"):
        lines.append(translate("LineagePanel", "<b>Tools:</b> {tools}").format(
            tools=html.escape(f"onnxruntime-genai builder {parameters['builder_version']}")))
    when = format_datetime(lineage.created_at) if lineage.created_at else "–"
    if lineage.seconds is not None:
        lines.append(translate("LineagePanel", "<b>When:</b> {when}, took {seconds} s").format(
            when=when, seconds=format_number(lineage.seconds, 1)))
    else:
        lines.append(translate("LineagePanel", "<b>When:</b> {when}").format(when=when))
    return "<br>".join(lines)


class DerivedTableModel(ColumnTableModel):
    """The variants made from one artifact: name, what was made, size, when."""

    TRANSLATION_CONTEXT = "DerivedTableModel"
    COLUMNS = (QT_TRANSLATE_NOOP("DerivedTableModel", "Variant"), QT_TRANSLATE_NOOP("DerivedTableModel", "Type"),
               QT_TRANSLATE_NOOP("DerivedTableModel", "Size"), QT_TRANSLATE_NOOP("DerivedTableModel", "Made"))
    COL_NAME, COL_TYPE, COL_SIZE, COL_MADE = range(4)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Derived] = []

    def set_rows(self, rows: Sequence[Derived]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Derived]:
        return list(self._rows)

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == VariantIdRole:
            return row.lineage.artifact_id
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_NAME and row.record is not None:
            return str(row.record.path)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == self.COL_NAME:
            if row.record is not None:
                return row.record.display_name
            return self.tr("artifact {id}").format(id=row.lineage.artifact_id)
        if column == self.COL_TYPE:
            return lineage_type(row.lineage)
        if column == self.COL_SIZE:
            return format_bytes(row.record.size_bytes) if row.record is not None else "–"
        if column == self.COL_MADE:
            return format_datetime(row.lineage.created_at) if row.lineage.created_at else ""
        return None


class LineagePanel(QWidget):
    """How the artifact was made and what was made from it.

    ``quantize_requested(source id)``: open the Quantize pane on the source (the artifact's own
    source when it is a variant, else the artifact). ``compare_requested(base id, variant id)``:
    the variant selected below against this artifact, or this artifact against its source.
    ``delete_variant_requested(variant id)``: the Library deletes it (after asking).
    """

    quantize_requested = Signal(int)
    compare_requested = Signal(int, int)
    delete_variant_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._artifact: ArtifactRecord | None = None
        self._made: LineageRecord | None = None
        self.made_label = QLabel(self)
        self.made_label.setWordWrap(True)
        self.made_label.setTextFormat(Qt.TextFormat.RichText)
        self.made_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.made_label.setAccessibleName(self.tr("How this model was made"))
        self.derived_model = DerivedTableModel(self)
        self.derived_view = QTableView(self)
        self.derived_view.setModel(self.derived_model)
        self.derived_view.setAccessibleName(self.tr("Variants made from this model"))
        self.derived_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.derived_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.derived_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.derived_view.verticalHeader().hide()
        self.derived_view.setWordWrap(False)
        self.derived_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.derived_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.derived_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.derived_view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.derived_label = QLabel(self)
        self.quantize_button = QPushButton(self.tr("Quantize again"), self)
        self.quantize_button.setToolTip(self.tr("Open the Quantize pane with this model's source"))
        self.quantize_button.clicked.connect(self._on_quantize)
        self.compare_button = QPushButton(self.tr("Compare with source"), self)
        self.compare_button.setToolTip(
            self.tr("Measure the variant against its source in the Quantize pane's quality view"))
        self.compare_button.clicked.connect(self._on_compare)
        self.delete_button = QPushButton(self.tr("Delete variant…"), self)
        self.delete_button.setToolTip(self.tr("Delete the selected variant's files from disk (asks first)"))
        self.delete_button.clicked.connect(self._on_delete)
        buttons = QHBoxLayout()
        for button in (self.quantize_button, self.compare_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for label in (self.made_label, self.derived_label):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.addWidget(self.made_label)
        layout.addWidget(self.derived_label)
        layout.addWidget(self.derived_view, 1)
        layout.addStretch(0)  # takes the space while there is no variant to list
        layout.addLayout(buttons)
        self.show_lineage(None, None, None, [])

    def show_lineage(self, artifact: ArtifactRecord | None, made: LineageRecord | None,
                     source: ArtifactRecord | None, derived: Sequence[Derived]) -> None:
        """Show ``artifact``'s lineage: ``made`` (how it was made, None for a downloaded or
        adopted model) from ``source``, and the variants made from it."""
        self._artifact, self._made = artifact, made
        self.made_label.setToolTip("")
        if artifact is None:
            self.made_label.setText(self.tr("<i>Select a model to see where it came from.</i>"))
        elif made is None:
            self.made_label.setText(self.tr("Not made by slmdesk: downloaded or adopted as it is."))
        else:
            self.made_label.setText(describe_lineage(made, source))
            if source is None:
                self.made_label.setToolTip(source_path_of(made) or "")
        self.derived_model.set_rows(derived)
        self.derived_label.setText(self.tr("<b>Variants made from it:</b> %n", "", len(derived)) if derived
                                   else self.tr("<b>Variants made from it:</b> none yet"))
        self.derived_view.setVisible(bool(derived))
        self._update_buttons()

    def show_reading(self, artifact: ArtifactRecord | None) -> None:
        """Show ``artifact`` while its lineage is being read (nothing claimed yet)."""
        self.show_lineage(artifact, None, None, [])
        if artifact is not None:
            self.made_label.setText(self.tr("<i>Reading the lineage…</i>"))
            self.derived_label.clear()

    def artifact(self) -> ArtifactRecord | None:
        return self._artifact

    def source_id(self) -> int | None:
        """The artifact this one was made from, when it is still in the inventory."""
        return self._made.source_artifact_id if self._made is not None else None

    def selected_variant(self) -> int | None:
        """The variant selected in the table, None when none."""
        rows = self.derived_view.selectionModel().selectedRows()
        return int(rows[0].data(VariantIdRole)) if rows else None

    def select_variant(self, artifact_id: int) -> bool:
        for row in range(self.derived_model.rowCount()):
            if self.derived_model.index(row, 0).data(VariantIdRole) == artifact_id:
                self.derived_view.selectRow(row)
                return True
        return False

    @Slot()
    def _update_buttons(self) -> None:
        artifact = self._artifact
        quantizable = artifact is not None and artifact.format in ("gguf", "hf")
        self.quantize_button.setEnabled(self.source_id() is not None or quantizable)
        self.compare_button.setEnabled(artifact is not None and (
            self.selected_variant() is not None or self.source_id() is not None))
        self.delete_button.setEnabled(self.selected_variant() is not None)

    @Slot()
    def _on_quantize(self) -> None:
        source = self.source_id()
        if source is None and self._artifact is not None:
            source = self._artifact.id
        if source is not None:
            self.quantize_requested.emit(source)

    @Slot()
    def _on_compare(self) -> None:
        if self._artifact is None:
            return
        variant = self.selected_variant()
        if variant is not None:
            self.compare_requested.emit(self._artifact.id, variant)
        elif (source := self.source_id()) is not None:
            self.compare_requested.emit(source, self._artifact.id)

    @Slot()
    def _on_delete(self) -> None:
        variant = self.selected_variant()
        if variant is not None:
            self.delete_variant_requested.emit(variant)
