"""Lineage of one artifact, for the Library's details: what it was made from and how, and the
variants made from it, with "Quantize again", "Compare with source" and "Delete variant"."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt, Signal, Slot
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

from slmdesk.core.units import format_bytes
from slmdesk.inventory.lineage import LineageRecord
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.widgets.table_model import ColumnTableModel

VariantIdRole = Qt.ItemDataRole.UserRole + 1

_KIND_TEXT = {"quantize": "quantization", "convert": "conversion to GGUF", "onnx-build": "ONNX build"}


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
               or _KIND_TEXT.get(lineage.kind, lineage.kind))


def _short(digest: object) -> str:
    return f"<code>{html.escape(str(digest)[:12])}…</code>" if digest else "–"


def describe_lineage(lineage: LineageRecord, source: ArtifactRecord | None) -> str:
    """Rich text: source, kind and type, importance matrix and calibration text hash, tool
    versions, duration and time of one derivation."""
    parameters: Mapping[str, Any] = lineage.parameters
    if source is not None:
        made_from = html.escape(f"{source.display_name} ({source.quantization or source.format.upper()})")
    else:
        path = parameters.get("source_path") or parameters.get("source")
        made_from = html.escape(str(path)) + " <i>(not in the library)</i>" if path else "<i>unknown</i>"
    lines = [f"<b>Made from:</b> {made_from}",
             (f"<b>By:</b> {html.escape(_KIND_TEXT.get(lineage.kind, lineage.kind))} to "
              f"<b>{html.escape(lineage_type(lineage))}</b>")]
    if lineage.kind == "quantize":
        imatrix = parameters.get("imatrix")
        if isinstance(imatrix, Mapping):
            name = str(imatrix.get("path") or "").rsplit("/", 1)[-1] or "yes"
            lines.append(f"<b>Importance matrix:</b> {html.escape(name)} (SHA-256 {_short(imatrix.get('sha256'))})")
        else:
            lines.append("<b>Importance matrix:</b> none")
        if parameters.get("calibration_sha256"):
            lines.append(f"<b>Calibration text:</b> SHA-256 {_short(parameters.get('calibration_sha256'))}")
    tools = parameters.get("tools")
    if isinstance(tools, Mapping) and tools:
        lines.append("<b>Tools:</b> " + html.escape(", ".join(f"{k} {v}" for k, v in tools.items())))
    elif parameters.get("builder_version"):
        lines.append(f"<b>Tools:</b> onnxruntime-genai builder {html.escape(str(parameters['builder_version']))}")
    when = f"{lineage.created_at:%Y-%m-%d %H:%M} UTC" if lineage.created_at else "–"
    took = f", took {lineage.seconds:.1f} s" if lineage.seconds is not None else ""
    lines.append(f"<b>When:</b> {when}{took}")
    return "<br>".join(lines)


class DerivedTableModel(ColumnTableModel):
    """The variants made from one artifact: name, what was made, size, when."""

    COLUMNS = ("Variant", "Type", "Size", "Made")
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
            return row.record.display_name if row.record is not None else f"artifact {row.lineage.artifact_id}"
        if column == self.COL_TYPE:
            return lineage_type(row.lineage)
        if column == self.COL_SIZE:
            return format_bytes(row.record.size_bytes) if row.record is not None else "–"
        if column == self.COL_MADE:
            return f"{row.lineage.created_at:%Y-%m-%d %H:%M}" if row.lineage.created_at else ""
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
        self.made_label.setAccessibleName("Made from")
        self.derived_model = DerivedTableModel(self)
        self.derived_view = QTableView(self)
        self.derived_view.setModel(self.derived_model)
        self.derived_view.setAccessibleName("Variants made from this model")
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
        self.quantize_button = QPushButton("Quantize again", self)
        self.quantize_button.setToolTip("Open the Quantize pane with this model's source")
        self.quantize_button.clicked.connect(self._on_quantize)
        self.compare_button = QPushButton("Compare with source", self)
        self.compare_button.setToolTip("Measure the variant against its source in the Quantize pane's quality view")
        self.compare_button.clicked.connect(self._on_compare)
        self.delete_button = QPushButton("Delete variant…", self)
        self.delete_button.setToolTip("Delete the selected variant's files from disk (asks first)")
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
        if artifact is None:
            self.made_label.setText("<i>Select a model to see where it came from.</i>")
        elif made is None:
            self.made_label.setText("Not made by slmdesk: downloaded or adopted as it is.")
        else:
            self.made_label.setText(describe_lineage(made, source))
        self.derived_model.set_rows(derived)
        self.derived_label.setText(f"<b>Variants made from it:</b> {len(derived)}" if derived
                                   else "<b>Variants made from it:</b> none yet")
        self.derived_view.setVisible(bool(derived))
        self._update_buttons()

    def show_reading(self, artifact: ArtifactRecord | None) -> None:
        """Show ``artifact`` while its lineage is being read (nothing claimed yet)."""
        self.show_lineage(artifact, None, None, [])
        if artifact is not None:
            self.made_label.setText("<i>Reading the lineage…</i>")
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
