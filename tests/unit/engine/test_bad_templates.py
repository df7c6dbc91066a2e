"""Chat templates that come broken with a model: whitespace only, or strict about alternation."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from slmdesk.engine.backend_base import BLANK_TEMPLATE_WARNING, ChatFormat, prepare_prompt
from slmdesk.engine.templates import (
    ALTERNATION_NOTE,
    ChatTemplate,
    TemplateError,
    merge_consecutive_turns,
    preflight,
)
from slmdesk.formats.detect import read_spec
from slmdesk.formats.gguf import read_gguf
from slmdesk.formats.onnx_genai import read_chat_template
from tests.gguf_factory import write_gguf

# Mistral-7B-Instruct-v0.1's tokenizer_config.json chat_template, verbatim: no system role,
# and two user turns in a row are refused with raise_exception (Llama 2's does the same).
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)

BLANKS = ("", " ", "\n", " \n\t \n")


@pytest.mark.parametrize("source", BLANKS)
def test_a_whitespace_only_template_gets_the_named_fallback_with_one_warning(source: str) -> None:
    chat = ChatFormat.create(source, "<s>", "</s>")
    assert chat.source == "fallback"
    assert chat.report.warning == BLANK_TEMPLATE_WARNING
    assert "ChatML" in chat.report.warning
    assert [note for note in chat.report.notes if "template" in note.lower()] == [BLANK_TEMPLATE_WARNING]
    prompt = chat.render([{"role": "user", "content": "Name the capital city of France."}])
    assert prompt == "<|im_start|>user\nName the capital city of France.<|im_end|>\n<|im_start|>assistant\n"
    assert chat.stop_strings == ("<|im_end|>", "<|im_start|>")


def test_a_missing_template_keeps_its_own_warning() -> None:
    chat = ChatFormat.create(None, "", "")
    assert chat.source == "fallback"
    assert chat.report.warning.startswith("This model has no chat template (it is probably a base model")


@pytest.mark.parametrize("source", [" ", "\n\t\n"])
def test_the_gguf_reader_reports_no_chat_template_for_whitespace(tmp_path: Path, source: str) -> None:
    [path] = write_gguf(tmp_path / "blank-template.gguf", chat_template=source)
    assert read_gguf(path).chat_template is None
    assert read_spec(path).chat_template is None
    [kept] = write_gguf(tmp_path / "real-template.gguf", chat_template=" {{ messages }} ")
    assert read_gguf(kept).chat_template == " {{ messages }} "


def test_a_split_set_with_a_whitespace_template_has_none(tmp_path: Path) -> None:
    parts = write_gguf(tmp_path / "blank.gguf", split=2, chat_template="\n\n")
    assert read_spec(parts[0]).chat_template is None


def test_model_folders_with_whitespace_templates_have_none(tmp_path: Path) -> None:
    jinja = tmp_path / "jinja"
    jinja.mkdir()
    (jinja / "chat_template.jinja").write_text("\n  \n", encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    (config / "tokenizer_config.json").write_text(json.dumps({"chat_template": "   "}), encoding="utf-8")
    assert read_chat_template(jinja) is None
    assert read_chat_template(config) is None


def test_merge_consecutive_turns_joins_same_role_neighbours_with_a_blank_line() -> None:
    messages = [
        {"role": "user", "content": "First question."},
        {"role": "user", "content": "Second question."},
        {"role": "assistant", "content": "Answer one."},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "Third."},
    ]
    before = [dict(m) for m in messages]
    assert merge_consecutive_turns(messages) == [
        {"role": "user", "content": "First question.\n\nSecond question."},
        {"role": "assistant", "content": "Answer one."},
        {"role": "user", "content": "Third."},
    ]
    assert messages == before  # the caller's history is not changed


def test_preflight_finds_a_template_that_demands_alternation() -> None:
    report = preflight(ChatTemplate(MISTRAL_TEMPLATE, "<s>", "</s>"))
    assert report.ok and not report.system_prompt_supported
    assert report.alternation_required
    assert any(note.startswith(ALTERNATION_NOTE) and "must alternate" in note for note in report.notes)
    relaxed = preflight(ChatTemplate("{% for m in messages %}{{ m['content'] }}{% endfor %}"))
    assert not relaxed.alternation_required


def test_two_user_turns_in_a_row_render_with_a_strict_template() -> None:
    chat = ChatFormat.create(MISTRAL_TEMPLATE, "<s>", "</s>")
    assert chat.source == "model"
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Name the capital city of France."},
        {"role": "user", "content": "And of Italy?"},
    ]
    assert chat.render(messages) == "<s>[INST] Be brief.\n\nName the capital city of France.\n\nAnd of Italy? [/INST]"


def test_a_refused_conversation_is_retried_once_with_joined_turns(caplog: pytest.LogCaptureFixture) -> None:
    chat = ChatFormat.create(MISTRAL_TEMPLATE, "<s>", "</s>")
    # As if the preflight had not noticed: the render itself must recover.
    unaware = dataclasses.replace(chat, report=dataclasses.replace(chat.report, alternation_required=False))
    messages = [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "One"},
        {"role": "user", "content": "Two"},
    ]
    with caplog.at_level(logging.WARNING, logger="slmdesk.engine.backend_base"):
        prompt = unaware.render(messages)
    assert prompt == "<s>[INST] Hello [/INST]Hi!</s>[INST] One\n\nTwo [/INST]"
    assert [record.getMessage().startswith(ALTERNATION_NOTE) for record in caplog.records] == [True]


def test_a_template_that_refuses_for_another_reason_still_fails() -> None:
    chat = ChatFormat.create(MISTRAL_TEMPLATE, "<s>", "</s>")
    with pytest.raises(TemplateError, match="must alternate"):
        chat.render([{"role": "assistant", "content": "I speak first."}, {"role": "user", "content": "Hi"}])


def test_prepare_prompt_keeps_every_turn_of_a_joined_conversation() -> None:
    chat = ChatFormat.create(MISTRAL_TEMPLATE, "<s>", "</s>")

    def tokenize(text: str, _contents: Sequence[str]) -> list[int]:
        return [ord(c) for c in text]

    messages = [{"role": "user", "content": "One"}, {"role": "user", "content": "Two"}]
    ids, dropped = prepare_prompt(chat, messages, tokenize, n_ctx=4096, max_tokens=16)
    assert dropped == ()
    assert "".join(map(chr, ids)) == "<s>[INST] One\n\nTwo [/INST]"
