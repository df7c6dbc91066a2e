"""The Chat pane's left column: search box, the conversations, New chat / Rename / Delete."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from slmdesk.inventory.conversations import ConversationRecord
from slmdesk.ui.chat.conversations import ConversationListModel


class ConversationList(QWidget):
    """Conversations, most recently updated first, filtered by the search text.

    The controller fills it (:meth:`set_conversations`) and acts on its requests; picking a
    row emits ``open_requested`` with the conversation's id.
    """

    open_requested = Signal(int)  # conversation id
    new_requested = Signal()
    rename_requested = Signal()
    delete_requested = Signal()
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search conversations")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self.search_changed)
        self.model = ConversationListModel(self)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setAccessibleName("Conversations")
        self.view.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.new_button = QPushButton("New chat", self)
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.new_requested)
        self.rename_button = QPushButton("Rename", self)
        self.rename_button.clicked.connect(self.rename_requested)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.view, 1)
        row = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            row.addWidget(button)
        layout.addLayout(row)

    def search_text(self) -> str:
        """The text in the search box (matched against titles and message text)."""
        return self.search_edit.text()

    def set_conversations(self, items: Sequence[ConversationRecord], current_id: int | None) -> None:
        """Show ``items`` and select ``current_id`` when it is among them, without emitting
        ``open_requested`` (the controller already shows it)."""
        self.model.set_conversations(list(items))
        row = self.model.row_of(current_id) if current_id is not None else None
        if row is not None:
            selection = self.view.selectionModel()
            selection.blockSignals(True)
            self.view.setCurrentIndex(self.model.index(row))
            selection.blockSignals(False)

    def set_state(self, has_conversation: bool, busy: bool, streaming: bool) -> None:
        """Enable what applies: rename with a conversation on screen; delete and switching not
        while the engine works on it; a new chat not while a reply streams."""
        self.rename_button.setEnabled(has_conversation)
        self.delete_button.setEnabled(has_conversation and not busy)
        self.new_button.setEnabled(not streaming)

    def ask_title(self, current: str) -> str | None:
        """Ask for a new title (a modal dialog); None when cancelled or left blank."""
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=current)
        return title if ok and title.strip() else None

    def confirm_delete(self, title: str) -> bool:
        """Ask whether to delete the conversation called ``title`` (a modal dialog)."""
        answer = QMessageBox.question(self, "Delete conversation", f"Delete “{title}” and its messages?")
        return answer == QMessageBox.StandardButton.Yes

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.open_requested.emit(self.model.conversation(current.row()).id)
