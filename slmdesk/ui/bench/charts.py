"""QtCharts views of benchmark results: grouped pp/tg bars with ±stdev error bars, and history lines.

Error bars: QtCharts has no error-bar series, so each bar gets an "I"-shaped QLineSeries (stem
from mean - stdev to mean + stdev, with caps) on the same QBarCategoryAxis as the bars. An XY
series on a category axis puts category ``i`` at x = ``i`` (Qt's "lineandbar" example), and
QtCharts lays bar ``j`` of ``n`` sets out at ``i - w/2 + (j + 0.5) * w / n`` with ``w`` the
series' bar width (``BarChartItem::calculateLayout``), so each stem sits on its bar's centre.
A QBoxPlotSeries or QCandlestickSeries could not be placed beside each other within a group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QWidget

from slmdesk.bench.results import BenchResult
from slmdesk.ui.palette import colour

ERROR_BAR_PEN_WIDTH = 1.5


@dataclass(frozen=True)
class ErrorBar:
    """One drawn error bar: bar set ("pp"/"tg"), category index, x of the stem, low and high."""

    kind: str
    category: int
    x: float
    low: float
    high: float


def short_label(result: BenchResult) -> str:
    """A compact category name: ``"SmolLM2 135M Instruct Q4_1 · llama.cpp · 2 t"`` (QtCharts
    elides what does not fit under a bar group)."""
    name = result.model_name if len(result.model_name) <= 22 else result.model_name[:21] + "…"
    quant = f" {result.quantization}" if result.quantization else ""
    backend = "ONNX" if result.backend == "onnxruntime-genai" else result.backend
    return f"{name}{quant} · {backend} · {result.n_threads} t"


def _clear(chart: QChart) -> None:
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
        axis.deleteLater()


class SpeedChartView(QChartView):
    """Grouped bars of pp and tg tokens/s, one group per result, with ±stdev error bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Speed (tokens/s, mean ± standard deviation)")
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        self.error_bars: list[ErrorBar] = []
        self.categories: list[str] = []
        self.bar_values: dict[str, list[float]] = {}

    def set_results(self, results: Sequence[BenchResult]) -> None:
        """Show ``results`` (one group each, in order); an empty list clears the chart."""
        chart = self.chart()
        _clear(chart)
        self.error_bars = []
        self.categories = [short_label(r) for r in results]
        self.bar_values = {"pp": [], "tg": []}
        if not results:
            return
        series = QBarSeries()
        sets = []
        for kind in ("pp", "tg"):
            bar_set = QBarSet(f"{kind} t/s")
            bar_set.setColor(colour(f"chart.{kind}"))
            for result in results:
                stat = result.pp if kind == "pp" else result.tg
                value = stat.mean if stat else 0.0  # a skipped test draws no bar
                bar_set.append(value)
                self.bar_values[kind].append(value)
            series.append(bar_set)
            sets.append(kind)
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append(self.categories)
        axis_y = QValueAxis()
        axis_y.setTitleText("tokens/s")
        axis_y.setLabelFormat("%.0f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)

        width = series.barWidth()
        n_sets = len(sets)
        cap = 0.25 * width / n_sets
        top = 0.0
        pen = QPen(colour("chart.error_bar"))
        pen.setWidthF(ERROR_BAR_PEN_WIDTH)
        for j, kind in enumerate(sets):
            for i, result in enumerate(results):
                stat = result.pp if kind == "pp" else result.tg
                if stat is None:
                    continue
                low, high = max(0.0, stat.mean - stat.stdev), stat.mean + stat.stdev
                top = max(top, high)
                if stat.stdev <= 0:
                    continue
                x = i - width / 2 + (j + 0.5) * width / n_sets
                line = QLineSeries()
                line.setName(f"{kind} ± stdev")
                line.setPen(pen)
                for px, py in ((x - cap, low), (x + cap, low), (x, low), (x, high), (x - cap, high), (x + cap, high)):
                    line.append(QPointF(px, py))
                chart.addSeries(line)
                line.attachAxis(axis_x)
                line.attachAxis(axis_y)
                for marker in chart.legend().markers(line):
                    marker.setVisible(False)
                self.error_bars.append(ErrorBar(kind, i, x, low, high))
        axis_y.setRange(0.0, max(top, 1.0) * 1.12)
        axis_y.applyNiceNumbers()


class HistoryChartView(QChartView):
    """One line per model and configuration over time, for one figure (tg, pp or TTFT)."""

    METRICS: ClassVar[dict[str, str]] = {"tg": "tg tokens/s", "pp": "pp tokens/s", "ttft": "TTFT seconds"}

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        self.lines: dict[str, list[tuple[datetime, float]]] = {}

    @staticmethod
    def _value(result: BenchResult, metric: str) -> float | None:
        stat = {"tg": result.tg, "pp": result.pp, "ttft": result.ttft}[metric]
        return stat.mean if stat else None

    def set_results(self, results: Sequence[BenchResult], metric: str = "tg") -> None:
        """Plot ``metric`` of every result over time, one line per (model, backend, threads).

        Raises:
            KeyError: an unknown metric.
        """
        title = self.METRICS[metric]
        chart = self.chart()
        chart.setTitle(f"History: {title}")
        _clear(chart)
        groups: dict[tuple[object, str, int], list[BenchResult]] = {}
        for result in results:
            key = (result.artifact_id if result.artifact_id is not None else result.model_path, result.backend,
                   result.n_threads)
            groups.setdefault(key, []).append(result)
        self.lines = {}
        points_all: list[tuple[datetime, float]] = []
        for members in groups.values():
            members.sort(key=lambda r: r.created_at)
            points = [(r.created_at, v) for r in members if (v := self._value(r, metric)) is not None]
            if not points:
                continue
            name = short_label(members[-1])
            self.lines[name] = points
            points_all.extend(points)
        if not points_all:
            return
        axis_x = QDateTimeAxis()
        axis_x.setFormat("dd MMM HH:mm")
        axis_x.setTitleText("run time")
        axis_y = QValueAxis()
        axis_y.setTitleText(title)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for name, points in self.lines.items():
            line = QLineSeries()
            line.setName(name)
            line.setPointsVisible(True)
            for when, value in points:
                line.append(QPointF(float(when.timestamp() * 1000.0), value))
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)
        first = min(p[0] for p in points_all).timestamp()
        last = max(p[0] for p in points_all).timestamp()
        if last - first < 60:  # a single moment: widen so the points are not on the frame
            first, last = first - 1800, last + 1800
        pad = (last - first) * 0.05
        axis_x.setRange(QDateTime.fromMSecsSinceEpoch(int((first - pad) * 1000)),
                        QDateTime.fromMSecsSinceEpoch(int((last + pad) * 1000)))
        top = max(p[1] for p in points_all)
        axis_y.setRange(0.0, max(top, 1e-3) * 1.15)
        axis_y.applyNiceNumbers()
