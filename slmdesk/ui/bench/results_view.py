"""The Benchmark pane's right side: the results table, its buttons, and the speed, history and
comparison views."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSettings, QSortFilterProxyModel, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slmdesk.ui.bench.charts import HistoryChartView, KeyedChartView, SpeedChartView
from slmdesk.ui.bench.model import CompareTableModel, ResultsTableModel, SortRole, run_description
from slmdesk.ui.widgets.columns import install_column_chooser

RESULTS_COLUMNS_KEY = "bench/results_hidden_columns"
"""Window-state key of the results table's hidden columns (the header's context menu)."""
DEFAULT_HIDDEN = {ResultsTableModel.COL_LOAD, ResultsTableModel.COL_ENERGY, ResultsTableModel.COL_RUNTIME}
"""Hidden until the user shows them: the table fits a 1024 px window with the figures people compare."""


def chart_with_key(view: KeyedChartView, parent: QWidget, above: QWidget | None = None) -> QWidget:
    """``view`` with its key label below it (and ``above`` it, when given) in one widget."""
    holder = QWidget(parent)
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    if above is not None:
        layout.addWidget(above, 0, Qt.AlignmentFlag.AlignLeft)
    layout.addWidget(view, 1)
    layout.addWidget(view.key)
    return holder


class BenchResultsView(QWidget):
    """Every stored run (sortable; select rows to chart, two to compare, any to export or
    delete), the speed chart, the history chart and the comparison of two runs. The pane
    connects the buttons and the selection; this part only builds and lays out the views.

    Args:
        state: the window-state settings that remember the results table's columns (default:
            kept in memory only).
    """

    def __init__(self, parent: QWidget | None = None, state: QSettings | None = None) -> None:
        super().__init__(parent)
        # Built in the order they are seen (and tabbed through): the header row, the table, the tabs.
        results_label = QLabel(self.tr("Results"), self)
        self.compare_button = QPushButton(self.tr("Compare"), self)
        self.compare_button.setToolTip(self.tr("Select two runs to compare them (change in %)"))
        self.compare_button.setAccessibleName(self.tr("Compare the two selected runs"))
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setToolTip(
            self.tr("Export the selected runs (all runs if none is selected) as CSV, JSON or Markdown")
        )
        self.export_button.setAccessibleName(self.tr("Export benchmark results"))
        self.delete_button = QPushButton(self.tr("Delete runs"), self)
        self.delete_button.setToolTip(self.tr("Delete the selected runs from the history"))
        buttons = QHBoxLayout()
        buttons.addWidget(results_label)
        buttons.addStretch(1)
        for button in (self.compare_button, self.export_button, self.delete_button):
            buttons.addWidget(button)

        self.results_model = ResultsTableModel(self)
        self.results_proxy = QSortFilterProxyModel(self)
        self.results_proxy.setSourceModel(self.results_model)
        self.results_proxy.setSortRole(SortRole)
        self.results_view = QTableView(self)
        self.results_view.setModel(self.results_proxy)
        self.results_view.setAccessibleName(self.tr("Benchmark results"))
        self.results_view.setSortingEnabled(True)
        self.results_view.sortByColumn(ResultsTableModel.COL_WHEN, Qt.SortOrder.DescendingOrder)
        self.results_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results_view.verticalHeader().hide()
        self.results_view.setWordWrap(False)
        self.results_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.results_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Wide enough for the header texts and the usual values; the model column keeps its tooltip.
        header.setMinimumSectionSize(48)
        metrics = self.results_view.fontMetrics()
        samples = {ResultsTableModel.COL_WHEN: "2026-12-31 23:59 PM", ResultsTableModel.COL_MODEL: "M" * 14,
                   ResultsTableModel.COL_PP: "8888.8 ± 888.8", ResultsTableModel.COL_TG: "888.8 ± 88.8",
                   ResultsTableModel.COL_TEST: "pp512 / tg128 ×5", ResultsTableModel.COL_TTFT: "8.888 ± 0.888",
                   ResultsTableModel.COL_RUNTIME: "CPU haswell, repack on"}
        for column in range(self.results_model.columnCount()):
            text = samples.get(column, "")
            header_text = self.results_model.headerData(column, Qt.Orientation.Horizontal) or ""
            width = max(metrics.horizontalAdvance(text), metrics.horizontalAdvance(header_text) + 24) + 16
            self.results_view.setColumnWidth(column, width)
        results_label.setBuddy(self.results_view)
        install_column_chooser(self.results_view, state, RESULTS_COLUMNS_KEY, DEFAULT_HIDDEN)

        self.tabs = QTabWidget(self)  # made before its pages: its tab bar comes first in the tab order
        self.tabs.setAccessibleName(self.tr("Benchmark charts"))
        self.speed_chart = SpeedChartView(self)
        self.history_chart = HistoryChartView(self)
        self.history_metric = QComboBox(self)
        for key in HistoryChartView.METRICS:
            self.history_metric.addItem(HistoryChartView.metric_name(key), key)
        self.history_metric.setAccessibleName(self.tr("History figure"))
        self.history_metric.setToolTip(self.tr("The figure the history chart plots"))
        self.compare_model = CompareTableModel(self)
        self.compare_caption = QLabel(self)
        """Names both compared runs in full (model, quantization, engine, threads, test, time)."""
        self.compare_caption.setWordWrap(True)
        self.compare_caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.compare_view = QTableView(self)
        self.compare_view.setModel(self.compare_model)
        self.compare_view.setAccessibleName(self.tr("Comparison of two runs"))
        self.compare_view.verticalHeader().hide()
        self.compare_view.setWordWrap(True)
        compare_header = self.compare_view.horizontalHeader()
        compare_header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        compare_header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        compare_header.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps the quantization at the end
        self.compare_model.modelReset.connect(self._on_compared)
        compare = QWidget(self)
        compare_layout = QVBoxLayout(compare)
        compare_layout.setContentsMargins(0, 0, 0, 0)
        compare_layout.addWidget(self.compare_caption)
        compare_layout.addWidget(self.compare_view, 1)
        self.tabs.addTab(chart_with_key(self.speed_chart, self), self.tr("Speed"))
        self.tabs.addTab(chart_with_key(self.history_chart, self, self.history_metric), self.tr("History"))
        self.tabs.addTab(compare, self.tr("Compare"))
        self._on_compared()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.results_view)
        splitter.addWidget(self.tabs)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a theme switch: the charts' colours
            self.speed_chart.redraw()
            self.history_chart.redraw()

    @Slot()
    def _on_compared(self) -> None:
        runs = self.compare_model.runs()
        if runs is None:
            self.compare_caption.setText(self.tr("Select two runs in the table to compare them."))
            return
        before, after = runs
        self.compare_caption.setText(self.tr("A: {run_a}\nB: {run_b}").format(
            run_a=run_description(before), run_b=run_description(after)))
