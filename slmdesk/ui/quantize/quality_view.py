"""The Quantize pane's quality part: pick two artifacts of one model, measure them side by side
(perplexity on held-out text, KLD and top-1 agreement against the source), and read every
variant of the model in a table and a size-against-perplexity chart, exportable."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.ui.artifacts import ArtifactSourceModel, LoadableArtifacts, SortRole
from slmdesk.ui.quantize.chart import QualityChartView
from slmdesk.ui.quantize.models import QualityTableModel, source_label
from slmdesk.ui.widgets.columns import install_column_chooser
from slmdesk.ui.widgets.elided import ElidedComboBox

DEFAULT_N_CTX = 512
"""Context of the quality check, tokens (llama-perplexity's common setting for small models)."""
COLUMNS_KEY = "quantize/quality_columns"
"""The window-state key of the variants table's hidden columns."""
DEFAULT_HIDDEN = {QualityTableModel.COL_PP}
"""Columns hidden until the user picks (right-click the header): prompt speed is in the chart's
tooltips, and eight columns do not fit beside the form in a small window."""


class LabelledLoadable(LoadableArtifacts):
    """The loadable artifacts with their type in the text ("SmolLM2 135M Instruct · Q8_0"):
    the variants of one model share its name."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return source_label(self.record(index.row()), with_size=False)
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():
            return str(self.record(index.row()).path)
        return super().data(index, role)


class QualityView(QWidget):
    """Base and variant pickers, the context, Compare, and the table and chart of every variant
    of the base's model. ``compare_requested(base id, variant id, n_ctx)`` and
    ``export_requested`` are the intents the pane carries out."""

    compare_requested = Signal(int, int, int)
    export_requested = Signal()

    def __init__(self, artifacts: ArtifactSourceModel, parent: QWidget | None = None,
                 state: QSettings | None = None) -> None:
        super().__init__(parent)
        self.base_model = LabelledLoadable(artifacts, parent=self)
        self.variant_model = LabelledLoadable(artifacts, parent=self)
        # Built in visual order (top to bottom, left to right): that is the tab order.
        self.title_label = QLabel(self.tr("<b>Quality, side by side</b>"), self)
        self.base_combo = self._combo(self.base_model, self.tr("Base (source) model"))
        self.variant_combo = self._combo(self.variant_model, self.tr("Variant to compare"))
        self.ctx_spin = QSpinBox(self)
        self.ctx_spin.setRange(64, 8192)
        self.ctx_spin.setSingleStep(64)
        self.ctx_spin.setValue(DEFAULT_N_CTX)
        self.ctx_spin.setSuffix(self.tr(" tokens", "suffix of the context spin box"))
        self.ctx_spin.setAccessibleName(self.tr("Context of the quality check"))
        self.ctx_spin.setToolTip(self.tr("Perplexity is measured in windows of this many tokens of the held-out text"))
        self.speed_check = QCheckBox(self.tr("Measure speed too"), self)
        self.speed_check.setToolTip(self.tr(
            "After the comparison, a quick benchmark of both (pp128/tg32 ×3, as the Benchmark pane's quick "
            "preset); otherwise speeds come from the newest run in the Benchmark pane"))
        self.compare_button = QPushButton(self.tr("Compare"), self)
        self.compare_button.setToolTip(self.tr(
            "Perplexity of both on the held-out text, and how far the variant's token probabilities "
            "are from the base's (KL divergence, top-1 agreement)"
        ))
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setToolTip(self.tr("Save the table as CSV, JSON or Markdown"))
        self.export_button.setAccessibleName(self.tr("Export the variants table"))
        self.export_button.clicked.connect(self.export_requested)
        self.note_label = QLabel(self.tr("Speeds (pp/tg): the newest benchmark of each (Benchmark pane)."), self)
        self.note_label.setWordWrap(True)

        self.table_model = QualityTableModel(self)
        self.table_proxy = QSortFilterProxyModel(self)
        self.table_proxy.setSourceModel(self.table_model)
        self.table_proxy.setSortRole(SortRole)
        self.table_view = QTableView(self)
        self.table_view.setModel(self.table_proxy)
        self.table_view.setAccessibleName(self.tr("Variants of the model"))
        self.table_view.setSortingEnabled(True)
        self.table_view.sortByColumn(QualityTableModel.COL_SIZE, Qt.SortOrder.DescendingOrder)
        self.table_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table_view.verticalHeader().hide()
        self.table_view.setWordWrap(False)
        self.table_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table_view.setColumnWidth(QualityTableModel.COL_NAME, 170)
        self.table_view.setColumnWidth(QualityTableModel.COL_TYPE, 70)
        self.table_view.setColumnWidth(QualityTableModel.COL_SIZE, 85)
        self.table_view.setColumnWidth(QualityTableModel.COL_PPL, 120)
        self.chart = QualityChartView(self)

        pickers = QFormLayout()
        pickers.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        pickers.addRow(self.tr("Base:"), self.base_combo)
        pickers.addRow(self.tr("Variant:"), self.variant_combo)
        pickers.addRow(self.tr("Context:"), self.ctx_spin)
        run_row = QHBoxLayout()
        run_row.addWidget(self.speed_check)
        run_row.addStretch(1)
        run_row.addWidget(self.compare_button)
        run_row.addWidget(self.export_button)
        install_column_chooser(self.table_view, state, COLUMNS_KEY, DEFAULT_HIDDEN)
        self.table_view.setMinimumHeight(100)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.table_view)
        self.splitter.addWidget(self.chart)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([1000, 2000])  # 1:2, the chart needs the height for its axis titles
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addLayout(pickers)
        layout.addLayout(run_row)
        layout.addWidget(self.note_label)
        layout.addWidget(self.splitter, 1)
        self.table_model.modelReset.connect(self._update_buttons)
        self.table_model.rowsInserted.connect(self._update_buttons)
        self.base_combo.currentIndexChanged.connect(self._update_buttons)
        self.variant_combo.currentIndexChanged.connect(self._update_buttons)
        self._busy = False
        self._update_buttons()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a theme switch: the chart's colours
            self.chart.redraw()

    def _combo(self, model: LoadableArtifacts, name: str) -> QComboBox:
        combo = ElidedComboBox(self)
        combo.setModel(model)
        combo.setAccessibleName(name)
        combo.setMinimumContentsLength(16)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.currentIndexChanged.connect(self._update_tooltips)
        return combo

    @Slot()
    def _update_tooltips(self) -> None:
        """The whole name and path of each picked model (the combo may elide it)."""
        for combo, model, what in ((self.base_combo, self.base_model, self.tr("Base (source) model")),
                                   (self.variant_combo, self.variant_model, self.tr("Variant to compare"))):
            row = combo.currentIndex()
            if 0 <= row < model.rowCount():
                combo.setToolTip(f"{combo.currentText()}\n{model.record(row).path}")
            else:
                combo.setToolTip(what)

    def base_id(self) -> int | None:
        """The base artifact picked, None when none."""
        row = self.base_combo.currentIndex()
        return self.base_model.record(row).id if 0 <= row < self.base_model.rowCount() else None

    def variant_id(self) -> int | None:
        """The variant artifact picked, None when none."""
        row = self.variant_combo.currentIndex()
        return self.variant_model.record(row).id if 0 <= row < self.variant_model.rowCount() else None

    def set_pair(self, base_id: int, variant_id: int) -> bool:
        """Pick ``base_id`` and ``variant_id``; False when either is not a loadable artifact shown."""
        base_row, variant_row = self.base_model.row_of(base_id), self.variant_model.row_of(variant_id)
        if base_row is None or variant_row is None:
            return False
        self.base_combo.setCurrentIndex(base_row)
        self.variant_combo.setCurrentIndex(variant_row)
        return True

    def set_busy(self, busy: bool) -> None:
        """While a comparison runs, Compare is off."""
        self._busy = busy
        self._update_buttons()

    @Slot()
    def _on_compare_clicked(self) -> None:
        base, variant = self.base_id(), self.variant_id()
        if base is not None and variant is not None:
            self.compare_requested.emit(base, variant, self.ctx_spin.value())

    @Slot()
    def _update_buttons(self) -> None:
        base, variant = self.base_id(), self.variant_id()
        self.compare_button.setEnabled(not self._busy and base is not None and variant is not None and base != variant)
        self.export_button.setEnabled(self.table_model.rowCount() > 0)
