"""ElidedLabel: long text shortened to the width, the whole of it in the tooltip."""

from __future__ import annotations

from slmdesk.ui.widgets.elided import ElidedLabel

PATH = "/home/someone/.cache/huggingface/hub/models--org--name/snapshots/abc/model-Q4_K_M.gguf"


def test_a_narrow_label_shows_less_and_keeps_the_full_text(qtbot) -> None:
    label = ElidedLabel(PATH)
    qtbot.addWidget(label)
    label.resize(120, 30)
    label.show()
    assert label.toolTip() == PATH and label.text() == PATH
    shown = label.displayed_text()
    assert len(shown) < len(PATH) and "…" in shown
    assert shown.endswith("gguf")  # the middle goes, the file name stays

    label.resize(label.sizeHint().width() + 20, 30)
    assert label.displayed_text() == PATH and not label.is_elided()
    assert label.minimumSizeHint().width() < 60  # never forces a layout wider


def test_new_text_replaces_the_tooltip(qtbot) -> None:
    label = ElidedLabel()
    qtbot.addWidget(label)
    label.setText("short")
    assert label.toolTip() == "short"
    label.clear()
    assert label.text() == "" and label.displayed_text() == ""
