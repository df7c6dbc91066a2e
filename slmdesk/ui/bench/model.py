"""Qt item models of the Benchmark pane: stored results, and the comparison of two runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from slmdesk.bench.results import BenchResult, Delta, compare
from slmdesk.bench.stats import format_stat
from slmdesk.core.units import format_bytes
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

SortRole = Qt.ItemDataRole.UserRole + 1
ResultRole = Qt.ItemDataRole.UserRole + 2

NOT_AVAILABLE = "not available"


class ResultsTableModel(ColumnTableModel):
    """One row per stored benchmark result, newest first.

    ``SortRole`` gives numbers (and datetimes) for sorting through a proxy; ``ResultRole``
    the :class:`BenchResult`. Missing figures read "–"; energy reads "not available", never 0.
    """

    # The measured figures come first, so they are on screen without scrolling.
    COLUMNS = ("When", "Model", "pp t/s", "tg t/s", "tg bound (fit)", "Test", "Quant", "Threads", "TTFT s",
               "Load s", "Peak memory", "Energy J/token", "Backend", "Runs on")
    (COL_WHEN, COL_MODEL, COL_PP, COL_TG, COL_BOUND, COL_TEST, COL_QUANT, COL_THREADS, COL_TTFT, COL_LOAD,
     COL_MEMORY, COL_ENERGY, COL_BACKEND, COL_RUNTIME) = range(14)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_BOUND: "The fit estimate's upper bound on generation speed (memory bandwidth / bytes read per token)",
        COL_RUNTIME: "The llama.cpp CPU variant chosen at run time and whether weights were repacked",
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._results: list[BenchResult] = []

    # -- content ---------------------------------------------------------------------------
    def set_results(self, results: Sequence[BenchResult]) -> None:
        """Replace every row (newest first)."""
        self.beginResetModel()
        self._results = sorted(results, key=lambda r: r.created_at, reverse=True)
        self.endResetModel()

    def add_results(self, results: Sequence[BenchResult]) -> None:
        """Insert new results at the top."""
        if not results:
            return
        fresh = sorted(results, key=lambda r: r.created_at, reverse=True)
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._results[0:0] = fresh
        self.endInsertRows()

    def remove_result(self, run_id: int) -> None:
        """Drop the row of a deleted run."""
        for row, result in enumerate(self._results):
            if result.id == run_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._results[row]
                self.endRemoveRows()
                return

    def result(self, row: int) -> BenchResult:
        """The result shown in ``row`` (source model row)."""
        return self._results[row]

    def results(self) -> list[BenchResult]:
        """Every result, newest first."""
        return list(self._results)

    # -- Qt model API ----------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self._results)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._results):
            return None
        result = self._results[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(result, column)
        if role == SortRole:
            return self._sort_key(result, column)
        if role == ResultRole:
            return result
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= self.COL_THREADS and column != self.COL_TEST:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_ENERGY and result.energy_j_per_token is None:
                return result.energy_note or "Energy counters are not readable here."
            if column == self.COL_MODEL:
                return f"{result.model_path}\nSHA-256 {result.model_sha256 or 'unknown'}\n{result.hardware_name}"
            if column == self.COL_RUNTIME and result.runtime:
                notes = "\n".join(str(note) for note in result.runtime.get("notes") or ())
                return result.runtime_summary + (f"\n{notes}" if notes else "")
            if column == self.COL_BOUND and result.tg is not None and result.fit_tg_bound:
                return f"measured tg is {result.tg.mean / result.fit_tg_bound * 100:.0f}% of the bound"
        return None

    def _display(self, r: BenchResult, column: int) -> str:
        if column == self.COL_WHEN:
            return r.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        if column == self.COL_MODEL:
            return r.model_name
        if column == self.COL_QUANT:
            return r.quantization or "–"
        if column == self.COL_BACKEND:
            return f"{r.backend} {r.backend_version}"
        if column == self.COL_THREADS:
            return str(r.n_threads)
        if column == self.COL_TEST:
            return f"{r.settings.test_label} ×{r.settings.repetitions}"
        if column == self.COL_PP:
            return format_stat(r.pp)
        if column == self.COL_TG:
            return format_stat(r.tg)
        if column == self.COL_BOUND:
            return "–" if r.fit_tg_bound is None else f"≤ {r.fit_tg_bound:.1f}"
        if column == self.COL_TTFT:
            return format_stat(r.ttft, 3)
        if column == self.COL_LOAD:
            return f"{r.load_s:.2f}"
        if column == self.COL_MEMORY:
            return format_bytes(r.peak_rss_bytes)
        if column == self.COL_ENERGY:
            return NOT_AVAILABLE if r.energy_j_per_token is None else f"{r.energy_j_per_token:.4f}"
        if column == self.COL_RUNTIME:
            return runs_on(r)
        return ""

    def _sort_key(self, r: BenchResult, column: int) -> object:
        numbers = {
            self.COL_WHEN: r.created_at.timestamp(),
            self.COL_THREADS: float(r.n_threads),
            self.COL_PP: r.pp.mean if r.pp else -1.0,
            self.COL_TG: r.tg.mean if r.tg else -1.0,
            self.COL_BOUND: r.fit_tg_bound if r.fit_tg_bound is not None else -1.0,
            self.COL_TTFT: r.ttft.mean if r.ttft else float("inf"),
            self.COL_LOAD: r.load_s,
            self.COL_MEMORY: float(r.peak_rss_bytes),
            self.COL_ENERGY: r.energy_j_per_token if r.energy_j_per_token is not None else float("inf"),
        }
        return numbers.get(column, self._display(r, column))


def runs_on(result: BenchResult) -> str:
    """The results table's "Runs on" cell: ``"CPU zen4, repack on"``; ``"CPU"`` for ONNX
    Runtime; "–" for runs stored before slmdesk recorded it."""
    runtime = result.runtime
    if not runtime:
        return "–"
    parts = [f"CPU {runtime.get('cpu_variant')}" if runtime.get("cpu_variant") else "CPU"]
    gpus = runtime.get("gpu_backends") or ()
    if gpus:
        parts.append("+ " + ", ".join(str(g) for g in gpus))
    if str(runtime.get("engine", "")).startswith("llama.cpp"):
        parts.append(f"repack {'on' if runtime.get('repack', True) else 'off'}")
    return ", ".join(parts)


def _short(result: BenchResult) -> str:
    backend = "ONNX" if result.backend == "onnxruntime-genai" else result.backend
    return " ".join(p for p in (result.quantization or "", backend, f"{result.n_threads} t") if p)


class CompareTableModel(ColumnTableModel):
    """Two runs side by side: one row per figure with both values and the change in percent."""

    COLUMNS = ("Figure", "Run A", "Run B", "Change")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deltas: list[Delta] = []
        self._names = ("Run A", "Run B")
        self._tooltips = ("", "")

    def set_runs(self, before: BenchResult | None, after: BenchResult | None) -> None:
        """Compare ``before`` (A) with ``after`` (B); None clears the table."""
        self.beginResetModel()
        if before is None or after is None:
            self._deltas = []
            self._names = ("Run A", "Run B")
            self._tooltips = ("", "")
        else:
            self._deltas = compare(before, after)
            self._names = (f"A: run {before.id} ({_short(before)})", f"B: run {after.id} ({_short(after)})")
            self._tooltips = (before.label, after.label)
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 1, 2)

    def deltas(self) -> list[Delta]:
        """The figures shown, in order."""
        return list(self._deltas)

    def row_count(self) -> int:
        return len(self._deltas)

    def header_text(self, section: int) -> str:
        return self._names[section - 1] if section in (1, 2) else self.COLUMNS[section]

    def header_tooltip(self, section: int) -> str | None:
        return (self._tooltips[section - 1] or None) if section in (1, 2) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._deltas):
            return None
        delta = self._deltas[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return delta.metric
            if column in (1, 2):
                value = delta.before if column == 1 else delta.after
                if value is None:
                    return NOT_AVAILABLE if "energy" in delta.metric else "–"
                if "bytes" in delta.metric:
                    return format_bytes(value)
                return (
                    f"{value:.4f}"
                    if "energy" in delta.metric
                    else f"{value:.3f}"
                    if " s" in delta.metric
                    else f"{value:.1f}"
                )
            if column == 3:
                return "–" if delta.delta_pct is None else f"{delta.delta_pct:+.1f}%"
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and delta.improved is not None:
            return colour("verdict.good") if delta.improved else colour("verdict.bad")
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and delta.improved is not None:
            return "better" if delta.improved else "worse"
        return None
