"""The transcript follows the theme: code blocks, code colours, role labels and links are drawn
in the palette's colours, and a message already on screen is drawn again in the new theme's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from slmdesk.ui.chat.transcript import TranscriptMessage, TranscriptView
from slmdesk.ui.palette import DARK, LIGHT
from slmdesk.ui.theme import apply_theme

REPLY = "Here:\n\n```python\ndef area(r):\n    return 3.14 * r * r  # approx\n```\n\nDone."


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    apply_theme(qapp, "light")
    yield
    apply_theme(qapp, "system")


def _code_look(view: TranscriptView) -> dict[str, str]:
    """Colours the code block is drawn with: its background and each highlighted word's colour,
    and the colours of the role label and the Copy code link."""
    found: dict[str, str] = {}
    block = view.document().begin()
    while block.isValid():
        if block.text().startswith("def area"):
            found["background"] = block.blockFormat().background().color().name()
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            found[fragment.text().strip()] = fragment.charFormat().foreground().color().name()
            iterator += 1
        block = block.next()
    return found


def test_code_blocks_take_the_new_themes_colours_when_it_changes(qtbot, qapp: QApplication, themed) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.set_messages([TranscriptMessage("user", "Area?"), TranscriptMessage("assistant", REPLY)])
    light = _code_look(view)
    assert light["background"] == LIGHT["code.background"]
    assert light["def"] == LIGHT["code.keyword"] and light["# approx"] == LIGHT["code.comment"]
    assert light["Assistant"] == LIGHT["role.assistant"] and light["Copy code"] == LIGHT["ui.link"]

    apply_theme(qapp, "dark")
    QApplication.processEvents()
    dark = _code_look(view)
    assert dark["background"] == DARK["code.background"]  # not the light grey under near-white text
    assert dark["def"] == DARK["code.keyword"] and dark["3.14"] == DARK["code.number"]
    assert dark["# approx"] == DARK["code.comment"]
    assert dark["Assistant"] == DARK["role.assistant"] and dark["You"] == DARK["role.user"]
    assert dark["Copy code"] == DARK["ui.link"]
    assert "Done." in view.toPlainText() and view.toPlainText().count("def area") == 1  # drawn once, not twice

    apply_theme(qapp, "light")
    QApplication.processEvents()
    assert _code_look(view) == light


def test_a_reply_streaming_during_a_theme_change_streams_on_in_the_new_colours(qtbot, qapp: QApplication,
                                                                               themed) -> None:
    view = TranscriptView()
    qtbot.addWidget(view)
    reply = TranscriptMessage("assistant", "Here:\n\n```python\ndef area(r):\n")
    view.set_messages([TranscriptMessage("user", "Area?")])
    view.update_last(reply)
    apply_theme(qapp, "dark")
    QApplication.processEvents()
    reply.content = REPLY
    view.update_last(reply)
    view.finish_last(reply)
    look = _code_look(view)
    assert look["background"] == DARK["code.background"] and look["def"] == DARK["code.keyword"]
    assert view.toPlainText().count("Here:") == 1 and view.toPlainText().count("Area?") == 1
