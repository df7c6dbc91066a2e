"""The Quantize pane's form: the source, the GGUF target (type, importance matrix, output file)
or the ONNX target (precision, output folder). It builds and lays out controls and says what
changed; the pane validates through the core's ``prepare`` and opens the file dialogs."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QItemSelectionModel,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.artifacts import ArtifactSourceModel, SortRole
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP
from slmdesk.ui.quantize.models import QuantizeSources, QuantTypeModel, TypeNameRole
from slmdesk.ui.widgets.elided import ElidedComboBox
from slmdesk.ui.widgets.tinted import TintedLabel

IMATRIX_CHOICES = (
    ("none", QT_TRANSLATE_NOOP("QuantizeForm", "None")),
    ("calibration", QT_TRANSLATE_NOOP("QuantizeForm", "Compute from the shipped calibration text")),
    ("text", QT_TRANSLATE_NOOP("QuantizeForm", "Compute from a text file…")),
    ("file", QT_TRANSLATE_NOOP("QuantizeForm", "Load an importance matrix file (.imatrix, .gguf)…")),
)
"""Importance-matrix choices: key (remembered, passed to the pane) and label (translated
in the "QuantizeForm" context where shown)."""

PRECISIONS = (
    ("int4", QT_TRANSLATE_NOOP("QuantizeForm", "int4 (smallest, CPU)")),
    ("fp16", "fp16"),
    ("fp32", QT_TRANSLATE_NOOP("QuantizeForm", "fp32 (largest)")),
)
"""ONNX precisions: key (remembered, passed to the core) and label."""

TARGET_GGUF, TARGET_ONNX = 0, 1


class QuantizeForm(QWidget):
    """Source, target and output of one quantization or ONNX build.

    Signals: ``changed`` after any edit (the pane validates), ``source_changed`` when another
    source is picked (the pane reads its header), and the ``*_requested`` intents for the
    file dialogs, which the pane opens (it remembers their folders).
    """

    changed = Signal()
    source_changed = Signal()
    open_folder_requested = Signal()
    browse_output_requested = Signal()
    browse_imatrix_requested = Signal()
    browse_onnx_output_requested = Signal()

    def __init__(self, artifacts: ArtifactSourceModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._folder: Path | None = None  # a Hugging Face folder opened by path, not in the inventory
        self._output_edited = False
        self._onnx_output_edited = False

        # -- source
        self.sources = QuantizeSources(artifacts, self)
        self.source_combo = ElidedComboBox(self)
        self.source_combo.setModel(self.sources)
        self.source_combo.setAccessibleName(self.tr("Source model"))
        self.source_combo.setMinimumContentsLength(24)
        self.source_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.source_combo.currentIndexChanged.connect(self._on_source_index)
        self.open_folder_button = QPushButton(self.tr("Open folder…"), self)
        self.open_folder_button.setToolTip(self.tr("Quantize a Hugging Face model folder (converted to GGUF first)"))
        self.open_folder_button.setAccessibleName(self.tr("Open a Hugging Face model folder"))
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        self.source_note = TintedLabel(self)
        self.source_note.setWordWrap(True)
        self.source_note.setAccessibleName(self.tr("About the source"))
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_combo, 1)
        source_row.addWidget(self.open_folder_button)

        # -- GGUF target
        self.type_model = QuantTypeModel(self)
        self.type_proxy = QSortFilterProxyModel(self)
        self.type_proxy.setSourceModel(self.type_model)
        self.type_proxy.setSortRole(SortRole)
        self.type_view = QTableView(self)
        self.type_view.setModel(self.type_proxy)
        self.type_view.setAccessibleName(self.tr("Quantization types"))
        self.type_view.setAccessibleDescription(self.tr(
            "Each GGUF type with its predicted size, whether it runs here and whether it needs an importance matrix"))
        self.type_view.setSortingEnabled(True)
        self.type_view.sortByColumn(QuantTypeModel.COL_TYPE, Qt.SortOrder.AscendingOrder)
        self.type_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.type_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.type_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.type_view.verticalHeader().hide()
        self.type_view.verticalHeader().setDefaultSectionSize(24)
        self.type_view.setWordWrap(False)
        self.type_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.type_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((QuantTypeModel.COL_TYPE, 90), (QuantTypeModel.COL_SIZE, 105),
                              (QuantTypeModel.COL_FIT, 120), (QuantTypeModel.COL_IMATRIX, 80)):
            self.type_view.setColumnWidth(column, width)
        self.type_view.setMinimumHeight(150)
        self.type_view.selectionModel().currentRowChanged.connect(self._on_type_changed)

        self.imatrix_combo = QComboBox(self)
        self.imatrix_combo.setAccessibleName(self.tr("Importance matrix"))
        for key, label in IMATRIX_CHOICES:
            self.imatrix_combo.addItem(QCoreApplication.translate("QuantizeForm", label), key)
        self.imatrix_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.imatrix_combo.setMinimumContentsLength(16)
        self.imatrix_combo.setToolTip(self.tr(
            "An importance matrix records which weights matter most on a sample text; the "
            "quantization keeps those more precise. Types marked \"required\" need one."
        ))
        self.imatrix_combo.currentIndexChanged.connect(self._on_imatrix_changed)
        self.imatrix_path_edit = QLineEdit(self)
        self.imatrix_path_edit.setPlaceholderText(self.tr("Text or importance matrix file"))
        self.imatrix_path_edit.setAccessibleName(self.tr("Calibration text or importance matrix file"))
        self.imatrix_path_edit.textEdited.connect(self._on_imatrix_path_edited)
        self.imatrix_browse = QPushButton(self.tr("Browse…"), self)
        self.imatrix_browse.setAccessibleName(self.tr("Browse for the calibration text or importance matrix file"))
        self.imatrix_browse.clicked.connect(self.browse_imatrix_requested)
        imatrix_path_row = QHBoxLayout()
        imatrix_path_row.addWidget(self.imatrix_path_edit, 1)
        imatrix_path_row.addWidget(self.imatrix_browse)

        self.output_edit = QLineEdit(self)
        self.output_edit.setAccessibleName(self.tr("Output file"))
        self.output_edit.setPlaceholderText(self.tr("<source name>-<TYPE>.gguf beside the source"))
        self.output_edit.textEdited.connect(self._on_output_edited)
        self.output_browse = QPushButton(self.tr("Browse…"), self)
        self.output_browse.setAccessibleName(self.tr("Browse for the output file"))
        self.output_browse.clicked.connect(self.browse_output_requested)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(self.output_browse)

        gguf_tab = QWidget(self)
        gguf_layout = QVBoxLayout(gguf_tab)
        gguf_layout.addWidget(self.type_view, 1)
        gguf_form = QFormLayout()
        gguf_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        gguf_form.addRow(self.tr("Importance matrix:"), self.imatrix_combo)
        gguf_form.addRow("", imatrix_path_row)
        gguf_form.addRow(self.tr("Output file:"), output_row)
        gguf_layout.addLayout(gguf_form)

        # -- ONNX target
        self.precision_combo = QComboBox(self)
        self.precision_combo.setAccessibleName(self.tr("ONNX precision"))
        for key, label in PRECISIONS:
            self.precision_combo.addItem(QCoreApplication.translate("QuantizeForm", label), key)
        self.precision_combo.currentIndexChanged.connect(self._on_precision_changed)
        self.onnx_output_edit = QLineEdit(self)
        self.onnx_output_edit.setAccessibleName(self.tr("ONNX output folder"))
        self.onnx_output_edit.setPlaceholderText(self.tr("A new folder in slmdesk's models folder"))
        self.onnx_output_edit.textEdited.connect(self._on_onnx_output_edited)
        self.onnx_output_browse = QPushButton(self.tr("Browse…"), self)
        self.onnx_output_browse.setAccessibleName(self.tr("Browse for the ONNX output folder"))
        self.onnx_output_browse.clicked.connect(self.browse_onnx_output_requested)
        onnx_output_row = QHBoxLayout()
        onnx_output_row.addWidget(self.onnx_output_edit, 1)
        onnx_output_row.addWidget(self.onnx_output_browse)
        self.onnx_note = QLabel(self)
        self.onnx_note.setWordWrap(True)
        self.onnx_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.onnx_note.setAccessibleName(self.tr("About ONNX builds"))
        onnx_tab = QWidget(self)
        onnx_form = QFormLayout(onnx_tab)
        onnx_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        onnx_form.addRow(self.tr("Precision:"), self.precision_combo)
        onnx_form.addRow(self.tr("Output folder:"), onnx_output_row)
        onnx_form.addRow(self.onnx_note)

        self.target_tabs = QTabWidget(self)
        self.target_tabs.addTab(gguf_tab, "GGUF")
        self.target_tabs.addTab(onnx_tab, "ONNX")
        self.target_tabs.setAccessibleName(self.tr("Target format"))
        self.target_tabs.currentChanged.connect(self._emit_changed)

        source_title = QLabel(self.tr("<b>Source</b>"), self)
        source_title.setBuddy(self.source_combo)
        target_title = QLabel(self.tr("<b>Target</b>"), self)
        target_title.setBuddy(self.target_tabs)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(source_title)
        layout.addLayout(source_row)
        layout.addWidget(self.source_note)
        layout.addWidget(target_title)
        layout.addWidget(self.target_tabs, 1)
        # The tabs are built after their pages; the keyboard goes through them top to bottom.
        chain = (self.source_combo, self.open_folder_button, self.target_tabs, self.type_view, self.imatrix_combo,
                 self.imatrix_path_edit, self.imatrix_browse, self.output_edit, self.output_browse,
                 self.precision_combo, self.onnx_output_edit, self.onnx_output_browse)
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)
        self._on_imatrix_changed()

    # -- source ------------------------------------------------------------------------------
    def source_record(self) -> ArtifactRecord | None:
        """The inventory artifact picked (None when a folder was opened by path, or none)."""
        if self._folder is not None:
            return None
        row = self.source_combo.currentIndex()
        return self.sources.record(row) if 0 <= row < self.sources.rowCount() else None

    def source_path(self) -> Path | None:
        """The source file or folder: the picked artifact's path or the opened folder."""
        if self._folder is not None:
            return self._folder
        record = self.source_record()
        return record.path if record is not None else None

    def select_source(self, artifact_id: int) -> bool:
        """Pick the artifact ``artifact_id``; False when it is not a usable source (or unknown)."""
        row = self.sources.row_of(artifact_id)
        if row is None:
            return False
        self._folder = None
        if self.source_combo.currentIndex() == row:
            self._on_source_index(row)
        else:
            self.source_combo.setCurrentIndex(row)
        return True

    def set_source_folder(self, folder: Path) -> None:
        """Use a Hugging Face folder that is not in the inventory."""
        self._folder = folder
        self.source_combo.blockSignals(True)
        self.source_combo.setCurrentIndex(-1)
        self.source_combo.blockSignals(False)
        self.source_combo.setPlaceholderText(self.tr("Folder: {name}").format(name=folder.name))
        self.source_combo.setToolTip(str(folder))
        self._source_picked()

    @Slot(int)
    def _on_source_index(self, row: int) -> None:
        if row >= 0:
            self._folder = None
            record = self.sources.record(row)
            self.source_combo.setToolTip(f"{self.source_combo.currentText()}\n{record.path}")
        self._source_picked()

    def _source_picked(self) -> None:
        self._output_edited = False
        self._onnx_output_edited = False
        self.source_changed.emit()
        self.changed.emit()

    def set_source_note(self, text: str, level: str = "") -> None:
        """Show what to know about the source (a re-quantization warning: ``level`` "warning")."""
        self.source_note.setText(text)
        self.source_note.set_role("text.warning" if level == "warning" else None)

    # -- GGUF target --------------------------------------------------------------------------
    def target(self) -> int:
        """:data:`TARGET_GGUF` or :data:`TARGET_ONNX`."""
        return self.target_tabs.currentIndex()

    def type_name(self) -> str | None:
        """The selected GGUF type ("Q4_K_M"), None when none is selected."""
        index = self.type_view.currentIndex()
        return index.data(TypeNameRole) if index.isValid() else None

    def select_type(self, name: str) -> bool:
        """Select the row of type ``name``; False when the table has no such type."""
        for row in range(self.type_proxy.rowCount()):
            index = self.type_proxy.index(row, 0)
            if index.data(TypeNameRole) == name:
                self.type_view.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
                self.type_view.scrollTo(index)
                return True
        return False

    def imatrix_choice(self) -> str:
        """One of the :data:`IMATRIX_CHOICES` keys."""
        return str(self.imatrix_combo.currentData())

    def set_imatrix_choice(self, key: str) -> None:
        """Choose an importance-matrix option by key (unknown keys are ignored)."""
        index = self.imatrix_combo.findData(key)
        if index >= 0:
            self.imatrix_combo.setCurrentIndex(index)

    def imatrix_path(self) -> Path | None:
        """The text or importance-matrix file typed or picked, None when empty."""
        text = self.imatrix_path_edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_imatrix_path(self, path: Path) -> None:
        self.imatrix_path_edit.setText(str(path))
        self.imatrix_path_edit.setToolTip(str(path))
        self.changed.emit()

    @Slot(str)
    def _on_imatrix_path_edited(self, text: str) -> None:
        self.imatrix_path_edit.setToolTip(text)
        self.changed.emit()

    def output_path(self) -> Path | None:
        """The GGUF output file, None when empty."""
        text = self.output_edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_output_path(self, path: Path | None, edited: bool = True) -> None:
        """Set the output file (``edited``: the user chose it, so a new type does not replace it);
        ``changed`` follows only when the text changed."""
        text = "" if path is None else str(path)
        self._output_edited = edited and path is not None
        if text == self.output_edit.text():
            return
        self.output_edit.setText(text)
        self.output_edit.setToolTip(text)
        self.changed.emit()

    def output_edited(self) -> bool:
        """True when the user typed or picked the output file (it is kept when the type changes)."""
        return self._output_edited

    @Slot(str)
    def _on_output_edited(self, _text: str) -> None:
        self._output_edited = True
        self.output_edit.setToolTip(self.output_edit.text())
        self.changed.emit()

    @Slot()
    def _on_type_changed(self) -> None:
        self.changed.emit()

    @Slot()
    def _on_imatrix_changed(self) -> None:
        needs_path = self.imatrix_choice() in ("text", "file")
        self.imatrix_path_edit.setEnabled(needs_path)
        self.imatrix_browse.setEnabled(needs_path)
        self.changed.emit()

    # -- ONNX target ----------------------------------------------------------------------------
    def precision(self) -> str:
        """"int4", "fp16" or "fp32"."""
        return str(self.precision_combo.currentData())

    def set_precision(self, key: str) -> None:
        index = self.precision_combo.findData(key)
        if index >= 0:
            self.precision_combo.setCurrentIndex(index)

    def onnx_output(self) -> Path | None:
        """The ONNX output folder, None for the default."""
        text = self.onnx_output_edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_onnx_output(self, path: Path | None, edited: bool = True) -> None:
        self.onnx_output_edit.setText("" if path is None else str(path))
        self.onnx_output_edit.setToolTip("" if path is None else str(path))
        self._onnx_output_edited = edited and path is not None
        self.changed.emit()

    def onnx_output_edited(self) -> bool:
        return self._onnx_output_edited

    @Slot(str)
    def _on_onnx_output_edited(self, _text: str) -> None:
        self._onnx_output_edited = bool(_text.strip())
        self.onnx_output_edit.setToolTip(_text)
        self.changed.emit()

    @Slot()
    def _on_precision_changed(self) -> None:
        self.changed.emit()

    @Slot()
    def _emit_changed(self) -> None:
        self.changed.emit()
