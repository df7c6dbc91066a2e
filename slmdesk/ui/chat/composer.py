"""The Chat pane's composer: notices, the message box, the token count and the turn buttons."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from slmdesk.ui.i18n import format_number
from slmdesk.ui.widgets.tinted import TintedLabel


def send_key_hint(enter_sends: bool) -> str:
    """How to send and how to start a new line, for the box's placeholder and Send's tooltip."""
    if enter_sends:
        return QCoreApplication.translate("Composer", "Enter to send, Shift+Enter for a new line")
    return QCoreApplication.translate("Composer", "Ctrl+Enter to send")


class Composer(QWidget):
    """A notice line (dropped turns, failures), the message box, then the conversation's token
    count and Edit last / Regenerate / Stop / Send. In the box, Enter sends and Shift+Enter
    starts a new line (with ``enter_sends`` off, Enter starts a new line); the pane's
    shortcuts (Ctrl+Enter sends, Esc stops) work wherever the focus is in the pane."""

    send_requested = Signal()
    stop_requested = Signal()
    regenerate_requested = Signal()
    edit_requested = Signal()

    def __init__(self, parent: QWidget | None = None, enter_sends: bool = True) -> None:
        super().__init__(parent)
        self._enter_sends = enter_sends
        self.notice_label = TintedLabel(self, role="text.warning")
        self.notice_label.setWordWrap(True)
        self.notice_label.hide()
        self.input_edit = QPlainTextEdit(self)
        self.input_edit.setAccessibleName(self.tr("Message"))
        self.input_edit.setAccessibleDescription(self.tr("The message to send to the model"))
        self.input_edit.setMaximumHeight(110)
        self.input_edit.installEventFilter(self)
        self.token_label = QLabel(self)
        # Wraps (at 1024 pixels the row is narrow) rather than pushing the buttons off the pane.
        self.token_label.setWordWrap(True)
        self.edit_button = QPushButton(self.tr("Edit last"), self)
        self.edit_button.setToolTip(self.tr("Put your last message back in the box to change and resend it"))
        self.edit_button.clicked.connect(self.edit_requested)
        self.regenerate_button = QPushButton(self.tr("Regenerate"), self)
        self.regenerate_button.setToolTip(self.tr("Generate the last reply again; earlier versions are kept"))
        self.regenerate_button.clicked.connect(self.regenerate_requested)
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setToolTip(self.tr("Stop the reply (Esc)"))
        self.stop_button.clicked.connect(self.stop_requested)
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.clicked.connect(self.send_requested)
        self.set_enter_sends(enter_sends)

        buttons = QHBoxLayout()
        buttons.addWidget(self.token_label, 1)
        for button in (self.edit_button, self.regenerate_button, self.stop_button, self.send_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.input_edit)
        layout.addLayout(buttons)

    def set_enter_sends(self, enter_sends: bool) -> None:
        """Whether Enter sends (Shift+Enter then starts a new line) or starts a new line."""
        self._enter_sends = enter_sends
        hint = send_key_hint(enter_sends)
        self.input_edit.setPlaceholderText(self.tr("Message ({hint})").format(hint=hint))
        self.send_button.setToolTip(self.tr("Send ({hint})").format(hint=hint))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the message box: send, or with Shift a new line (``enter_sends``); Ctrl+Enter
        is left to the pane's shortcut and, with ``enter_sends`` off, Enter to the box."""
        if (watched is self.input_edit and self._enter_sends and isinstance(event, QKeyEvent)
                and event.type() == QEvent.Type.KeyPress):
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if modifiers == Qt.KeyboardModifier.ShiftModifier:
                    self.input_edit.insertPlainText("\n")  # a plain newline, not Qt's line separator
                    return True
                if modifiers == Qt.KeyboardModifier.NoModifier:
                    self.send_requested.emit()
                    return True
        return super().eventFilter(watched, event)

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

    def show_tokens(self, used: int, n_ctx: int | None) -> None:
        """``'Conversation: 1,234 / 4,096 tokens'``: the context window the conversation fills
        (``used`` tokens of ``n_ctx``, in the locale's number format); empty without a loaded
        model (``n_ctx`` None); without the window's size when it is unknown (0: a remote server
        that does not say)."""
        if n_ctx is None:
            self.set_token_text("")
        elif n_ctx:
            self.set_token_text(self.tr("Conversation: {used} / %Ln token(s)", "of the context window", n_ctx)
                                .format(used=format_number(used)))
        else:
            self.set_token_text(self.tr("Conversation: %Ln token(s)", "context window size unknown", used))
        self.token_label.setToolTip(self.tr("Tokens of the context window that the conversation fills")
                                    if n_ctx is not None else "")

    def show_dropped(self, count: int, n_ctx: int) -> None:
        """Say that the engine left the ``count`` oldest messages out of a reply to fit ``n_ctx``."""
        self.show_notice(self.tr(
            "The conversation is longer than the context window (n_ctx {n_ctx}): the %Ln oldest "
            "message(s) were left out of this reply; the system prompt was kept. Start a new chat "
            "to keep everything in view.", "", count).format(n_ctx=n_ctx))

    def set_state(self, busy: bool, loaded: bool, streaming: bool, has_messages: bool, ends_with_reply: bool) -> None:
        """Enable the buttons that apply: Send needs an idle loaded engine, Regenerate that and
        a reply at the end of the conversation, Stop a streaming reply, Edit last an idle
        engine and a message to take back."""
        self.send_button.setEnabled(not busy and loaded)
        self.stop_button.setEnabled(streaming)
        self.regenerate_button.setEnabled(not busy and loaded and ends_with_reply)
        self.edit_button.setEnabled(not busy and has_messages)
