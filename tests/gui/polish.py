"""Checks people notice, as functions the GUI tests call on a pane or the main window:

- :func:`focus_problems`: the Tab key's stops in a pane, in Qt's order (the focus chain, as
  ``QWidget::focusNextPrevChild`` walks it), each with an accessible name, and in reading order;
- :func:`layout_problems`: no visible widget smaller than its minimum size hint (a clipped
  "New cha" button, a squashed spin box), and the window as small as asked;
- :func:`visible_texts`: the texts a pane shows (labels, buttons, headers, tooltips, accessible
  names), for the untranslated-text check;
- :func:`each_tab_page`: every page of every tab widget in turn, so hidden pages are checked.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QComboBox,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollBar,
    QSplitterHandle,
    QTabBar,
    QTabWidget,
    QWidget,
)

TOLERANCE = 4
"""Pixels of slack in the reading-order rule (widgets on one row rarely share a top edge)."""


def _describe(widget: QWidget) -> str:
    name = widget.objectName() or widget.accessibleName() or ""
    text = widget.text() if isinstance(widget, (QAbstractButton, QLabel)) else ""
    return f"{type(widget).__name__}({name or text!r})"


def _buddy_text(widget: QWidget) -> str:
    window = widget.window()
    for label in window.findChildren(QLabel):
        if label.buddy() is widget and label.text().strip():
            return label.text()
    return ""


def accessible_name(widget: QWidget) -> str:
    """The name a screen reader announces for ``widget``: its accessible name, else its label
    (a QLabel buddy), else what Qt derives from its own text (buttons, tab bars). A combo box's
    current item or a table's cell is not a name."""
    if widget.accessibleName().strip():
        return widget.accessibleName()
    buddy = _buddy_text(widget)
    if buddy:
        return buddy
    if isinstance(widget, (QComboBox, QAbstractItemView)) and not (
            isinstance(widget, QComboBox) and widget.isEditable()):
        return ""
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def tab_stops(pane: QWidget) -> list[QWidget]:
    """The widgets Tab visits inside ``pane``, in order (one lap of the focus chain)."""
    window = pane.window()
    stops: list[QWidget] = []
    widget = pane.nextInFocusChain()
    seen: set[int] = set()
    while widget is not pane and id(widget) not in seen:
        seen.add(id(widget))
        if (
            pane.isAncestorOf(widget)
            and widget.focusProxy() is None
            and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisibleTo(window)
            and widget.isEnabled()
        ):
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


def _rect_in(widget: QWidget, pane: QWidget) -> QRect:
    return QRect(widget.mapTo(pane, QPoint(0, 0)), widget.size())


def focus_problems(pane: QWidget) -> list[str]:
    """Problems of ``pane``'s visible tab stops: a stop without an accessible name, or a stop
    out of reading order. From one stop to the next, Tab may go down (or stay on the row) or
    move to a column to the right; going back up within the same column, or left along a row,
    is out of order."""
    problems: list[str] = []
    stops = tab_stops(pane)
    for widget in stops:
        if not accessible_name(widget):
            problems.append(f"no accessible name: {_describe(widget)}")
    for before, after in itertools.pairwise(stops):
        a, b = _rect_in(before, pane), _rect_in(after, pane)
        new_column = b.left() >= a.right() - TOLERANCE
        same_row = abs(b.center().y() - a.center().y()) <= max(a.height(), b.height()) // 2
        if same_row and b.right() <= a.left() + TOLERANCE:
            problems.append(f"Tab goes left along a row: {_describe(before)} -> {_describe(after)}")
        elif b.bottom() < a.top() - TOLERANCE and not new_column:
            problems.append(f"Tab goes back up: {_describe(before)} -> {_describe(after)}")
    return problems


def _ignored(widget: QWidget) -> bool:
    """Widgets whose size is not a layout's business (see :func:`layout_problems`)."""
    if isinstance(widget, (QScrollBar, QSplitterHandle)) or widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    if isinstance(parent, QComboBox):
        return True  # an editable combo box's own line edit: the box is checked, not its inside
    # A scroll area's viewport and the widget it scrolls may be any size: that is scrolling.
    return isinstance(parent, QAbstractScrollArea) or (
        parent is not None and isinstance(parent.parentWidget(), QAbstractScrollArea))


def layout_problems(root: QWidget) -> list[str]:
    """Visible widgets under ``root`` narrower or shorter than their minimum size hint (by more
    than a pixel): text or controls clipped. Scroll bars, splitter handles, Qt's internal
    widgets and what scroll areas scroll are not counted."""
    problems: list[str] = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or _ignored(widget):
            continue
        hint = widget.minimumSizeHint()
        if not hint.isValid():
            continue
        policy = widget.sizePolicy()
        width_short = widget.width() < hint.width() - 1 and policy.horizontalPolicy() != policy.Policy.Ignored
        height_short = widget.height() < hint.height() - 1 and policy.verticalPolicy() != policy.Policy.Ignored
        if width_short or height_short:
            problems.append(f"{_describe(widget)} is {widget.width()}x{widget.height()}, needs "
                            f"{hint.width()}x{hint.height()}")
    return problems


def each_tab_page(root: QWidget) -> Iterator[str]:
    """Show every page of every tab widget under ``root`` in turn (yielding ``"<tab text>"``),
    then restore each tab widget's page. Nested tab widgets are visited as they appear."""
    yield ""
    for tabs in root.findChildren(QTabWidget):
        if not tabs.isVisible():
            continue
        current = tabs.currentIndex()
        for index in range(tabs.count()):
            if index == current or not tabs.isTabEnabled(index):
                continue
            tabs.setCurrentIndex(index)
            QApplication.processEvents()
            yield tabs.tabText(index)
        tabs.setCurrentIndex(current)
        QApplication.processEvents()


_TAG = re.compile(r"<[^>]+>")


def visible_texts(root: QWidget) -> list[str]:
    """The texts ``root`` shows now: labels, buttons, group titles, placeholders, tab titles,
    item-view headers, tooltips and accessible names of visible widgets (HTML tags removed)."""
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.isVisible():
            continue
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        if isinstance(widget, QGroupBox):
            texts.append(widget.title())
        if isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        if isinstance(widget, QTabBar):
            texts.extend(widget.tabText(i) for i in range(widget.count()))
        if isinstance(widget, QHeaderView) and widget.model() is not None:
            model = widget.model()
            count = model.columnCount() if widget.orientation() == Qt.Orientation.Horizontal else 0
            texts.extend(str(model.headerData(i, Qt.Orientation.Horizontal) or "")
                         for i in range(count) if not widget.isSectionHidden(i))
        texts.append(widget.toolTip())
        texts.append(widget.accessibleName())
        texts.append(widget.accessibleDescription())
    cleaned = (_TAG.sub(" ", text).replace("&nbsp;", " ").replace("&", "").strip() for text in texts)
    return [text for text in cleaned if text]
