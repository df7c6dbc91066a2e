"""QtCharts views of benchmark results: grouped pp/tg bars with ±stdev error bars, and history lines.

Error bars: QtCharts has no error-bar series, so each bar gets an "I"-shaped QLineSeries (stem
from mean - stdev to mean + stdev, with caps) on the same QBarCategoryAxis as the bars. An XY
series on a category axis puts category ``i`` at x = ``i`` (Qt's "lineandbar" example), and
QtCharts lays bar ``j`` of ``n`` sets out at ``i - w/2 + (j + 0.5) * w / n`` with ``w`` the
series' bar width (``BarChartItem::calculateLayout``), so each stem sits on its bar's centre.
A QBoxPlotSeries or QCandlestickSeries could not be placed beside each other within a group.

Names: QtCharts cuts category labels and legend entries to the space under a bar group
("SmolLM2 1…"), whatever their angle, so the bar groups are numbered and a :class:`ChartKey`
label under the chart names them in full (it word-wraps); the history chart's key names its
lines the same way. Colours come from :mod:`slmdesk.ui.palette` and are re-applied when the
palette changes (a theme switch).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QDateTime, QPointF, Qt
from PySide6.QtGui import QColor, QPen, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from slmdesk.bench.results import BenchResult
from slmdesk.ui.bench.model import backend_name
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.charts import ThemedChartView, clear_chart

ERROR_BAR_PEN_WIDTH = 1.5
DATE_LABEL_WIDTH = 120
"""Pixels a history-axis date label ("30 Nov 04:25") needs, ticks are spaced by at least this."""


@dataclass(frozen=True)
class ErrorBar:
    """One drawn error bar: bar set ("pp"/"tg"), category index, x of the stem, low and high."""

    kind: str
    category: int
    x: float
    low: float
    high: float


def short_label(result: BenchResult) -> str:
    """The name of a run's group or line: ``"SmolLM2 135M Instruct Q4_1 · llama.cpp · 2 t"``."""
    quant = f" {result.quantization}" if result.quantization else ""
    threads = QCoreApplication.translate("BenchCharts", "{count} t", "threads, abbreviated").format(
        count=result.n_threads)
    return f"{result.model_name}{quant} · {backend_name(result)} · {threads}"


class ChartKey(QLabel):
    """The names under a chart, one per line, each after its number or its line's colour;
    word-wrapped, never cut. The chart view that owns it fills it; its parent lays it out."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.entries: list[tuple[str, str]] = []
        """(marker, name) as shown: the group number, or "●" for a line."""
        self._colours: list[QColor | None] = []

    def set_entries(self, entries: Sequence[tuple[str, str, QColor | None]]) -> None:
        """Show ``(marker, name, colour of the marker or None)`` entries; none hides the key."""
        self.entries = [(marker, name) for marker, name, _ in entries]
        self._colours = [c for _, _, c in entries]
        self._render()

    def _render(self) -> None:
        lines = []
        for (marker, name), tint in zip(self.entries, self._colours, strict=True):
            if not marker:
                lines.append(html.escape(name))
                continue
            mark = html.escape(marker)
            mark = f'<span style="color:{tint.name()}">{mark}</span>' if tint is not None else f"<b>{mark}</b>"
            lines.append(f"{mark}&nbsp;{html.escape(name)}")
        self.setText("<br>".join(lines))
        self.setVisible(bool(lines))


class KeyedChartView(ThemedChartView):
    """A themed chart view whose groups or lines are named in a :class:`ChartKey` (the key
    label reads them out: the view itself takes no keyboard focus). The widget that holds it
    calls :meth:`redraw` on its ``PaletteChange``."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.key = ChartKey(parent)
        """The label naming the groups or lines; the owner of this view lays it out below it."""


