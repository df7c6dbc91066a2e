"""The chat transcript: messages rendered as Markdown, code blocks with Copy links.

Rendering is append-only. A conversation is rendered once when opened; a new message is
appended at the end of the document; while a reply streams, each token batch replaces only
the reply's last Markdown block (:class:`~slmdesk.ui.chat.markdown.StreamingMarkdown`), so a
batch costs the same in a 200-message chat as in an empty one
(``benchmarks/chat_transcript_speed.py``: about 55 ms per batch for the whole-document
``setHtml`` this replaced, against the 5 ms target).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

from slmdesk.inventory.conversations import MessageRecord
from slmdesk.ui.chat.markdown import StreamingMarkdown, render_markdown
from slmdesk.ui.palette import colour_hex

__all__ = [
    "TranscriptMessage", "TranscriptView", "render_markdown", "render_message", "stats_line", "style_sheet",
    "transcript_message",
]

def style_sheet() -> str:
    """The document's default style sheet, in the current palette's colours
    (:mod:`slmdesk.ui.palette`): Qt applies it to setHtml() and to every later
    QTextCursor.insertHtml(), which a <style> element inside the HTML would not reach."""
    c = colour_hex
    return f"""
  .role {{ font-weight: bold; color: {c("text.role")}; margin-top: 14px; margin-bottom: 4px; }}
  .role-user {{ color: {c("role.user")}; }}
  .role-assistant {{ color: {c("role.assistant")}; }}
  .role-system {{ color: {c("role.system")}; }}
  pre {{ background: {c("code.background")}; padding: 6px; font-family: monospace; }}
  code {{ font-family: monospace; background: {c("code.background")}; }}
  .stats {{ color: {c("text.muted")}; font-size: small; }}
  .note {{ color: {c("text.warning")}; font-style: italic; }}
  .error {{ color: {c("text.error")}; }}
  a.copy {{ font-size: small; }}
