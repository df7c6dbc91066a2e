"""Qt item models of the Benchmark pane: stored results, and the comparison of two runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from slmdesk.bench.results import BenchResult, Delta, compare
from slmdesk.bench.stats import Stat
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_datetime, format_number, format_percent
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

SortRole = Qt.ItemDataRole.UserRole + 1
ResultRole = Qt.ItemDataRole.UserRole + 2


NOT_AVAILABLE = QT_TRANSLATE_NOOP("BenchModels", "not available")
"""Shown for a figure this machine cannot measure (energy), never 0 (translated where shown)."""


def not_available() -> str:
    """:data:`NOT_AVAILABLE` in the interface language."""
    return QCoreApplication.translate("BenchModels", NOT_AVAILABLE)


def format_stat(stat: Stat | None, digits: int = 1) -> str:
    """``"77.1 ± 1.2"`` in the interface's locale with ``digits`` decimals; "–" when the figure
    was not measured (:func:`slmdesk.bench.stats.format_stat` for people)."""
    if stat is None:
        return "–"
    return f"{format_number(stat.mean, digits)} ± {format_number(stat.stdev, digits)}"


class ResultsTableModel(ColumnTableModel):
    """One row per stored benchmark result, newest first.

    ``SortRole`` gives numbers (and datetimes) for sorting through a proxy; ``ResultRole``
    the :class:`BenchResult`. Missing figures read "–"; energy reads "not available", never 0.
    """

    # The measured figures come first, so they are on screen without scrolling.
    TRANSLATION_CONTEXT = "ResultsTableModel"
    COLUMNS = (
        QT_TRANSLATE_NOOP("ResultsTableModel", "When"), QT_TRANSLATE_NOOP("ResultsTableModel", "Model"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "pp t/s"), QT_TRANSLATE_NOOP("ResultsTableModel", "tg t/s"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "tg bound (fit)"), QT_TRANSLATE_NOOP("ResultsTableModel", "Test"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "Quant"), QT_TRANSLATE_NOOP("ResultsTableModel", "Threads"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "TTFT s"), QT_TRANSLATE_NOOP("ResultsTableModel", "Load s"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "Peak memory"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "Energy J/token"), QT_TRANSLATE_NOOP("ResultsTableModel", "Backend"),
        QT_TRANSLATE_NOOP("ResultsTableModel", "Runs on"),
    )
    (COL_WHEN, COL_MODEL, COL_PP, COL_TG, COL_BOUND, COL_TEST, COL_QUANT, COL_THREADS, COL_TTFT, COL_LOAD,
     COL_MEMORY, COL_ENERGY, COL_BACKEND, COL_RUNTIME) = range(14)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_PP: QT_TRANSLATE_NOOP("ResultsTableModel", "Prompt processing speed in tokens per second (mean ± "
                                  "standard deviation)"),
        COL_TG: QT_TRANSLATE_NOOP("ResultsTableModel", "Token generation speed in tokens per second (mean ± "
                                  "standard deviation)"),
        COL_BOUND: QT_TRANSLATE_NOOP("ResultsTableModel", "The fit estimate's upper bound on generation speed "
                                     "(memory bandwidth / bytes read per token)"),
        COL_TTFT: QT_TRANSLATE_NOOP("ResultsTableModel", "Time to first token of a chat prompt, in seconds"),
        COL_LOAD: QT_TRANSLATE_NOOP("ResultsTableModel", "Time to load the model, in seconds"),
        COL_MEMORY: QT_TRANSLATE_NOOP("ResultsTableModel", "The most memory the engine process used (peak RSS)"),
        COL_RUNTIME: QT_TRANSLATE_NOOP("ResultsTableModel", "The llama.cpp CPU variant chosen at run time and "
                                       "whether weights were repacked"),
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
            return self._tooltip(result, column)
        return None

    def _tooltip(self, result: BenchResult, column: int) -> str | None:
        if column == self.COL_ENERGY and result.energy_j_per_token is None:
            return result.energy_note or self.tr("Energy counters are not readable here.")
        if column == self.COL_MODEL:
            return self.tr("{path}\nSHA-256 {sha256}\n{hardware}").format(
                path=result.model_path, sha256=result.model_sha256 or self.tr("unknown"),
                hardware=result.hardware_name)
        if column == self.COL_RUNTIME and result.runtime:
            notes = "\n".join(str(note) for note in result.runtime.get("notes") or ())
            return result.runtime_summary + (f"\n{notes}" if notes else "")
        if column == self.COL_BOUND and result.tg is not None and result.fit_tg_bound:
            return self.tr("Measured tg is {share} of the bound").format(
                share=format_percent(result.tg.mean / result.fit_tg_bound * 100))
        return None

    def _display(self, r: BenchResult, column: int) -> str:
        if column == self.COL_WHEN:
            return format_datetime(r.created_at)
        if column == self.COL_MODEL:
            return r.model_name
        if column == self.COL_QUANT:
            return r.quantization or "–"
        if column == self.COL_BACKEND:
            return f"{r.backend} {r.backend_version}"
        if column == self.COL_THREADS:
            return format_number(r.n_threads)
        if column == self.COL_TEST:
            return f"{r.settings.test_label} ×{r.settings.repetitions}"
        if column == self.COL_PP:
            return format_stat(r.pp)
        if column == self.COL_TG:
            return format_stat(r.tg)
        if column == self.COL_BOUND:
            return "–" if r.fit_tg_bound is None else f"≤ {format_number(r.fit_tg_bound, 1)}"
        if column == self.COL_TTFT:
            return format_stat(r.ttft, 3)
        if column == self.COL_LOAD:
            return format_number(r.load_s, 2)
        if column == self.COL_MEMORY:
            return format_bytes(r.peak_rss_bytes)
        if column == self.COL_ENERGY:
            return not_available() if r.energy_j_per_token is None else format_number(r.energy_j_per_token, 4)
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
    variant = runtime.get("cpu_variant")
    parts = [f"CPU {variant}" if variant else "CPU"]
    gpus = runtime.get("gpu_backends") or ()
    if gpus:
        parts.append("+ " + ", ".join(str(g) for g in gpus))
    if str(runtime.get("engine", "")).startswith("llama.cpp"):
        parts.append(QCoreApplication.translate("BenchModels", "repack on") if runtime.get("repack", True)
                     else QCoreApplication.translate("BenchModels", "repack off"))
    return ", ".join(parts)


def backend_name(result: BenchResult) -> str:
    """The engine as a short name: ``"llama.cpp"``, ``"ONNX"``."""
    return "ONNX" if result.backend == "onnxruntime-genai" else result.backend


def run_name(result: BenchResult) -> str:
    """A run as people tell runs apart: ``"SmolLM2 135M Instruct Q4_1"`` (model and quantization)."""
    return " ".join(p for p in (result.model_name, result.quantization or "") if p)


def run_description(result: BenchResult) -> str:
    """Everything that names a run: ``"SmolLM2 135M Instruct Q4_1 · llama.cpp · threads: 2 ·
    pp128 / tg32 · 2026-12-02 04:25 (run 6)"``."""
    threads = QCoreApplication.translate("BenchModels", "threads: {count}").format(count=result.n_threads)
    run = (QCoreApplication.translate("BenchModels", "run {id}").format(id=result.id)
           if result.id is not None else "")
    when = format_datetime(result.created_at)
    return " · ".join(p for p in (run_name(result), backend_name(result), threads, result.settings.test_label,
                                  f"{when} ({run})" if run else when) if p)


