"""The conversation list: a Qt list model over the stored conversations, with search."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from slmdesk.inventory.conversations import ConversationRecord
from slmdesk.ui.i18n import format_datetime

ConversationIdRole = Qt.ItemDataRole.UserRole + 1


class ConversationListModel(QAbstractListModel):
    """Conversations, most recently updated first; the display text is the title."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[ConversationRecord] = []

    def set_conversations(self, items: list[ConversationRecord]) -> None:
        """Replace the list (after a search or a change)."""
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def conversation(self, row: int) -> ConversationRecord:
        """The conversation in ``row``."""
        return self._items[row]

    def row_of(self, conversation_id: int) -> int | None:
        """The row of a conversation, or None."""
        for row, item in enumerate(self._items):
            if item.id == conversation_id:
                return row
        return None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.title or self.tr("Untitled conversation")
        if role == Qt.ItemDataRole.ToolTipRole:
            if not item.updated_at:
                return item.title
            return item.title + "\n" + self.tr("Updated {time}").format(time=format_datetime(item.updated_at))
        if role == ConversationIdRole:
            return item.id
        return None
