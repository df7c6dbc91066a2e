"""QtCharts view of a model's variants: file size against perplexity, one point per variant.

The source is its own series (drawn larger), so the trade-off reads at a glance: points further
left are smaller, points lower are better. Hovering a point shows its figures, tokens/s
included (a second axis would crowd a chart this small).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCharts import QChart, QChartView, QScatterSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt, Slot
from PySide6.QtGui import QCursor, QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from slmdesk.ui.palette import colour
from slmdesk.ui.quantize.models import QualityTableModel, VariantQuality

MIB = 2**20


@dataclass(frozen=True)
class ChartPoint:
    """One plotted variant: artifact id, x (MiB), y (perplexity) and its hover text."""

    artifact_id: int
    x: float
    y: float
    tooltip: str


def point_tooltip(variant: VariantQuality) -> str:
    """The hover text of a variant's point: name, type, size, perplexity, KLD, top-1, speeds."""
    table = QualityTableModel
    parts = [
        f"{variant.name} ({variant.quantization or '?'})",
        f"size {table.display(variant, table.COL_SIZE)}",
        f"perplexity {table.display(variant, table.COL_PPL)}",
    ]
    if not variant.is_source:
        parts += [f"KLD {table.display(variant, table.COL_KLD)}", f"top-1 {table.display(variant, table.COL_TOP1)}"]
    parts.append(f"tg {table.display(variant, table.COL_TG)} t/s, pp {table.display(variant, table.COL_PP)} t/s")
    return "\n".join(parts)


class QualityChartView(QChartView):
    """Size (MiB) against perplexity of the variants that have a perplexity."""

    TITLE = "Size and perplexity (lower left is better)"
    EMPTY_TITLE = "Size and perplexity: press Compare to measure"

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle(self.EMPTY_TITLE)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        self.points: list[ChartPoint] = []
        self._tooltips: dict[tuple[float, float], str] = {}

    def set_variants(self, variants: Sequence[VariantQuality]) -> None:
        """Plot every variant with a perplexity (the others are not drawn: no made-up values)."""
        chart = self.chart()
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
            axis.deleteLater()
        self.points = [
            ChartPoint(v.artifact_id, v.size_bytes / MIB, v.perplexity, point_tooltip(v))
            for v in variants if v.perplexity is not None
        ]
        self._tooltips = {(p.x, p.y): p.tooltip for p in self.points}
        chart.setTitle(self.TITLE if self.points else self.EMPTY_TITLE)
        if not self.points:
            return
        source_ids = {v.artifact_id for v in variants if v.is_source}
        axis_x, axis_y = QValueAxis(), QValueAxis()
        axis_x.setTitleText("size (MiB)")
        axis_y.setTitleText("perplexity")
        axis_x.setLabelFormat("%.0f")
        axis_y.setLabelFormat("%.2f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for name, members, size, role in (
            ("source", [p for p in self.points if p.artifact_id in source_ids], 14.0, "chart.tg"),
            ("variants", [p for p in self.points if p.artifact_id not in source_ids], 11.0, "chart.pp"),
        ):
            if not members:
                continue
            series = QScatterSeries()
            series.setName(name)
            series.setMarkerSize(size)
            series.setColor(colour(role))
            series.setPointLabelsVisible(True)
            series.setPointLabelsFormat("@yPoint")
            for point in members:
                series.append(QPointF(point.x, point.y))
            series.hovered.connect(self._on_hovered)
            chart.addSeries(series)
            series.attachAxis(axis_x)
            series.attachAxis(axis_y)
        xs, ys = [p.x for p in self.points], [p.y for p in self.points]
        pad_x = max((max(xs) - min(xs)) * 0.1, max(xs) * 0.05, 1.0)
        pad_y = max((max(ys) - min(ys)) * 0.15, max(ys) * 0.02, 0.01)
        axis_x.setRange(max(0.0, min(xs) - pad_x), max(xs) + pad_x)
        axis_y.setRange(max(0.0, min(ys) - pad_y), max(ys) + pad_y)

    @Slot(QPointF, bool)
    def _on_hovered(self, point: QPointF, state: bool) -> None:
        if not state:
            QToolTip.hideText()
            return
        text = self._tooltips.get((point.x(), point.y()))
        if text:
            QToolTip.showText(QCursor.pos(), text, self)
