"""QtCharts views of serving runs: output throughput against concurrency, and TTFT/ITL percentiles
per level (the style of :mod:`slmdesk.ui.bench.charts`)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from slmdesk.bench.serving import ServingRun
from slmdesk.ui.bench.charts import _clear


def _view(chart: QChart, view: QChartView) -> None:
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setMargins(QMargins(4, 4, 4, 4))
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(200)


class ThroughputChartView(QChartView):
    """Output tokens/s against concurrency, one line per endpoint, model and request rate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Output throughput vs concurrency (tokens/s)")
        super().__init__(chart, parent)
        _view(chart, self)
        self.lines: dict[str, list[tuple[int, float]]] = {}

    def set_runs(self, runs: Sequence[ServingRun]) -> None:
        """Plot ``runs`` (the newest run of each level per line); an empty list clears the chart."""
        chart = self.chart()
        _clear(chart)
        latest: dict[str, dict[int, ServingRun]] = {}
        for run in sorted(runs, key=lambda r: r.created_at):
            key = f"{run.settings.model} · rate {run.settings.rate_label}"
            latest.setdefault(key, {})[run.concurrency] = run
        self.lines = {key: sorted((c, r.metrics.output_throughput) for c, r in levels.items())
                      for key, levels in latest.items()}
        if not self.lines:
            return
        axis_x = QValueAxis()
        axis_x.setTitleText("concurrency")
        axis_x.setLabelFormat("%d")
        axis_y = QValueAxis()
        axis_y.setTitleText("tokens/s")
        axis_y.setLabelFormat("%.0f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for name, points in self.lines.items():
            line = QLineSeries()
            line.setName(name)
            line.setPointsVisible(True)
            for concurrency, value in points:
                line.append(QPointF(float(concurrency), value))
            chart.addSeries(line)
            line.attachAxis(axis_x)
            line.attachAxis(axis_y)
        levels = [c for points in self.lines.values() for c, _ in points]
        axis_x.setRange(0.0, max(levels) + 1.0)
        axis_x.setTickCount(min(max(levels) + 2, 10))
        top = max(v for points in self.lines.values() for _, v in points)
        axis_y.setRange(0.0, max(top, 1.0) * 1.15)
        axis_y.applyNiceNumbers()


class LatencyChartView(QChartView):
    """Grouped bars per run: TTFT and ITL p50/p95/p99 in milliseconds."""

    SERIES = (("ttft", "p50"), ("ttft", "p95"), ("ttft", "p99"), ("itl", "p50"), ("itl", "p95"), ("itl", "p99"))

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle("Latency percentiles per level (ms)")
        super().__init__(chart, parent)
        _view(chart, self)
        self.categories: list[str] = []
        self.values: dict[str, list[float]] = {}

    def set_runs(self, runs: Sequence[ServingRun]) -> None:
        """One bar group per run (in the order given); an empty list clears the chart."""
        chart = self.chart()
        _clear(chart)
        self.categories = [f"c{r.concurrency} · {r.settings.rate_label}" for r in runs]
        self.values = {}
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
        axis_y = QValueAxis()
        axis_y.setTitleText("ms")
        axis_y.setLabelFormat("%.0f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(axis_x)
        series.attachAxis(axis_y)
        top = max((v for values in self.values.values() for v in values), default=1.0)
        axis_y.setRange(0.0, max(top, 1.0) * 1.12)
        axis_y.applyNiceNumbers()
