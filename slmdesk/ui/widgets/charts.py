"""Chart theming shared by the panes' QtCharts views: the palette's colours and the interface's
number format on a chart and its axes, and a chart view that redraws itself in them.

A theme switch reaches a view through the widget that holds it: that widget calls
:meth:`ThemedChartView.redraw` on its own ``PaletteChange``. The view does not override
``changeEvent`` itself (an override of it on a QChartView once crashed PySide 6 with
accessibility active; the holder's event is as good and known to be safe).
"""

from __future__ import annotations

from PySide6.QtCharts import QAbstractAxis, QChart, QChartView
from PySide6.QtCore import QLocale, QMargins, Qt
from PySide6.QtGui import QBrush, QPainter, QPen
from PySide6.QtWidgets import QWidget

from slmdesk.ui.palette import colour


def style_chart(chart: QChart) -> None:
    """Give ``chart`` and its axes the palette's colours (background, title, labels, grid) and
    the interface's number format; call again after the axes change or the palette does."""
    text, base, grid = colour("ui.text"), colour("ui.base"), colour("ui.mid")
    chart.setBackgroundBrush(QBrush(base))
    chart.setBackgroundPen(QPen(grid))
    chart.setPlotAreaBackgroundVisible(False)
    chart.setTitleBrush(QBrush(text))
    chart.legend().setLabelColor(text)
    chart.setLocale(QLocale())
    chart.setLocalizeNumbers(True)
    for axis in chart.axes():
        style_axis(axis)


def style_axis(axis: QAbstractAxis) -> None:
    """The palette's colours on one axis (labels, title, line, grid)."""
    text = colour("ui.text")
    axis.setLabelsColor(text)
    axis.setTitleBrush(QBrush(text))
    axis.setLinePenColor(colour("ui.dark"))
    axis.setGridLineColor(colour("ui.mid"))


def clear_chart(chart: QChart) -> None:
    """Remove every series and axis of ``chart`` (the axes are deleted: a removed axis left
    alone keeps its drawing in the scene)."""
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
        axis.deleteLater()


class ThemedChartView(QChartView):
    """A chart view drawn in the current palette's colours: subclasses draw in
    :meth:`render_chart` from what they were last given and call :meth:`redraw`, which styles
    what was drawn. The widget that holds the view calls :meth:`redraw` on its
    ``PaletteChange`` (see the module's note)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle(title)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to do with the keyboard
        self.setMinimumHeight(200)
        style_chart(chart)

    def render_chart(self) -> None:
        """Draw the data last given (subclasses); :meth:`redraw` styles the result."""

    def redraw(self) -> None:
        """Draw the data last given in the current palette's colours (after new data, and on
        a theme switch)."""
        self.render_chart()
        style_chart(self.chart())
