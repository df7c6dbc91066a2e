"""The Fit panel's memory chart: parts stacked per row, the memory available as a line, MiB on the segments."""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt, Slot
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsSimpleTextItem, QWidget

from slmdesk.core.fit import AT_LOAD_LABEL, CONTEXT_FULL_LABEL, FitEstimate, memory_figures
from slmdesk.core.units import MIB
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.charts import ThemedChartView, clear_chart

PART_ROLES = {"Weights": "fit.weights", "KV cache": "fit.kv_cache", "Compute buffers": "fit.compute",
              "Runtime overhead": "fit.overhead"}
"""Palette roles of the breakdown chart's parts (:mod:`slmdesk.ui.palette`)."""

_WORDS = {  # the core's part and row labels (slmdesk.core.fit.memory_figures), to translate
    "Weights": QT_TRANSLATE_NOOP("FitChart", "Weights"),
    "KV cache": QT_TRANSLATE_NOOP("FitChart", "KV cache"),
    "Compute buffers": QT_TRANSLATE_NOOP("FitChart", "Compute buffers"),
    "Runtime overhead": QT_TRANSLATE_NOOP("FitChart", "Runtime overhead"),
    f"RAM, {AT_LOAD_LABEL}": QT_TRANSLATE_NOOP("FitChart", "RAM, at load / short prompt"),
    f"RAM, {CONTEXT_FULL_LABEL}": QT_TRANSLATE_NOOP("FitChart", "RAM, with the context full"),
}


def _words(label: str) -> str:
    """A label of :func:`~slmdesk.core.fit.memory_figures` in the interface language (a GPU's
    name stays as it is)."""
    source = _WORDS.get(label)
    return label if source is None else QCoreApplication.translate("FitChart", source)

AVAILABLE_ON_SCALE = 4.0
"""The axis stretches to show the memory available when it is at most 4x the largest row; beyond
that the bars would shrink to slivers, so the title gives the figure instead of the line."""
LINE_HALF_HEIGHT = 0.45
"""Half the height of an availability line, in category units (a bar is 0.5 units high)."""
LABEL_PADDING_PX = 4
LABEL_Z = 100
"""Above the series (QtCharts draws them at z 0-10)."""


