"""The chat transcript: messages rendered as Markdown (markdown-it-py), code blocks with Copy links."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTextBrowser, QWidget

# CommonMark with tables; raw HTML in model output is escaped, never rendered.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_STYLE = """
<style>
  .msg { margin: 6px 0 14px 0; }
  .role { font-weight: bold; color: #57606a; }
  .user .role { color: #0550ae; }
  .assistant .role { color: #1a7f37; }
  .system .role { color: #8250df; }
  pre { background: #f6f8fa; padding: 6px; font-family: monospace; }
  code { font-family: monospace; background: #f6f8fa; }
  .stats { color: #6e7781; font-size: small; }
  .note { color: #9a6700; font-style: italic; }
  .error { color: #cf222e; }
  a.copy { font-size: small; }
</style>
"""


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


def render_markdown(text: str) -> tuple[str, list[str]]:
    """Render Markdown to HTML; return ``(html, code blocks)``.

    Each fenced or indented code block is followed by a ``copy:<k>`` link whose index ``k``
    counts blocks within this text. Raw HTML in ``text`` is shown as text, not interpreted.
    """
    tokens = _MARKDOWN.parse(text)
    blocks: list[str] = []
    for token in tokens:
        if token.type in ("fence", "code_block"):
            blocks.append(token.content)
    rendered = _MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {})
    # Append a Copy link after each </pre> in order.
    parts = rendered.split("</pre>")
    out = []
    for k, part in enumerate(parts[:-1]):
        out.append(f"{part}</pre><a class='copy' href='copy:{k}'>Copy code</a>")
    out.append(parts[-1])
    return "".join(out), blocks


class TranscriptView(QTextBrowser):
    """Read-only transcript; clicking a "Copy code" link puts that block on the clipboard."""

    copied = Signal(str)  # the text that was copied

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setAccessibleName("Conversation")
        self._messages: list[TranscriptMessage] = []
        self._rendered: list[str] = []
        self.anchorClicked.connect(self._on_anchor)

    def set_messages(self, messages: list[TranscriptMessage]) -> None:
        """Show a whole conversation (re-renders every message)."""
        self._messages = list(messages)
        self._rendered = [self._render(i, m) for i, m in enumerate(self._messages)]
        self._show()

    def update_last(self, message: TranscriptMessage) -> None:
        """Replace (or append) the last message: used while a reply streams."""
        if self._messages and self._messages[-1] is message:
            self._rendered[-1] = self._render(len(self._messages) - 1, message)
        else:
            self._messages.append(message)
            self._rendered.append(self._render(len(self._messages) - 1, message))
        self._show()

    def messages(self) -> list[TranscriptMessage]:
        """The messages on screen."""
        return list(self._messages)

    def _render(self, index: int, message: TranscriptMessage) -> str:
        body, blocks = render_markdown(message.content) if message.content else ("", [])
        message.code_blocks = blocks
        body = body.replace("href='copy:", f"href='copy:{index}:")
        label = {"user": "You", "assistant": "Assistant", "system": "System"}.get(message.role, message.role)
        extra = ""
        if message.note:
            css = "error" if message.error else "note"
            extra += f"<p class='{css}'>{html.escape(message.note)}</p>"
        if message.stats:
            extra += f"<p class='stats'>{html.escape(message.stats)}</p>"
        return (
            f"<div class='msg {html.escape(message.role)}'><span class='role'>{label}</span>"
            f"{body or '<p>…</p>'}{extra}</div>"
        )

    def _show(self) -> None:
        scrollbar = self.verticalScrollBar()
        at_bottom = scrollbar.value() >= scrollbar.maximum() - 4
        self.setHtml(_STYLE + "".join(self._rendered))
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
