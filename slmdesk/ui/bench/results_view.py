"""The Benchmark pane's right side: the results table, its buttons, and the speed, history and
comparison views."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
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

from slmdesk.ui.bench.charts import HistoryChartView, SpeedChartView
from slmdesk.ui.bench.model import CompareTableModel, ResultsTableModel, SortRole


class BenchResultsView(QWidget):
    """Every stored run (sortable; select rows to chart, two to compare, any to export or
    delete), the speed chart, the history chart and the comparison of two runs. The pane
    connects the buttons and the selection; this part only builds and lays out the views."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results_model = ResultsTableModel(self)
        self.results_proxy = QSortFilterProxyModel(self)
        self.results_proxy.setSourceModel(self.results_model)
        self.results_proxy.setSortRole(SortRole)
        self.results_view = QTableView(self)
        self.results_view.setModel(self.results_proxy)
        self.results_view.setAccessibleName("Benchmark results")
        self.results_view.setSortingEnabled(True)
        self.results_view.sortByColumn(ResultsTableModel.COL_WHEN, Qt.SortOrder.DescendingOrder)
        self.results_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.results_view.verticalHeader().hide()
        self.results_view.setWordWrap(False)
        self.results_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.results_view.setColumnWidth(ResultsTableModel.COL_WHEN, 115)
        self.results_view.setColumnWidth(ResultsTableModel.COL_MODEL, 170)

        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setToolTip("Select two runs to compare them (change in %)")
        self.export_button = QPushButton("Export…", self)
        self.export_button.setToolTip(
            "Export the selected runs (all runs if none is selected) as CSV, JSON or Markdown"
        )
        self.delete_button = QPushButton("Delete runs", self)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Results", self))
        buttons.addStretch(1)
        for button in (self.compare_button, self.export_button, self.delete_button):
            buttons.addWidget(button)

        self.speed_chart = SpeedChartView(self)
        self.history_chart = HistoryChartView(self)
        self.history_metric = QComboBox(self)
        for key, text in HistoryChartView.METRICS.items():
            self.history_metric.addItem(text, key)
        self.history_metric.setAccessibleName("History figure")
        history = QWidget(self)
        history_layout = QVBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(self.history_metric, 0, Qt.AlignmentFlag.AlignLeft)
        history_layout.addWidget(self.history_chart, 1)
        self.compare_model = CompareTableModel(self)
        self.compare_view = QTableView(self)
        self.compare_view.setModel(self.compare_model)
        self.compare_view.setAccessibleName("Comparison of two runs")
        self.compare_view.verticalHeader().hide()
        self.compare_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.speed_chart, "Speed")
        self.tabs.addTab(history, "History")
        self.tabs.addTab(self.compare_view, "Compare")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.results_view)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter)
