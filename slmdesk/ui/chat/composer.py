"""The Chat pane's composer: notices, the message box, the token count and the turn buttons."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from slmdesk.ui.palette import colour_hex


class Composer(QWidget):
    """A notice line (dropped turns, failures), the message box, then the conversation's token
    count and Edit last / Regenerate / Stop / Send. The shortcuts (Ctrl+Enter, Esc) belong to
    the pane, so they work wherever the focus is in it."""

    send_requested = Signal()
    stop_requested = Signal()
    regenerate_requested = Signal()
    edit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notice_label = QLabel(self)
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet(f"color: {colour_hex('text.warning')};")
        self.notice_label.hide()
        self.input_edit = QPlainTextEdit(self)
        self.input_edit.setPlaceholderText("Message (Ctrl+Enter to send)")
        self.input_edit.setAccessibleName("Message")
        self.input_edit.setMaximumHeight(110)
        self.token_label = QLabel(self)
        self.send_button = QPushButton("Send", self)
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send_requested)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.clicked.connect(self.stop_requested)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.regenerate_button.clicked.connect(self.regenerate_requested)
        self.edit_button = QPushButton("Edit last", self)
        self.edit_button.setToolTip("Put your last message back in the box to change and resend it")
        self.edit_button.clicked.connect(self.edit_requested)

        buttons = QHBoxLayout()
        buttons.addWidget(self.token_label, 1)
        for button in (self.edit_button, self.regenerate_button, self.stop_button, self.send_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.input_edit)
        layout.addLayout(buttons)

    def text(self) -> str:
        """The message typed, stripped of surrounding blank space."""
        return self.input_edit.toPlainText().strip()

    def clear(self) -> None:
        """Empty the message box (the message was sent)."""
        self.input_edit.clear()

    def put_back(self, text: str) -> None:
        """Put ``text`` in the box to edit and focus it ("Edit last")."""
        self.input_edit.setPlainText(text)
        self.input_edit.setFocus()

    def show_notice(self, text: str) -> None:
        """Show a notice above the box until :meth:`hide_notice`."""
        self.notice_label.setText(text)
        self.notice_label.show()

    def hide_notice(self) -> None:
        """Hide the notice (a new reply started, another conversation opened)."""
        self.notice_label.hide()

    def set_token_text(self, text: str) -> None:
        """Set the token count line ("" hides nothing, it just empties it)."""
        self.token_label.setText(text)

    def set_state(self, busy: bool, loaded: bool, streaming: bool, has_conversation: bool) -> None:
        """Enable the buttons that apply: Send and Regenerate need an idle loaded engine, Stop
        a streaming reply, Edit last an idle engine and a conversation."""
        self.send_button.setEnabled(not busy and loaded)
        self.stop_button.setEnabled(streaming)
        self.regenerate_button.setEnabled(not busy and loaded and has_conversation)
        self.edit_button.setEnabled(not busy and has_conversation)
