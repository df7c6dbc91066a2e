"""Each chat-template warning is shown once in the Chat pane's model bar.

The preflight lists every finding in ``template_notes``, the headline ``template_warning``
included, and the pane shows ``[template_warning, *template_notes]``: before the fix the
Gemma base model's "no chat template" warning (and every other) appeared twice.
"""

from __future__ import annotations

import pytest

from slmdesk.engine.backend_base import NO_TEMPLATE_WARNING, ChatFormat
from slmdesk.engine.types import LoadInfo
from slmdesk.ui.chat.model_bar import ModelBar, distinct_warnings

IGNORES_SYSTEM = (
    "{% for m in messages %}{% if m['role'] != 'system' %}<{{ m['role'] }}>{{ m['content'] }}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
)
REJECTS_SYSTEM = (
    "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}"
)
IGNORES_BOTH = (
    "{% for m in messages %}{% if m['role'] != 'system' %}<{{ m['role'] }}>{{ m['content'] }}{% endif %}"
    "{% endfor %}"
)


def load_info(template: str | None) -> LoadInfo:
    """What the engine reports after loading a model with ``template`` (None: a base model)."""
    chat = ChatFormat.create(template, "<s>", "</s>")
    return LoadInfo(
        path="/models/m.gguf", backend="llama.cpp", backend_version="0", n_ctx=512,
        template_warning=chat.report.warning, template_notes=chat.report.notes,
    )


def shown_lines(qtbot, info: LoadInfo) -> list[str]:
    bar = ModelBar()
    qtbot.addWidget(bar)
    bar.show_warnings([info.template_warning, *info.template_notes])  # as ChatPane._on_loaded does
    assert bar.warning_label.isVisibleTo(bar) == bool(bar.warning_label.text())
    return bar.warning_label.text().splitlines()


def test_a_base_model_warning_is_shown_once(qtbot) -> None:
    assert shown_lines(qtbot, load_info(None)) == [NO_TEMPLATE_WARNING]


@pytest.mark.parametrize("template", [IGNORES_SYSTEM, REJECTS_SYSTEM], ids=["ignores", "rejects"])
def test_a_system_prompt_warning_is_shown_once(qtbot, template: str) -> None:
    info = load_info(template)
    lines = shown_lines(qtbot, info)
    assert len(lines) == 1
    assert info.template_warning in lines[0], "the fullest wording is kept"
    assert "system prompt will be merged" in lines[0]


def test_different_findings_are_all_shown(qtbot) -> None:
    lines = shown_lines(qtbot, load_info(IGNORES_BOTH))
    assert len(lines) == 2
    assert any("ignores system messages" in line for line in lines)
    assert any("ignores add_generation_prompt" in line for line in lines)


def test_no_findings_hide_the_label(qtbot) -> None:
    assert shown_lines(qtbot, LoadInfo(path="m.gguf", backend="llama.cpp", backend_version="0", n_ctx=512)) == []


def test_distinct_warnings_keeps_order_and_drops_blanks() -> None:
    assert distinct_warnings(["b", "", "a", "b", "  ", "a (why)"]) == ["b", "a (why)"]
