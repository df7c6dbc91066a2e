"""The one base of slmdesk's table models: fixed columns, a row count, headers with tooltips."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt


class ColumnTableModel(QAbstractTableModel):
    """A flat table whose columns are :attr:`COLUMNS` (header texts, in order).

    Subclasses implement :meth:`row_count` and ``data``; :meth:`header_text` and
    :meth:`header_tooltip` may be overridden for headers that change (the Compare view names
    its runs). A flat model: child indexes have no rows and no columns (``qtmodeltester``).

    Translated headers: set :attr:`TRANSLATION_CONTEXT` and mark the texts of :attr:`COLUMNS`
    and :attr:`HEADER_TOOLTIPS` with ``QT_TRANSLATE_NOOP(<that context>, "...")``.
    """

    COLUMNS: tuple[str, ...] = ()
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {}
    """Column index -> tooltip of its header."""
    TRANSLATION_CONTEXT: ClassVar[str] = ""
    """When set, :attr:`COLUMNS` and :attr:`HEADER_TOOLTIPS` hold English source texts marked
    with ``QT_TRANSLATE_NOOP(TRANSLATION_CONTEXT, "...")`` and the headers show them translated
    (an empty text stays empty)."""

    def row_count(self) -> int:
        """Rows in the table."""
        raise NotImplementedError

    def header_text(self, section: int) -> str:
        """The header of column ``section`` (translated when :attr:`TRANSLATION_CONTEXT` is set)."""
        return self._translated(self.COLUMNS[section])

    def header_tooltip(self, section: int) -> str | None:
        """The tooltip of column ``section``'s header, None for none."""
        tip = self.HEADER_TOOLTIPS.get(section)
        return None if tip is None else self._translated(tip)

    def _translated(self, text: str) -> str:
        context = self.TRANSLATION_CONTEXT
        return QCoreApplication.translate(context, text) if context and text else text

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tooltip(section)
        return None
