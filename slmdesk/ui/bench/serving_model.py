"""Qt item model of serving-benchmark runs: one row per run (concurrency level), newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from slmdesk.bench.serving import ServingRun
from slmdesk.bench.serving_stats import Distribution
from slmdesk.ui.bench.model import ResultRole, SortRole
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_datetime, format_number
from slmdesk.ui.widgets.table_model import ColumnTableModel


def _ms(dist: Distribution | None, stat: str) -> str:
    return "–" if dist is None else format_number(getattr(dist, stat) * 1000, 1)


class ServingRunsModel(ColumnTableModel):
    """Serving runs: when, endpoint, model, concurrency, rate, throughputs, latency percentiles
    (ms), errors. ``SortRole`` gives numbers, ``ResultRole`` the :class:`ServingRun`."""

    TRANSLATION_CONTEXT = "ServingRunsModel"
    COLUMNS = (
        QT_TRANSLATE_NOOP("ServingRunsModel", "When"), QT_TRANSLATE_NOOP("ServingRunsModel", "Model"),
        QT_TRANSLATE_NOOP("ServingRunsModel", "Conc."), QT_TRANSLATE_NOOP("ServingRunsModel", "Rate"),
        QT_TRANSLATE_NOOP("ServingRunsModel", "OK / failed"), QT_TRANSLATE_NOOP("ServingRunsModel", "Output tok/s"),
        QT_TRANSLATE_NOOP("ServingRunsModel", "Req/s"), QT_TRANSLATE_NOOP("ServingRunsModel", "TTFT p50 ms"),
        QT_TRANSLATE_NOOP("ServingRunsModel", "TTFT p99 ms"), QT_TRANSLATE_NOOP("ServingRunsModel", "TPOT p50 ms"),
        QT_TRANSLATE_NOOP("ServingRunsModel", "ITL p50 ms"), QT_TRANSLATE_NOOP("ServingRunsModel", "ITL p99 ms"),
        QT_TRANSLATE_NOOP("ServingRunsModel", "E2E p50 ms"), QT_TRANSLATE_NOOP("ServingRunsModel", "Endpoint"),
    )
    (COL_WHEN, COL_MODEL, COL_CONC, COL_RATE, COL_OK, COL_OUT, COL_REQ, COL_TTFT50, COL_TTFT99, COL_TPOT50,
     COL_ITL50, COL_ITL99, COL_E2E50, COL_ENDPOINT) = range(14)
    _FIGURES: ClassVar[dict[int, tuple[str, str]]] = {
        COL_TTFT50: ("ttft", "p50"), COL_TTFT99: ("ttft", "p99"), COL_TPOT50: ("tpot", "p50"),
        COL_ITL50: ("itl", "p50"), COL_ITL99: ("itl", "p99"), COL_E2E50: ("e2el", "p50")}

    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_CONC: QT_TRANSLATE_NOOP("ServingRunsModel", "Concurrency: requests in flight at once"),
        COL_RATE: QT_TRANSLATE_NOOP("ServingRunsModel", "Request rate per second (inf: all at once)"),
        COL_OUT: QT_TRANSLATE_NOOP("ServingRunsModel", "Output tokens per second"),
        COL_REQ: QT_TRANSLATE_NOOP("ServingRunsModel", "Completed requests per second"),
        COL_TTFT50: QT_TRANSLATE_NOOP("ServingRunsModel", "Time to first token, median"),
        COL_TTFT99: QT_TRANSLATE_NOOP("ServingRunsModel", "Time to first token, 99th percentile"),
        COL_TPOT50: QT_TRANSLATE_NOOP("ServingRunsModel", "Time per output token, median"),
        COL_ITL50: QT_TRANSLATE_NOOP("ServingRunsModel", "Inter-token latency, median"),
        COL_ITL99: QT_TRANSLATE_NOOP("ServingRunsModel", "Inter-token latency, 99th percentile"),
        COL_E2E50: QT_TRANSLATE_NOOP("ServingRunsModel", "End-to-end request latency, median"),
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runs: list[ServingRun] = []

    def set_runs(self, runs: Sequence[ServingRun]) -> None:
        """Replace every row (newest first)."""
        self.beginResetModel()
        self._runs = sorted(runs, key=lambda r: r.created_at, reverse=True)
        self.endResetModel()

    def add_runs(self, runs: Sequence[ServingRun]) -> None:
        """Insert new runs at the top."""
        if not runs:
            return
        fresh = sorted(runs, key=lambda r: r.created_at, reverse=True)
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._runs[0:0] = fresh
        self.endInsertRows()

    def runs(self) -> list[ServingRun]:
        """Every run, newest first."""
        return list(self._runs)

    def row_count(self) -> int:
        return len(self._runs)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._runs):
            return None
        run = self._runs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(run, column)
        if role == SortRole:
            return self._sort_key(run, column)
        if role == ResultRole:
            return run
        if role == Qt.ItemDataRole.TextAlignmentRole and self.COL_CONC <= column < self.COL_ENDPOINT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_OK and run.metrics.errors:
            return "\n".join(run.metrics.errors)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.COL_ENDPOINT:
            return "\n".join((run.settings.lengths_label, *run.notes))
        return None

    def _display(self, run: ServingRun, column: int) -> str:
        m = run.metrics
        if column == self.COL_WHEN:
            return format_datetime(run.created_at)
        if column == self.COL_MODEL:
            return run.settings.model
        if column == self.COL_CONC:
            return format_number(run.concurrency)
        if column == self.COL_RATE:
            return run.settings.rate_label
        if column == self.COL_OK:
            return f"{format_number(m.completed)} / {format_number(m.failed)}"
        if column == self.COL_OUT:
            return format_number(m.output_throughput, 1)
        if column == self.COL_REQ:
            return format_number(m.request_throughput, 2)
        if column in self._FIGURES:
            figure, stat = self._FIGURES[column]
            return _ms(getattr(m, figure), stat)
        if column == self.COL_ENDPOINT:
            return f"{run.settings.base_url} ({run.settings.endpoint})"
        return ""

    def _sort_key(self, run: ServingRun, column: int) -> object:
        m = run.metrics
        if column == self.COL_WHEN:
            return run.created_at.timestamp()
        if column == self.COL_CONC:
            return float(run.concurrency)
        if column == self.COL_RATE:
            return run.settings.request_rate
        if column == self.COL_OK:
            return float(m.failed)
        if column == self.COL_OUT:
            return m.output_throughput
        if column == self.COL_REQ:
            return m.request_throughput
        if column in self._FIGURES:
            figure, stat = self._FIGURES[column]
            dist = getattr(m, figure)
            return getattr(dist, stat) if dist else float("inf")
        return self._display(run, column)
