"""QtCharts views of serving runs: output throughput against concurrency, and TTFT/ITL percentiles
per level (the style of :mod:`slmdesk.ui.bench.charts`: palette colours, names in a key)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QLineSeries, QValueAxis
from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtWidgets import QWidget

from slmdesk.bench.serving import ServingRun
from slmdesk.ui.bench.charts import KeyedChartView
from slmdesk.ui.widgets.charts import clear_chart


def level_label(run: ServingRun) -> str:
    """A latency bar group's name: ``"c4 · inf"`` (concurrency and request rate)."""
    return QCoreApplication.translate("ServingCharts", "c{concurrency} · {rate}").format(
        concurrency=run.concurrency, rate=run.settings.rate_label)


class ThroughputChartView(KeyedChartView):
    """Output tokens/s against concurrency, one line per endpoint, model and request rate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Output throughput vs concurrency (tokens/s)"), parent)
        self.setAccessibleName(self.tr("Throughput chart"))
        self.chart().legend().hide()
        self.lines: dict[str, list[tuple[int, float]]] = {}
        self._runs: list[ServingRun] = []

    def set_runs(self, runs: Sequence[ServingRun]) -> None:
        """Plot ``runs`` (the newest run of each level per line); an empty list clears the chart."""
        self._runs = list(runs)
        self.redraw()

    def render_chart(self) -> None:
        chart = self.chart()
        clear_chart(chart)
        latest: dict[str, dict[int, ServingRun]] = {}
        for run in sorted(self._runs, key=lambda r: r.created_at):
            key = self.tr("{model} · rate {rate}").format(model=run.settings.model, rate=run.settings.rate_label)
            latest.setdefault(key, {})[run.concurrency] = run
        self.lines = {key: sorted((c, r.metrics.output_throughput) for c, r in levels.items())
                      for key, levels in latest.items()}
        if not self.lines:
            self.key.set_entries([])
            return
        axis_x = QValueAxis()
        axis_x.setTitleText(self.tr("Concurrency"))
        axis_x.setLabelFormat("%d")
        axis_y = QValueAxis()
        axis_y.setTitleText(self.tr("tokens/s"))
        axis_y.setLabelFormat("%.0f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        entries = []
        for name, points in self.lines.items():
            line = QLineSeries()
            line.setName(name)
            line.setPointsVisible(True)
            for concurrency, value in points:
                line.append(QPointF(float(concurrency), value))
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)
            entries.append(("●", name, line.color()))
        self.key.set_entries(entries)
        self.setAccessibleDescription("\n".join(self.lines))
        levels = [c for points in self.lines.values() for c, _ in points]
        axis_x.setRange(0.0, max(levels) + 1.0)
        axis_x.setTickCount(min(max(levels) + 2, 10))
        top = max(v for points in self.lines.values() for _, v in points)
        axis_y.setRange(0.0, max(top, 1.0) * 1.15)
        axis_y.applyNiceNumbers()


class LatencyChartView(KeyedChartView):
    """Grouped bars per run: TTFT and ITL p50/p95/p99 in milliseconds."""

    SERIES = (("ttft", "p50"), ("ttft", "p95"), ("ttft", "p99"), ("itl", "p50"), ("itl", "p95"), ("itl", "p99"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Latency percentiles per level (ms)"), parent)
        self.setAccessibleName(self.tr("Latency chart"))
        self.categories: list[str] = []
        self.values: dict[str, list[float]] = {}
        self._runs: list[ServingRun] = []

    def set_runs(self, runs: Sequence[ServingRun]) -> None:
        """One bar group per run (in the order given); an empty list clears the chart."""
        self._runs = list(runs)
        self.redraw()

    def render_chart(self) -> None:
        runs = self._runs
        chart = self.chart()
        clear_chart(chart)
        self.categories = [level_label(r) for r in runs]
        self.values = {}
        models = list(dict.fromkeys(r.settings.model for r in runs))
        self.key.set_entries([("", self.tr("Model: {model}").format(model=m), None) for m in models])
        if not runs:
            return
        series = QBarSeries()
        for figure, stat in self.SERIES:
            name = f"{figure.upper()} {stat}"
            bar_set = QBarSet(name)
            values = []
            for run in runs:
                dist = getattr(run.metrics, figure)
                values.append(getattr(dist, stat) * 1000 if dist else 0.0)  # no samples: no bar
            bar_set.append(values)
            self.values[name] = values
            series.append(bar_set)
        chart.addSeries(series)
        axis_x = QBarCategoryAxis()
        axis_x.append(self.categories)
        axis_x.setTitleText(self.tr("Concurrency · request rate"))
        axis_y = QValueAxis()
        axis_y.setTitleText(self.tr("ms"))
        axis_y.setLabelFormat("%.0f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        top = max((v for values in self.values.values() for v in values), default=1.0)
        axis_y.setRange(0.0, max(top, 1.0) * 1.12)
        axis_y.applyNiceNumbers()
