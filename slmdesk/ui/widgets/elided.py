"""A label and a combo box that shorten long text (paths, model names) with an ellipsis to fit
their width."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)


class ElidedLabel(QLabel):
    """Plain text elided to the label's width (in the middle by default: the file name at the
    end of a path stays readable), the full text in the tooltip.

    :meth:`text` returns the full text, :meth:`displayed_text` what is drawn. Several lines
    (``"\\n"``) are elided one by one. The minimum size hint is a few characters wide, so a long
    text never forces a layout (or the window) wider.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None,
                 mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle, selectable: bool = False) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        if selectable:
            self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        """Show ``text`` (elided as needed); the tooltip gets the full text."""
        self._full = text
        self.setToolTip(text)
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        """The full text, not the elided one."""
        return self._full

    def clear(self) -> None:
        self.setText("")

    def displayed_text(self) -> str:
        """The text as drawn (with "…" where it was shortened)."""
        return super().text()

    def is_elided(self) -> bool:
        """Whether the drawn text is shorter than the full text."""
        return self.displayed_text() != self._full

    def set_elide_mode(self, mode: Qt.TextElideMode) -> None:
        """Where the ellipsis goes (``ElideMiddle`` by default)."""
        self._mode = mode
        self._elide()

    def _elide(self) -> None:
        metrics = QFontMetrics(self.font())
        margins = self.contentsMargins()
        width = max(0, self.width() - margins.left() - margins.right() - 2 * self.margin())
        lines = [metrics.elidedText(line, self._mode, width) for line in self._full.split("\n")]
        super().setText("\n".join(lines))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # a new font changes the widths
            self._elide()

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        lines = self._full.split("\n")
        margins = self.contentsMargins()
        width = max((metrics.horizontalAdvance(line) for line in lines), default=0)
        height = metrics.height() * max(1, len(lines))
        extra = 2 * self.margin()
        return QSize(width + margins.left() + margins.right() + extra + 2,
                     height + margins.top() + margins.bottom() + extra)

    def minimumSizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        hint = self.sizeHint()
        return QSize(min(hint.width(), metrics.horizontalAdvance("M…M")), hint.height())


class ElidedComboBox(QComboBox):
    """A QComboBox that draws its current text elided in the middle to the width it gets, so
    a long model name keeps its end ("… · Q8_0 · 1.2 GiB"): the type and size that tell the
    variants of one model apart. The popup list shows the whole texts; callers put the whole
    current text in the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        option.currentText = self.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideMiddle,
                                                           max(0, field.width() - 2))
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
