"""The chat transcript: messages rendered as Markdown with their time and a Copy link, code
blocks coloured with Copy links, and the last reply's versions to flip through (‹ 2/3 ›).

Rendering is append-only. A conversation is rendered once when opened; a new message is
appended at the end of the document; while a reply streams, each token batch replaces only
the reply's last Markdown block (:class:`~slmdesk.ui.chat.markdown.StreamingMarkdown`), so a
batch costs the same in a 200-message chat as in an empty one
(``benchmarks/chat_transcript_speed.py``: about 55 ms per batch for the whole-document
``setHtml`` this replaced, against the 5 ms target).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QTime, QUrl, Signal, Slot
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QWidget

from slmdesk.inventory.conversations import MessageRecord
from slmdesk.ui.chat.highlight import CODE_CLASSES
from slmdesk.ui.chat.markdown import StreamingMarkdown, render_markdown
from slmdesk.ui.chat.texts import role_label, stats_line
from slmdesk.ui.i18n import format_datetime
from slmdesk.ui.palette import colour_hex, is_dark

__all__ = [
    "TranscriptMessage", "TranscriptView", "message_time", "render_markdown", "render_message", "stats_line",
    "style_sheet", "transcript_message", "transcript_messages",
]

def style_sheet(dark: bool | None = None) -> str:
    """The document's default style sheet, in the current (or the given) palette's colours
    (:mod:`slmdesk.ui.palette`), code colours included (:data:`CODE_CLASSES`): Qt applies it
    to setHtml() and to every later QTextCursor.insertHtml(), which a <style> element inside
    the HTML would not reach. Qt bakes these colours (and a link's colour) into the document
    when it parses the HTML: :class:`TranscriptView` renders its messages again on a palette
    change."""
    def c(role: str) -> str:
        return colour_hex(role, dark)

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
  a {{ color: {c("ui.link")}; }}
  a.copy {{ font-size: small; }}
  .meta {{ color: {c("text.muted")}; font-weight: normal; font-size: small; }}
""" + "".join(f"  .{name} {{ color: {c(role)}; }}\n" for name, role in CODE_CLASSES.items())


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
    created_at: datetime | None = None
    versions: tuple[int, int] | None = None
    """``(shown, count)`` of a regenerated reply's versions, ``shown`` from 1; None for one version."""


def message_time(created_at: datetime, now: datetime | None = None) -> str:
    """When a message was written, in local time and the locale's short format: the time
    alone (``'14:03'``, ``'2:03 PM'``) on the day of ``now`` (default: the current time), with
    the date (:func:`~slmdesk.ui.i18n.format_datetime`) on another day."""
    local = created_at.astimezone()
    today = (now or datetime.now()).astimezone().date()
    if local.date() != today:
        return format_datetime(local)
    return QLocale().toString(QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat)


def transcript_message(record: MessageRecord, versions: tuple[int, int] | None = None) -> TranscriptMessage:
    """A stored message as the transcript shows it: a reply's stats line, its note, whether it
    failed, when it was written and, for a regenerated last reply, ``versions`` (shown, count)."""
    stats = dict(record.stats or {})
    return TranscriptMessage(
        role=record.role,
        content=record.content,
        stats=stats_line(stats) if record.role == "assistant" and "completion_tokens" in stats else "",
        note=stats.get("note", ""),
        error=bool(stats.get("error")),
        created_at=record.created_at,
        versions=versions,
    )


def transcript_messages(
    history: Sequence[MessageRecord], last_versions: tuple[int, int] | None = None
) -> list[TranscriptMessage]:
    """Stored messages as the transcript shows them; a reply at the end gets ``last_versions``
    (its version switcher: :meth:`~slmdesk.chat.ChatSession.version_position`)."""
    shown = [transcript_message(record) for record in history]
    if shown and shown[-1].role == "assistant":
        shown[-1].versions = last_versions
    return shown


def _versions(versions: tuple[int, int]) -> str:
    shown, count = versions
    back = "<a href='version:-1'>‹</a>" if shown > 1 else "‹"
    forward = "<a href='version:1'>›</a>" if shown < count else "›"
    return f"{back} {shown}/{count} {forward}"


def _head(index: int, message: TranscriptMessage) -> str:
    """The role label, then in small muted type the time, the version switcher (the last reply
    only: the pane gives ``versions`` to no other) and a Copy link to ``copy-message:<index>``."""
    label = role_label(message.role)
    meta = [message_time(message.created_at)] if message.created_at else []
    if message.versions:
        meta.append(_versions(message.versions))
    copy = html.escape(QCoreApplication.translate("TranscriptView", "Copy", "link: copy a message"))
    meta.append(f"<a class='copy' href='copy-message:{index}'>{copy}</a>")
    return (f"<p class='role role-{html.escape(message.role)}'>{html.escape(label)}"
            f"<span class='meta'> · {' · '.join(meta)}</span></p>")


def _extra(message: TranscriptMessage) -> str:
    extra = ""
    if message.note:
        extra += f"<p class='{'error' if message.error else 'note'}'>{html.escape(message.note)}</p>"
    if message.stats:
        extra += f"<p class='stats'>{html.escape(message.stats)}</p>"
    return extra


def _copy_code() -> str:
    return QCoreApplication.translate("TranscriptView", "Copy code", "link: copy a code block")


def render_message(index: int, message: TranscriptMessage) -> str:
    """The HTML of one message (role label, Markdown body, note, stats); fills
    ``message.code_blocks``, whose Copy links point to ``copy:<index>:<k>``."""
    body, message.code_blocks = (
        render_markdown(message.content, f"copy:{index}:", _copy_code()) if message.content else ("", [])
    )
    return _head(index, message) + (body or PLACEHOLDER) + _extra(message)


class TranscriptView(QTextBrowser):
    """Read-only transcript; a message's "Copy" link puts its text (the Markdown as written) on
    the clipboard, a "Copy code" link that block; ‹ and › ask for another version of the last
    reply. A palette change (a new theme) renders the messages again in its colours."""

    copied = Signal(str)  # the text that was copied
    version_step_requested = Signal(int)
    """‹ (-1) or › (+1) on the last reply's version switcher was clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setAccessibleName(self.tr("Transcript"))
        self.setAccessibleDescription(self.tr("The messages of the conversation; links copy a message or a code block"))
        document = self.document()
        self._style_sheet = style_sheet(is_dark(self.palette()))
        document.setDefaultStyleSheet(self._style_sheet)
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
        # All but the last in one setHtml (fast); the last one as if appended and finished, so
        # that it can stream on (a regenerated or resent reply) like any other last message.
        self.setHtml("".join(render_message(i, m) for i, m in enumerate(self._messages[:-1])).rstrip())
        self._tail_start = self._live_start = self._end()
        if self._messages:
            self._render_last_whole(always=True)

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
        self._render_last_whole()

    def replace_last(self, message: TranscriptMessage) -> None:
        """Show ``message`` instead of the last message (another version of the reply)."""
        if not self._messages:
            self.update_last(message)
            return
        self._messages[-1] = message
        self._render_last_whole()

    def messages(self) -> list[TranscriptMessage]:
        """The messages on screen."""
        return list(self._messages)

    def changeEvent(self, event: QEvent) -> None:
        """A new palette (theme): the style sheet in its colours, every message rendered again
        (Qt keeps the colours a document was parsed with), the scroll position kept."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def apply_palette(self) -> None:
        """Render the transcript in the colours of the widget's palette (:func:`style_sheet`);
        nothing to do when they did not change."""
        sheet = style_sheet(is_dark(self.palette()))
        if sheet == self._style_sheet:
            return
        self._style_sheet = sheet
        self.document().setDefaultStyleSheet(sheet)
        if not self._messages:
            return
        scrollbar = self.verticalScrollBar()
        at_bottom, value = scrollbar.value() >= scrollbar.maximum() - 4, scrollbar.value()
        self.set_messages(self._messages)  # a streaming reply streams on from its whole render
        scrollbar.setValue(scrollbar.maximum() if at_bottom else value)

    # -- document edits -------------------------------------------------------------------
    def _render_last_whole(self, always: bool = False) -> None:
        """Render the last message whole (its code coloured); a later update streams it anew."""
        self._stream = None
        html_text = render_message(len(self._messages) - 1, self._messages[-1])
        self._keeping_bottom(lambda: self._replace_from(self._tail_start, html_text), always)
        self._live_start = self._end()

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
            self._stream = StreamingMarkdown(f"copy:{len(self._messages) - 1}:", _copy_code())
            self._replace_from(self._tail_start, _head(len(self._messages) - 1, message))
            self._live_start = self._end()
        update = self._stream.feed(message.content)
        if update.restarted:  # the text was replaced, not extended: redraw the whole message
            self._replace_from(self._tail_start, _head(len(self._messages) - 1, message))
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
        kind, _, where = url.toString().partition(":")
        try:
            if kind == "version":
                self.version_step_requested.emit(1 if int(where) > 0 else -1)
                return
            if kind == "copy-message":
                text = self._messages[int(where)].content
            elif kind == "copy":
                message_index, block_index = where.split(":")
                text = self._messages[int(message_index)].code_blocks[int(block_index)]
            else:
                return
        except (ValueError, IndexError):
            return
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