class FitChart(ThemedChartView):
    """A horizontal stacked bar per :func:`~slmdesk.core.fit.memory_figures` row (MiB), a
    vertical line at the memory available to each row's device, and each segment's size in MiB
    written on it when the number fits inside. The widget that holds it calls :meth:`redraw`
    on a theme change (the parts' colours are the theme's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Memory needed"), parent)  # takes no focus: the same figures are written below it
        chart = self.chart()
        legend_font = chart.legend().font()
        legend_font.setPointSizeF(legend_font.pointSizeF() * 0.85)
        chart.legend().setFont(legend_font)
        chart.legend().setShowToolTips(True)  # a narrow panel elides the names: the tooltip has them whole
        self.setAccessibleName(self.tr("Memory needed"))
        self.setAccessibleDescription(self.tr("Memory each part of the model needs, against the memory available"))
        self._result: FitEstimate | None = None
        self.setMinimumHeight(220)
        self._series: QHorizontalStackedBarSeries | None = None
        self._segments: list[tuple[str, float, float, int, QColor]] = []  # text, start/end MiB, row, fill
        self._labels: list[QGraphicsSimpleTextItem] = []  # a pool, owned by the chart
        chart.plotAreaChanged.connect(self._place_labels)

    def show_estimate(self, result: FitEstimate) -> None:
        """Draw ``result``'s rows (replacing what was shown)."""
        self._result = result
        self.redraw()

    def clear(self) -> None:
        """Remove every series, axis and segment label."""
        self._result = None
        self.redraw()

    def render_chart(self) -> None:
        chart = self.chart()
        clear_chart(chart)
        self._series = None
        self._segments = []
        for item in self._labels:
            item.hide()
        chart.setTitle(self.tr("Memory needed"))
        result = self._result
        if result is None:
            return
        rows = memory_figures(result)[::-1]  # QtCharts puts the first category at the bottom
        series = QHorizontalStackedBarSeries()
        parts = [label for label, _ in rows[0][1]]
        for part in parts:
            bar = QBarSet(_words(part))
            bar.setColor(colour(PART_ROLES.get(part, "fit.other")))
            for _row, values, _available in rows:
                bar.append(dict(values).get(part, 0) / MIB)
            series.append(bar)
        chart.addSeries(series)
        self._series = series
        categories = QBarCategoryAxis()
        categories.setLabelsFont(chart.legend().font())  # the legend's smaller font: long row names fit
        categories.append([_words(label) for label, _, _ in rows])
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)

        largest = max(sum(size for _, size in values) for _, values, _ in rows) / MIB
        shown, hidden = self._availability_lines(rows, largest)
        top = max([largest * 1.15, *(x * 1.05 for x, _ in shown)])
        mib = QValueAxis()
        mib.setTitleText(self.tr("MiB"))
        mib.setLabelFormat("%.0f")
        mib.setRange(0, max(1.0, top))
        mib.applyNiceNumbers()
        chart.addAxis(mib, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(mib)
        for x, (name, first, last) in shown:
            line = QLineSeries()
            line.setName(name)
            line.setPen(QPen(colour("fit.available"), 2, Qt.PenStyle.DashLine))
            line.append([QPointF(x, first - LINE_HALF_HEIGHT), QPointF(x, last + LINE_HALF_HEIGHT)])
            chart.addSeries(line)
            line.attachAxis(mib)
            line.attachAxis(categories)
        if hidden:
            # A second line: one line is clipped in a narrow panel.
            chart.setTitle(self.tr("Memory needed<br>available: {devices} (beyond this scale)").format(
                devices=", ".join(hidden)))

        for row_index in reversed(range(len(rows))):
            start = 0.0
            for bar in series.barSets():
                size = bar.at(row_index)
                if size > 0:
                    text = f"{size:.0f}" if size >= 1 else "<1"
                    self._segments.append((text, start, start + size, row_index, bar.color()))
                start += size
        self._place_labels()

    def _availability_lines(
        self, rows: list[tuple[str, list[tuple[str, int]], int | None]], largest_mib: float
    ) -> tuple[list[tuple[float, tuple[str, int, int]]], list[str]]:
        """``(lines on the scale: (x MiB, (name, first row, last row)), texts of those beyond it)``:
        one line per device, spanning its rows."""
        groups: dict[tuple[str, int], list[int]] = {}
        for index, (label, _values, available) in enumerate(rows):
            if available is not None:
                device = "RAM" if label.startswith("RAM") else "GPU"
                groups.setdefault((device, available), []).append(index)
        shown: list[tuple[float, tuple[str, int, int]]] = []
        hidden: list[str] = []
        for (device, available), indices in sorted(groups.items(), key=lambda item: item[0][0] != "RAM"):
            if available / MIB <= AVAILABLE_ON_SCALE * largest_mib:
                name = self.tr("{device} available: {size}").format(device=device, size=format_bytes(available))
                shown.append((available / MIB, (name, min(indices), max(indices))))
            else:
                hidden.append(f"{device} {format_bytes(available)}")
        return shown, hidden

    def segment_labels(self) -> list[tuple[str, bool]]:
        """``(text, shown)`` of each segment's number, row by row from the top (the order of
        :func:`~slmdesk.core.fit.memory_figures`) and part by part in stacking order (for tests
        and accessibility): shown when the number fits inside its segment."""
        return [(item.text(), item.isVisible()) for item in self._labels[: len(self._segments)]]

    @Slot()
    def _place_labels(self) -> None:
        """Put each segment's number in its middle, hidden where it does not fit (after every
        resize: the plot area moves)."""
        chart = self.chart()
        series = self._series
        if series is None:
            return
        while len(self._labels) < len(self._segments):
            item = QGraphicsSimpleTextItem(chart)
            item.setZValue(LABEL_Z)
            self._labels.append(item)
        for item, (text, start, end, row, fill) in zip(self._labels, self._segments, strict=False):
            item.setText(text)
            left = chart.mapToPosition(QPointF(start, row), series)
            right = chart.mapToPosition(QPointF(end, row), series)
            box = item.boundingRect()
            fits = right.x() - left.x() >= box.width() + LABEL_PADDING_PX
            # Light text on a dark segment, dark text on a light one, whatever the theme.
            item.setBrush(QBrush(colour("ui.text", dark=fill.lightnessF() < 0.6)))
            item.setPos(QRectF(left, right).center() - box.center())
            item.setVisible(fits and chart.plotArea().contains(left))
        for item in self._labels[len(self._segments):]:
            item.hide()
