"""QtCharts view of a model's variants: file size against perplexity, one point per variant.

The source is its own series (drawn larger), so the trade-off reads at a glance: points further
left are smaller, points lower are better. Hovering a point shows its figures, tokens/s
included (a second axis would crowd a chart this small).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCharts import QScatterSeries, QValueAxis
from PySide6.QtCore import QCoreApplication, QPointF, Qt, Slot
from PySide6.QtGui import QBrush, QCursor
from PySide6.QtWidgets import QToolTip, QWidget

from slmdesk.ui.palette import colour
from slmdesk.ui.quantize.models import QualityTableModel, VariantQuality
from slmdesk.ui.widgets.charts import ThemedChartView, clear_chart

MIB = 2**20
SOURCE_ROLE, VARIANT_ROLE = "chart.tg", "chart.pp"
"""Palette roles of the source's point and the variants' points."""


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
        QCoreApplication.translate("QualityChartView", "{name} ({type})").format(
            name=variant.name, type=variant.quantization or "?"),
        QCoreApplication.translate("QualityChartView", "size {size}").format(
            size=table.display(variant, table.COL_SIZE)),
        QCoreApplication.translate("QualityChartView", "perplexity {perplexity}").format(
            perplexity=table.display(variant, table.COL_PPL)),
    ]
    if not variant.is_source:
        parts += [
            QCoreApplication.translate("QualityChartView", "KLD {kld}").format(
                kld=table.display(variant, table.COL_KLD)),
            QCoreApplication.translate("QualityChartView", "top-1 {top1}").format(
                top1=table.display(variant, table.COL_TOP1)),
        ]
    parts.append(QCoreApplication.translate("QualityChartView", "tg {tg} t/s, pp {pp} t/s").format(
        tg=table.display(variant, table.COL_TG), pp=table.display(variant, table.COL_PP)))
    return "\n".join(parts)


class QualityChartView(ThemedChartView):
    """Size (MiB) against perplexity of the variants that have a perplexity. Its colours come
    from :mod:`slmdesk.ui.palette`; the widget that holds it calls :meth:`redraw` on a theme
    change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.empty_chart_title(), parent)
        self.setAccessibleName(self.tr("Chart of size against perplexity"))
        self.setAccessibleDescription(self.tr(
            "One point per measured variant: file size across, perplexity up; lower left is better. "
            "The table above holds the same figures."))
        self.viewport().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the table has the figures
        self.points: list[ChartPoint] = []
        self._tooltips: dict[tuple[float, float], str] = {}
        self._variants: list[VariantQuality] = []
        self.setBackgroundBrush(QBrush(colour("ui.base")))

    def chart_title(self) -> str:
        """The chart's title while it shows points."""
        return self.tr("Size and perplexity (lower left is better)")

    def empty_chart_title(self) -> str:
        """The chart's title while nothing is measured."""
        return self.tr("Size and perplexity: press Compare to measure")

    def set_variants(self, variants: Sequence[VariantQuality]) -> None:
        """Plot every variant with a perplexity (the others are not drawn: no made-up values)."""
        self._variants = list(variants)
        self.redraw()

    def render_chart(self) -> None:
        variants = self._variants
        chart = self.chart()
        clear_chart(chart)
        self.setBackgroundBrush(QBrush(colour("ui.base")))
        self.points = [
            ChartPoint(v.artifact_id, v.size_bytes / MIB, v.perplexity, point_tooltip(v))
            for v in variants if v.perplexity is not None
        ]
        self._tooltips = {(p.x, p.y): p.tooltip for p in self.points}
        chart.setTitle(self.chart_title() if self.points else self.empty_chart_title())
        if not self.points:
            return
        source_ids = {v.artifact_id for v in variants if v.is_source}
        axis_x, axis_y = QValueAxis(), QValueAxis()
        axis_x.setTitleText(self.tr("Size (MiB)"))
        axis_y.setTitleText(self.tr("Perplexity"))
        axis_x.setLabelFormat("%.0f")
        axis_y.setLabelFormat("%.2f")
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for name, members, size, role in (
            (self.tr("Source"), [p for p in self.points if p.artifact_id in source_ids], 14.0, SOURCE_ROLE),
            (self.tr("Variants"), [p for p in self.points if p.artifact_id not in source_ids], 11.0, VARIANT_ROLE),
        ):
            if not members:
                continue
            series = QScatterSeries()
            series.setName(name)
            series.setColor(colour(role))
            series.setBorderColor(colour("ui.base"))
            series.setPointLabelsColor(colour("ui.text"))
            series.setMarkerSize(size)
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