METRIC_LABELS: dict[str, str] = {
    "pp tokens/s": QT_TRANSLATE_NOOP("CompareTableModel", "Prompt processing (pp), tokens/s"),
    "tg tokens/s": QT_TRANSLATE_NOOP("CompareTableModel", "Generation (tg), tokens/s"),
    "TTFT s": QT_TRANSLATE_NOOP("CompareTableModel", "Time to first token (TTFT), s"),
    "load s": QT_TRANSLATE_NOOP("CompareTableModel", "Load time, s"),
    "peak memory bytes": QT_TRANSLATE_NOOP("CompareTableModel", "Peak memory"),
    "energy J/token": QT_TRANSLATE_NOOP("CompareTableModel", "Energy, J/token"),
}
"""The compared figures' names (:func:`slmdesk.bench.results.compare`'s metric keys) as the
Compare table shows them; the values of "peak memory bytes" are shown as a size (MiB, GiB)."""


class CompareTableModel(ColumnTableModel):
    """Two runs side by side: one row per figure with both values and the change in percent.
    The value columns' headers name each run's model and quantization ("A: SmolLM2 Q4_1"),
    with the full description (engine, threads, test, time) in their tooltips."""

    TRANSLATION_CONTEXT = "CompareTableModel"
    COLUMNS = (
        QT_TRANSLATE_NOOP("CompareTableModel", "Figure"), QT_TRANSLATE_NOOP("CompareTableModel", "Run A"),
        QT_TRANSLATE_NOOP("CompareTableModel", "Run B"), QT_TRANSLATE_NOOP("CompareTableModel", "Change"),
    )

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deltas: list[Delta] = []
        self._runs: tuple[BenchResult, BenchResult] | None = None

    def set_runs(self, before: BenchResult | None, after: BenchResult | None) -> None:
        """Compare ``before`` (A) with ``after`` (B); None clears the table."""
        self.beginResetModel()
        if before is None or after is None:
            self._deltas = []
            self._runs = None
        else:
            self._deltas = compare(before, after)
            self._runs = (before, after)
        self.endResetModel()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 1, 2)

    def runs(self) -> tuple[BenchResult, BenchResult] | None:
        """The compared runs (A, B), None when the table is empty."""
        return self._runs

    def run_header(self, which: int) -> str:
        """The header of run A (``which`` 0) or B (1): ``"A: SmolLM2 135M Instruct Q4_1"``."""
        if self._runs is None:
            return self.header_text(which + 1)
        result = self._runs[which]
        text = self.tr("A: {name}") if which == 0 else self.tr("B: {name}")
        return text.format(name=run_name(result))

    def deltas(self) -> list[Delta]:
        """The figures shown, in order."""
        return list(self._deltas)

    def row_count(self) -> int:
        return len(self._deltas)

    def header_text(self, section: int) -> str:
        if section in (1, 2) and self._runs is not None:
            return self.run_header(section - 1)
        return super().header_text(section)

    def header_tooltip(self, section: int) -> str | None:
        if section in (1, 2) and self._runs is not None:
            return run_description(self._runs[section - 1])
        return super().header_tooltip(section)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._deltas):
            return None
        delta = self._deltas[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(delta, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and delta.improved is not None:
            return colour("verdict.good") if delta.improved else colour("verdict.bad")
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and delta.improved is not None:
            return self.tr("better") if delta.improved else self.tr("worse")
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return delta.metric
        return None

    def _display(self, delta: Delta, column: int) -> str | None:
        if column == 0:
            label = METRIC_LABELS.get(delta.metric)
            return QCoreApplication.translate("CompareTableModel", label) if label else delta.metric
        if column in (1, 2):
            value = delta.before if column == 1 else delta.after
            if value is None:
                return not_available() if "energy" in delta.metric else "–"
            if "bytes" in delta.metric:
                return format_bytes(value)
            decimals = 4 if "energy" in delta.metric else 3 if " s" in delta.metric else 1
            return format_number(value, decimals)
        if column == 3:
            return "–" if delta.delta_pct is None else format_percent(delta.delta_pct, 1, signed=True)
        return None
