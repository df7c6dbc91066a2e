"""A column chooser for tables and trees: right-click the header, tick the columns to show;
the choice is remembered in a QSettings (or in memory)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QSettings, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView, QTreeView

OBJECT_NAME = "column_chooser"


class ColumnChooser(QObject):
    """Shows and hides the columns of ``view`` from its header's context menu and keeps the
    hidden ones in ``settings[key]`` (column numbers, comma-separated; an in-memory QSettings
    when ``settings`` is None). At least one column stays visible. The header's tooltip says
    how. Built by :func:`install_column_chooser`; found again with :func:`column_chooser`."""

    def __init__(self, view: QTableView | QTreeView, settings: QSettings | None, key: str,
                 default_hidden: set[int]) -> None:
        super().__init__(view)
        self.setObjectName(OBJECT_NAME)
        self._view = view
        # An empty file name keeps the values in memory (writing them back fails quietly).
        self._settings = settings if settings is not None else QSettings("", QSettings.Format.IniFormat, self)
        self._key = key
        self._default_hidden = set(default_hidden)
        header = self.header()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_menu_requested)
        header.setToolTip(self.tr("Right-click to choose the columns"))
        model = view.model()
        if model is not None:
            # A reset of the model may bring the header's sections back; hide them again.
            model.modelReset.connect(self.apply)
            model.columnsInserted.connect(self.apply)
        self.apply()

    def header(self) -> QHeaderView:
        """The view's column header."""
        view = self._view
        return view.horizontalHeader() if isinstance(view, QTableView) else view.header()

    def column_count(self) -> int:
        """Columns of the view's model (0 without one)."""
        model = self._view.model()
        return model.columnCount() if model is not None else 0

    def hidden(self) -> set[int]:
        """The columns to hide: the saved choice, or the defaults before any."""
        saved = self._settings.value(self._key)
        if saved is None:
            return {c for c in self._default_hidden if c < self.column_count()}
        text = ",".join(saved) if isinstance(saved, list) else str(saved)
        return {int(part) for part in text.split(",") if part.strip().isdigit()
                and int(part) < self.column_count()}

    @Slot()
    def apply(self) -> None:
        """Hide the chosen columns and show the others (one stays visible, whatever was saved)."""
        count = self.column_count()
        hidden = self.hidden()
        if count and len(hidden) >= count:
            hidden.discard(min(range(count), key=lambda c: c in self._default_hidden))
        header = self.header()
        for column in range(count):
            header.setSectionHidden(column, column in hidden)

    def set_visible(self, column: int, visible: bool) -> bool:
        """Show or hide ``column`` and save the choice; False (nothing changes) when that would
        hide the last visible column."""
        header = self.header()
        shown = [c for c in range(self.column_count()) if not header.isSectionHidden(c)]
        if not visible and shown == [column]:
            return False
        header.setSectionHidden(column, not visible)
        if visible and header.sectionSize(column) < header.minimumSectionSize():
            header.resizeSection(column, header.defaultSectionSize())
        hidden = [c for c in range(self.column_count()) if header.isSectionHidden(c)]
        self._settings.setValue(self._key, ",".join(str(c) for c in hidden))
        return True

    def actions(self, parent: QObject | None = None) -> list[QAction]:
        """One checkable action per column (its header text), checked when shown; the only
        visible column's action is disabled."""
        model = self._view.model()
        header = self.header()
        count = self.column_count()
        shown = [c for c in range(count) if not header.isSectionHidden(c)]
        actions = []
        for column in range(count):
            text = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
            action = QAction(str(text or column + 1), parent or self)
            action.setCheckable(True)
            action.setChecked(column in shown)
            action.setEnabled(shown != [column])
            action.setData(column)
            action.toggled.connect(self._on_action_toggled)
            actions.append(action)
        return actions

    def menu(self) -> QMenu:
        """The header's context menu (a new one each time: header texts may change)."""
        menu = QMenu(self._view)
        menu.setTitle(self.tr("Columns"))
        menu.setAccessibleName(self.tr("Columns to show"))
        for action in self.actions(menu):
            menu.addAction(action)
        return menu

    @Slot(QPoint)
    def _on_menu_requested(self, position: QPoint) -> None:
        menu = self.menu()
        menu.exec(self.header().mapToGlobal(position))
        menu.deleteLater()

    @Slot(bool)
    def _on_action_toggled(self, checked: bool) -> None:
        action = self.sender()
        if isinstance(action, QAction) and not self.set_visible(int(action.data()), checked):
            action.setChecked(True)  # the last visible column stays


def install_column_chooser(view: QTableView | QTreeView, settings: QSettings | None, key: str,
                           default_hidden: set[int]) -> None:
    """Let the user pick the columns of ``view`` from its header's context menu (one checkable
    action per column, named by the model's ``headerData``), remember the choice in
    ``settings`` under ``key`` (None: in memory, for this view's life), and restore it now;
    the header's tooltip says "Right-click to choose the columns". ``default_hidden``: the
    columns hidden until the user chooses. Install after the view has its model."""
    ColumnChooser(view, settings, key, default_hidden)


def column_chooser(view: QTableView | QTreeView) -> ColumnChooser | None:
    """The chooser installed on ``view``, if any (tests, and a "Columns…" menu elsewhere)."""
    return view.findChild(ColumnChooser, OBJECT_NAME)
