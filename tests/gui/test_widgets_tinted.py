"""TintedLabel: a message coloured with a palette role that follows a theme change, and an error
(its message in the error colour, then the hint) shown escaped."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget

from slmdesk.ui.palette import DARK, LIGHT, colour_hex, is_dark
from slmdesk.ui.theme import apply_theme
from slmdesk.ui.widgets.tinted import TintedLabel


def test_a_role_colours_the_text_and_follows_the_theme(qtbot, qapp: QApplication) -> None:
    label = TintedLabel("Saved.", role="text.ok")
    qtbot.addWidget(label)
    label.show()
    assert label.role() == "text.ok"
    assert label.styleSheet() == f"color: {colour_hex('text.ok', is_dark())};"
    try:
        apply_theme(qapp, "dark")
        assert label.styleSheet() == f"color: {DARK['text.ok']};"
        apply_theme(qapp, "light")
        assert label.styleSheet() == f"color: {LIGHT['text.ok']};"
        assert LIGHT["text.ok"] != DARK["text.ok"]
    finally:
        apply_theme(qapp, "system")
    assert label.styleSheet() == f"color: {colour_hex('text.ok')};"


def test_no_role_is_the_normal_text_colour(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    label = TintedLabel(parent)  # a parent alone, as QLabel(parent)
    assert label.parent() is parent and label.text() == ""
    label.set_role("text.warning")
    assert label.styleSheet() == f"color: {colour_hex('text.warning')};"
    label.set_role(None)
    assert label.role() is None and label.styleSheet() == ""
    label.set_role("")
    assert label.role() is None and label.styleSheet() == ""


def test_an_error_is_escaped_coloured_and_in_the_tooltip(qtbot, qapp: QApplication) -> None:
    label = TintedLabel()
    qtbot.addWidget(label)
    label.set_error("Can't read <model.gguf> & co", "Try <b>again</b>.", "<br>")
    error = colour_hex("text.error")
    assert label.has_error()
    assert label.text() == (f"<span style='color:{error}'>Can&#x27;t read &lt;model.gguf&gt; &amp; co</span>"
                            "<br>Try &lt;b&gt;again&lt;/b&gt;.")
    assert label.toolTip() == "Can't read <model.gguf> & co\nTry <b>again</b>."
    try:
        apply_theme(qapp, "dark")
        assert f"color:{DARK['text.error']}" in label.text()
        apply_theme(qapp, "light")
        assert f"color:{LIGHT['text.error']}" in label.text()
    finally:
        apply_theme(qapp, "system")


def test_plain_text_replaces_an_error_for_good(qtbot, qapp: QApplication) -> None:
    label = TintedLabel()
    qtbot.addWidget(label)
    label.set_error("Offline", "")
    assert label.text().endswith("</span> ") and label.toolTip() == "Offline"
    label.setText("Three results")
    assert not label.has_error()
    try:
        apply_theme(qapp, "dark")  # a theme change does not bring the error back
        assert label.text() == "Three results"
    finally:
        apply_theme(qapp, "system")
    label.set_error("Offline", "")
    label.clear()
    assert not label.has_error() and label.text() == ""
