"""The chat transcript renders Markdown safely and copies code blocks."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication

from slmdesk.ui.chat.transcript import (
    TranscriptMessage,
    TranscriptView,
    render_markdown,
    render_message,
)


def test_markdown_renders_code_tables_and_escapes_html() -> None:
    html, blocks = render_markdown(
        "Use **this**:\n\n```python\nprint('hi')\n```\n\n<img src=x onerror=alert(1)>\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"
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


def _blocks(view: TranscriptView) -> list[tuple]:
    """Every block's text, margins, code background and each fragment's text, weight, colour
    and link: what the user sees, compared across two ways of building a document."""
    out, block = [], view.document().begin()
    while block.isValid():
        fmt = block.blockFormat()
        fragments = []
        iterator = block.begin()
        while not iterator.atEnd():
            char = iterator.fragment().charFormat()
            fragments.append((iterator.fragment().text(), char.fontWeight(), char.fontItalic(),
                              char.foreground().color().name(), char.anchorHref()))
            iterator += 1
        out.append((block.text(), fmt.topMargin(), fmt.bottomMargin(), fmt.background().color().name(),
                    fmt.nonBreakableLines(), block.textList() is not None, tuple(fragments)))
        block = block.next()
    return out


REPLY = (
    "Here is a plan:\n\n1. Measure\n2. Compare\n\n| size | speed |\n|---|---|\n| 4 GB | 60 tok/s |\n\n"
    "```python\nprint('a')\n```\n\nSome **bold** text and `code`.\n\n> quoted\n\n```\nsecond()\n```\n\nDone."
)


def test_streaming_touches_only_the_streaming_message_and_ends_as_a_whole_render(qtbot) -> None:
    history = [TranscriptMessage("user", "Plan?"), TranscriptMessage("assistant", "Sure:\n\n```\nold()\n```"),
               TranscriptMessage("user", "Again, longer.")]
    view = TranscriptView()
    qtbot.addWidget(view)
    view.set_messages(history)
    reply = TranscriptMessage("assistant", "")
    view.update_last(reply)
    earlier = view.toPlainText()[: view.toPlainText().rindex("\nAssistant")]  # up to the reply's block break
    changed: list[int] = []
    view.document().contentsChange.connect(lambda position, _removed, _added: changed.append(position))
    for end in range(3, len(REPLY) + 3, 7):  # about two tokens a batch
        reply.content = REPLY[:end]
        view.update_last(reply)
    reply.stats, reply.note = "40 tokens · 61.0 tok/s", "Stopped by you."
    view.update_last(reply)

    # Earlier messages were never re-rendered: every edit began at or after their end.
    assert changed and min(changed) >= len(earlier) and view.toPlainText().startswith(earlier + "\nAssistant")
    assert reply.code_blocks == ["print('a')\n", "second()\n"]
    with qtbot.waitSignal(view.copied) as blocker:
        view.anchorClicked.emit(QUrl("copy:3:1"))
    assert blocker.args == ["second()\n"]
    whole = TranscriptView()
    qtbot.addWidget(whole)
    # (The trailing newline markdown-it ends with would be a trailing space in a whole render.)
    whole.setHtml("".join(render_message(i, m) for i, m in enumerate([*history, reply])).rstrip())
    assert _blocks(view) == _blocks(whole)  # same blocks, formats and links as a whole render
    view.finish_last(reply)
    assert _blocks(view) == _blocks(whole)
    assert "Stopped by you." in view.toPlainText() and "60 tok/s" in view.toPlainText()


def test_a_replaced_reply_and_a_reopened_conversation_render_like_new(qtbot) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    reply = TranscriptMessage("assistant", "First draft.\n\nWith two paragraphs.\n")
    view.set_messages([TranscriptMessage("user", "Hi"), reply])
    reply.content = "A different answer."  # not an extension: the message is drawn again
    view.update_last(reply)
    assert "First draft" not in view.toPlainText() and view.toPlainText().endswith("A different answer.")
    view.set_messages([])
    assert view.toPlainText() == "" and view.messages() == []
    view.update_last(TranscriptMessage("user", "Fresh start"))
    assert view.toPlainText() == "You · Copy\nFresh start"


def test_an_opened_conversation_shows_its_end_and_streaming_follows_it_unless_scrolled_up(qtbot) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    long = [TranscriptMessage("user" if i % 2 == 0 else "assistant", f"Message {i}.\n\n" + "words " * 60)
            for i in range(20)]
    view.set_messages(long)
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == bar.maximum()
    reply = TranscriptMessage("assistant", "")
    view.update_last(reply)
    reply.content = "more " * 200
    view.update_last(reply)
    assert bar.value() == bar.maximum()  # followed the growing reply
    bar.setValue(0)  # the user scrolls up to read
    reply.content += "and more " * 100
    view.update_last(reply)
    assert bar.value() == 0
