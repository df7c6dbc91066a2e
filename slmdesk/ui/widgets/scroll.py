"""A scroll area that scrolls up and down only."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class VerticalScrollArea(QScrollArea):
    """Scrolls its widget up and down when the window is short, never sideways.

    The widget is resized with the area (``widgetResizable``), there is no horizontal scroll
    bar and, unless a caller sets them again, no frame and no focus of its own (Tab goes
    through the fields inside and the area follows the focus). Its minimum width is the
    widget's minimum width plus the vertical scroll bar's (and the frame's), recomputed
    whenever a layout asks, so the content is never clipped sideways: a form inside wraps its
    rows instead.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the fields inside take the focus
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def minimumSizeHint(self) -> QSize:
        """The widget's minimum width, the scroll bar's and the frame's (if one is set); any height."""
        hint = super().minimumSizeHint()
        widget = self.widget()
        if widget is None:
            return hint
        width = (widget.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                 + 2 * self.frameWidth())
        return QSize(max(hint.width(), width), hint.height())
