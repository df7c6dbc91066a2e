"""QtCharts view of a model's variants: file size against perplexity, one point per variant.

The source is its own series (drawn larger), so the trade-off reads at a glance: points further
left are smaller, points lower are better. Hovering a point shows its figures, tokens/s
included (a second axis would crowd a chart this small).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCharts import QChart, QChartView, QScatterSeries, QValueAxis
from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QMargins, QPointF, Qt, Slot
from PySide6.QtGui import QBrush, QCursor, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from slmdesk.ui.palette import colour
from slmdesk.ui.quantize.models import QualityTableModel, VariantQuality

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


class QualityChartView(QChartView):
    """Size (MiB) against perplexity of the variants that have a perplexity. Its colours come
    from :mod:`slmdesk.ui.palette` and follow a theme change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setLocalizeNumbers(True)
        super().__init__(chart, parent)
        chart.setTitle(self.empty_chart_title())
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(200)
        self.setAccessibleName(self.tr("Chart of size against perplexity"))
        self.setAccessibleDescription(self.tr(
            "One point per measured variant: file size across, perplexity up; lower left is better. "
            "The table above holds the same figures."))
        for widget in (self, self.viewport()):  # nothing to do with the keyboard; the table has the figures
            widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.points: list[ChartPoint] = []
        self._tooltips: dict[tuple[float, float], str] = {}
        self._apply_colours()

    def chart_title(self) -> str:
        """The chart's title while it shows points."""
        return self.tr("Size and perplexity (lower left is better)")

    def empty_chart_title(self) -> str:
        """The chart's title while nothing is measured."""
        return self.tr("Size and perplexity: press Compare to measure")

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
        chart.setTitle(self.chart_title() if self.points else self.empty_chart_title())
        if not self.points:
            return
        chart.setLocale(QLocale())
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
            series.setProperty("palette_role", role)
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
        self._apply_colours()

    def _apply_colours(self) -> None:
        """Background, texts, grid and points in the current palette's colours."""
        chart = self.chart()
        text, mid = colour("ui.text"), colour("ui.mid")
        chart.setBackgroundBrush(QBrush(colour("ui.base")))
        chart.setPlotAreaBackgroundVisible(False)
        chart.setTitleBrush(QBrush(text))
        chart.legend().setLabelColor(text)
        for axis in chart.axes():
            axis.setLabelsColor(text)
            axis.setTitleBrush(QBrush(text))
            axis.setLinePen(QPen(colour("ui.dark")))
            axis.setGridLineColor(mid)
        for series in chart.series():
            if isinstance(series, QScatterSeries):
                series.setColor(colour(str(series.property("palette_role") or VARIANT_ROLE)))
                series.setBorderColor(colour("ui.base"))
                series.setPointLabelsColor(text)
        self.setBackgroundBrush(QBrush(colour("ui.base")))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()

    @Slot(QPointF, bool)
    def _on_hovered(self, point: QPointF, state: bool) -> None:
        if not state:
            QToolTip.hideText()
            return
        text = self._tooltips.get((point.x(), point.y()))
        if text:
            QToolTip.showText(QCursor.pos(), text, self)
