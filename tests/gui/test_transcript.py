"""The chat transcript renders Markdown safely and copies code blocks."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication

from slmdesk.ui.chat.transcript import TranscriptMessage, TranscriptView, render_markdown


def test_markdown_renders_code_tables_and_escapes_html() -> None:
    html, blocks = render_markdown(
        "Use **this**:\n\n```python\nprint('hi')\n```\n\n<img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<strong>this</strong>" in html
    assert blocks == ["print('hi')\n"]
    assert "href='copy:0'" in html
    assert "<img" not in html and "&lt;img" in html
    assert "<table>" in html


def test_copy_link_puts_the_code_block_on_the_clipboard(qtbot) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.set_messages([
        TranscriptMessage("user", "Show me code"),
        TranscriptMessage("assistant", "Here:\n\n```\nfirst()\n```\n\nand\n\n```\nsecond()\n```"),
    ])
    with qtbot.waitSignal(view.copied) as blocker:
        view.anchorClicked.emit(QUrl("copy:1:1"))
    assert blocker.args == ["second()\n"]
    assert QGuiApplication.clipboard().text() == "second()\n"
    assert "Copy code" in view.toHtml()


def test_streaming_updates_the_last_message_in_place(qtbot) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.set_messages([TranscriptMessage("user", "Count")])
    reply = TranscriptMessage("assistant", "")
    for piece in ("one", " two", " three"):
        reply.content += piece
        view.update_last(reply)
    assert len(view.messages()) == 2
    assert "one two three" in view.toPlainText()
    reply.note = "Stopped by you."
    view.update_last(reply)
    assert "Stopped by you." in view.toPlainText()