class SpeedChartView(KeyedChartView):
    """Grouped bars of pp and tg tokens/s, one group per result, with ±stdev error bars. The
    groups are numbered 1, 2, …; :attr:`key` names them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Speed (tokens/s, mean ± standard deviation)"), parent)
        self.setMinimumHeight(240)
        self.setAccessibleName(self.tr("Speed chart"))
        self.error_bars: list[ErrorBar] = []
        self.categories: list[str] = []
        """The groups' names, in order (the axis shows their numbers)."""
        self.bar_values: dict[str, list[float]] = {}
        self._results: list[BenchResult] = []

    def set_results(self, results: Sequence[BenchResult]) -> None:
        """Show ``results`` (one group each, in order); an empty list clears the chart."""
        self._results = list(results)
        self.redraw()

    def render_chart(self) -> None:
        results = self._results
        chart = self.chart()
        clear_chart(chart)
        self.error_bars = []
        self.categories = [short_label(r) for r in results]
        self.bar_values = {"pp": [], "tg": []}
        self.key.set_entries([(str(i + 1), name, None) for i, name in enumerate(self.categories)])
        self.setAccessibleDescription("\n".join(self.categories))
        if not results:
            return
        series = QBarSeries()
        sets = []
        for kind in ("pp", "tg"):
            bar_set = QBarSet(self.tr("pp t/s") if kind == "pp" else self.tr("tg t/s"))
            bar_set.setColor(colour(f"chart.{kind}"))
            bar_set.setBorderColor(colour(f"chart.{kind}"))
            for result in results:
                stat = result.pp if kind == "pp" else result.tg
                value = stat.mean if stat else 0.0  # a skipped test draws no bar
                bar_set.append(value)
                self.bar_values[kind].append(value)
            series.append(bar_set)
            sets.append(kind)
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append([str(i + 1) for i in range(len(results))])
        axis_y = QValueAxis()
        axis_y.setTitleText(self.tr("tokens/s"))
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
                line.setName(self.tr("{figure} ± standard deviation").format(figure=kind))
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


class HistoryChartView(KeyedChartView):
    """One line per model and configuration over time, for one figure (tg, pp or TTFT); the
    lines are named in :attr:`key` (QtCharts' legend would cut the names)."""

    METRICS: ClassVar[dict[str, str]] = {
        "tg": QT_TRANSLATE_NOOP("HistoryChartView", "tg tokens/s"),
        "pp": QT_TRANSLATE_NOOP("HistoryChartView", "pp tokens/s"),
        "ttft": QT_TRANSLATE_NOOP("HistoryChartView", "TTFT seconds"),
    }
    """Figure key -> its name (translate with :meth:`metric_name`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setMinimumHeight(240)
        self.setAccessibleName(self.tr("History chart"))
        self.chart().legend().hide()
        self.lines: dict[str, list[tuple[datetime, float]]] = {}
        self._results: list[BenchResult] = []
        self._metric = "tg"
        self._axis_x: QDateTimeAxis | None = None

    @classmethod
    def metric_name(cls, metric: str) -> str:
        """The translated name of a :data:`METRICS` key."""
        return QCoreApplication.translate("HistoryChartView", cls.METRICS[metric])

    @staticmethod
    def _value(result: BenchResult, metric: str) -> float | None:
        stat = {"tg": result.tg, "pp": result.pp, "ttft": result.ttft}[metric]
        return stat.mean if stat else None

    def set_results(self, results: Sequence[BenchResult], metric: str = "tg") -> None:
        """Plot ``metric`` of every result over time, one line per (model, backend, threads).

        Raises:
            KeyError: an unknown metric.
        """
        if metric not in self.METRICS:
            raise KeyError(metric)
        self._results, self._metric = list(results), metric
        self.redraw()

    def render_chart(self) -> None:
        metric = self._metric
        title = self.metric_name(metric)
        chart = self.chart()
        chart.setTitle(self.tr("History: {figure}").format(figure=title))
        clear_chart(chart)
        self._axis_x = None
        groups: dict[tuple[object, str, int], list[BenchResult]] = {}
        for result in self._results:
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
            self.key.set_entries([])
            return
        axis_x = QDateTimeAxis()
        axis_x.setFormat("d MMM HH:mm")
        axis_x.setTitleText(self.tr("Run time"))
        axis_y = QValueAxis()
        axis_y.setTitleText(title)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        entries = []
        for name, points in self.lines.items():
            line = QLineSeries()
            line.setName(name)
            line.setPointsVisible(True)
            for when, value in points:
                line.append(QPointF(float(when.timestamp() * 1000.0), value))
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)
            entries.append(("●", name, line.color()))
        self.key.set_entries(entries)
        self.setAccessibleDescription("\n".join(self.lines))
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
        self._axis_x = axis_x
        self._fit_ticks()

    def _fit_ticks(self) -> None:
        """As many date ticks as fit side by side uncut (QtCharts cuts, it does not skip)."""
        if self._axis_x is not None:
            plot_width = self.width() - 100  # the value axis and margins take about 100 px
            self._axis_x.setTickCount(max(2, min(6, plot_width // DATE_LABEL_WIDTH + 1)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_ticks()