"""


ROLE_LABELS = {"user": "You", "assistant": "Assistant", "system": "System"}
PLACEHOLDER = "<p>…</p>"  # an empty reply, before its first token

# Qt gives the first block of HTML inserted into a non-empty document the format of the block
# it lands in (margins, code background lost). Inserting this one-character paragraph first,
# to merge into the previous block and be deleted right after, lets every real block keep
# its own format; the result matches setHtml() block for block.
_SACRIFICE = "<p>X</p>"


@dataclass
class TranscriptMessage:
    """One message as the transcript shows it.

    ``stats`` is a short line under assistant replies ("42 tokens · TTFT 0.12 s · 63.1 tok/s");
    ``note`` flags things the user must know (dropped turns, a stopped or crashed reply).
    """

    role: str
    content: str
    stats: str = ""
    note: str = ""
    error: bool = False
    code_blocks: list[str] = field(default_factory=list)


def stats_line(stats: Mapping[str, Any]) -> str:
    """``'42 tokens · TTFT 0.12 s · 63.1 tok/s · prompt 18 tokens'`` for a finished reply's
    stored stats (:class:`~slmdesk.engine.types.GenerationStats` fields)."""
    parts = [f"{stats.get('completion_tokens', 0)} tokens"]
    if stats.get("ttft_s"):
        parts.append(f"TTFT {stats['ttft_s']:.2f} s")
    if stats.get("tg_tokens_per_s"):
        parts.append(f"{stats['tg_tokens_per_s']:.1f} tok/s")
    if stats.get("prompt_tokens"):
        parts.append(f"prompt {stats['prompt_tokens']} tokens")
    return " · ".join(parts)


def transcript_message(record: MessageRecord) -> TranscriptMessage:
    """A stored message as the transcript shows it: a reply's stats line, its note, and
    whether it failed."""
    stats = dict(record.stats or {})
    return TranscriptMessage(
        role=record.role,
        content=record.content,
        stats=stats_line(stats) if record.role == "assistant" and "completion_tokens" in stats else "",
        note=stats.get("note", ""),
        error=bool(stats.get("error")),
    )


def _head(message: TranscriptMessage) -> str:
    label = ROLE_LABELS.get(message.role, message.role)
    return f"<p class='role role-{html.escape(message.role)}'>{html.escape(label)}</p>"


def _extra(message: TranscriptMessage) -> str:
    extra = ""
    if message.note:
        extra += f"<p class='{'error' if message.error else 'note'}'>{html.escape(message.note)}</p>"
    if message.stats:
        extra += f"<p class='stats'>{html.escape(message.stats)}</p>"
    return extra


def render_message(index: int, message: TranscriptMessage) -> str:
    """The HTML of one message (role label, Markdown body, note, stats); fills
    ``message.code_blocks``, whose Copy links point to ``copy:<index>:<k>``."""
    body, message.code_blocks = render_markdown(message.content, f"copy:{index}:") if message.content else ("", [])
    return _head(message) + (body or PLACEHOLDER) + _extra(message)


class TranscriptView(QTextBrowser):
    """Read-only transcript; clicking a "Copy code" link puts that block on the clipboard."""

    copied = Signal(str)  # the text that was copied

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setAccessibleName("Conversation")
        document = self.document()
        document.setDefaultStyleSheet(style_sheet())
        document.setUndoRedoEnabled(False)  # read-only: an undo stack would only grow
        self._messages: list[TranscriptMessage] = []
        self._tail_start = 0  # document position where the last message begins
        self._live_start = 0  # where its part that may still change begins
        self._stream: StreamingMarkdown | None = None  # the last message's renderer
        self.anchorClicked.connect(self._on_anchor)

    # -- public ---------------------------------------------------------------------------
    def set_messages(self, messages: list[TranscriptMessage]) -> None:
        """Show a whole conversation, scrolled to its end: every message rendered once."""
        self._messages = list(messages)
        self._stream = None
        # All but the last in one setHtml (fast); the last one as if appended, so that it can
        # stream on (a regenerated or resent reply) like any other last message.
        self.setHtml("".join(render_message(i, m) for i, m in enumerate(self._messages[:-1])).rstrip())
        self._tail_start = self._live_start = self._end()
        if self._messages:
            self._keeping_bottom(lambda: self._refresh_last(self._messages[-1]), always=True)

    def update_last(self, message: TranscriptMessage) -> None:
        """Append ``message``, or re-show it if it already is the last one (a streaming reply
        grew, a note was added). Earlier messages are left as they are; of the last one only
        its last Markdown block is rendered again."""
        if self._messages and self._messages[-1] is message:
            self._keeping_bottom(lambda: self._refresh_last(message))
        else:
            self._messages.append(message)
            self._keeping_bottom(lambda: self._append(message))

    def finish_last(self, message: TranscriptMessage) -> None:
        """The reply ``message`` ended: render it whole once more (a Markdown link reference
        defined after its use resolves only in a whole render) and stop streaming it."""
        if not self._messages or self._messages[-1] is not message:
            self.update_last(message)
        self._stream = None
        html_text = render_message(len(self._messages) - 1, message)
        self._keeping_bottom(lambda: self._replace_from(self._tail_start, html_text))
        self._live_start = self._end()

    def messages(self) -> list[TranscriptMessage]:
        """The messages on screen."""
        return list(self._messages)

    # -- document edits -------------------------------------------------------------------
    def _end(self) -> int:
        return self.document().characterCount() - 1

    def _replace_from(self, position: int, html_text: str) -> None:
        """Replace everything from ``position`` to the end of the document with ``html_text``,
        each of its blocks with its own format (see ``_SACRIFICE``)."""
        # A newline after the last tag (markdown-it ends every block with one) would become a
        # space at the end of the last block; setHtml() drops it, insertHtml() does not.
        html_text = html_text.rstrip()
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        if position == 0:  # at the very start Qt keeps the first block's format itself
            cursor.insertHtml(html_text)
            return
        # The block that receives the sacrifice keeps its own formats (Qt gives an empty one,
        # such as the block it keeps after a table, the inserted paragraph's margins).
        block = self.document().findBlock(position)
        block_format, block_char_format = block.blockFormat(), block.charFormat()
        cursor.insertHtml(_SACRIFICE + html_text)
        cursor.setPosition(position)
        cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setBlockFormat(block_format)
        cursor.setBlockCharFormat(block_char_format)

    def _append(self, message: TranscriptMessage) -> None:
        self._tail_start = self._end()
        self._stream = None
        self._refresh_last(message)

    def _refresh_last(self, message: TranscriptMessage) -> None:
        """Show the last message from its live part on (all of it when not streaming yet)."""
        if self._stream is None:
            self._stream = StreamingMarkdown(f"copy:{len(self._messages) - 1}:")
            self._replace_from(self._tail_start, _head(message))
            self._live_start = self._end()
        update = self._stream.feed(message.content)
        if update.restarted:  # the text was replaced, not extended: redraw the whole message
            self._replace_from(self._tail_start, _head(message))
            self._live_start = self._end()
        if update.settled_html:
            self._replace_from(self._live_start, update.settled_html)
            self._live_start = self._end()
        live = update.live_html if message.content else PLACEHOLDER
        self._replace_from(self._live_start, live + _extra(message))
        message.code_blocks = self._stream.code_blocks

    def _keeping_bottom(self, change: Callable[[], None], always: bool = False) -> None:
        """Run ``change`` as one edit (Qt lays the document out once, not after each of its
        insertions and removals); then scroll to the end if the view was there (within 4
        pixels) or ``always``."""
        scrollbar = self.verticalScrollBar()
        at_bottom = always or scrollbar.value() >= scrollbar.maximum() - 4
        edit = QTextCursor(self.document())
        edit.beginEditBlock()
        try:
            change()
        finally:
            edit.endEditBlock()
        if at_bottom:
            scrollbar.setValue(scrollbar.maximum())

    @Slot(QUrl)
    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if not text.startswith("copy:"):
            return
        try:
            _, message_index, block_index = text.split(":")
            block = self._messages[int(message_index)].code_blocks[int(block_index)]
        except (ValueError, IndexError):
            return
        QGuiApplication.clipboard().setText(block)
        self.copied.emit(block)
