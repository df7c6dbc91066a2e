"""The Chat pane's left column: search box, the conversations, New chat / Rename / Delete."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QGridLayout,
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
        self.search_edit.setPlaceholderText(self.tr("Search conversations"))
        self.search_edit.setAccessibleName(self.tr("Search conversations"))
        self.search_edit.setToolTip(self.tr("Find conversations by title or message text"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self.search_changed)
        self.model = ConversationListModel(self)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setAccessibleName(self.tr("Conversations"))
        self.view.setAccessibleDescription(self.tr("Your conversations, most recent first; choose one to open it"))
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long titles elide
        self.view.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.new_button = QPushButton(self.tr("New chat"), self)
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_requested)
        self.rename_button = QPushButton(self.tr("Rename"), self)
        self.rename_button.setToolTip(self.tr("Rename the conversation on screen"))
        self.rename_button.clicked.connect(self.rename_requested)
        self.delete_button = QPushButton(self.tr("Delete"), self)
        self.delete_button.setToolTip(self.tr("Delete the conversation on screen and its messages"))
        self.delete_button.clicked.connect(self.delete_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.view, 1)
        # New chat on a row of its own, Rename and Delete under it: three buttons side by side
        # need more than the column's width at 1024 pixels ("New cha").
        buttons = QGridLayout()
        buttons.addWidget(self.new_button, 0, 0, 1, 2)
        buttons.addWidget(self.rename_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)
        layout.addLayout(buttons)

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
        title, ok = QInputDialog.getText(self, self.tr("Rename conversation"), self.tr("Title:"), text=current)
        return title if ok and title.strip() else None

    def confirm_delete(self, title: str) -> bool:
        """Ask whether to delete the conversation called ``title`` (a modal dialog)."""
        answer = QMessageBox.question(self, self.tr("Delete conversation"),
                                      self.tr("Delete “{title}” and its messages?").format(title=title))
        return answer == QMessageBox.StandardButton.Yes

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.open_requested.emit(self.model.conversation(current.row()).id)
