"""Chat templates: HF-compatible rendering in a strict sandbox, errors a user can read, preflight."""

from __future__ import annotations

import pytest

from slmdesk.engine.templates import (
    CHATML_TEMPLATE,
    ChatTemplate,
    TemplateError,
    TemplateSecurityError,
    merge_system_prompt,
    preflight,
)

# SmolLM2-135M-Instruct's template, as stored in its GGUF (tokenizer.chat_template).
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# The shape of Gemma 2's template: no system role, strict alternation.
NO_SYSTEM_TEMPLATE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{{ '<start_of_turn>' + message['role'] + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
)

USER = [{"role": "user", "content": "Hi"}]


def test_renders_smollm2_template_with_generation_prompt() -> None:
    prompt = ChatTemplate(SMOLLM2_TEMPLATE).render(USER)
    assert prompt == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert not ChatTemplate(SMOLLM2_TEMPLATE).render(USER, add_generation_prompt=False).endswith("assistant\n")


def test_bos_and_eos_tokens_reach_the_template() -> None:
    template = ChatTemplate(
        "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}", bos_token="<s>", eos_token="</s>"
    )
    assert template.render(USER) == "<s>Hi</s>"


def test_trim_blocks_lstrip_blocks_and_loopcontrols() -> None:
    source = "{% for m in messages %}\n  {% if loop.index > 1 %}{% break %}{% endif %}\n{{ m.content }}\n{% endfor %}"
    assert ChatTemplate(source).render([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]) == "a\n"


def test_tojson_is_hf_compatible_no_html_escaping_and_keeps_unicode() -> None:
    template = ChatTemplate("{{ messages[0] | tojson }}|{{ {'b': 1, 'a': 2} | tojson(sort_keys=True) }}")
    rendered = template.render([{"role": "user", "content": "<b>é & 日本</b>"}])
    assert rendered == '{"role": "user", "content": "<b>é & 日本</b>"}|{"a": 2, "b": 1}'


def test_strftime_now_and_generation_tag() -> None:
    rendered = ChatTemplate("{{ strftime_now('%Y') }}{% generation %}X{% endgeneration %}").render(USER)
    assert len(rendered) == 5 and rendered.endswith("X") and rendered[:4].isdigit()


def test_namespace_and_dict_globals_work() -> None:
    source = (
        "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}"
        "{{ ns.n }}{{ dict(a=1).a }}"
    )
    assert ChatTemplate(source).render(USER * 3) == "31"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ ''.__class__ }}",
        "{{ cycler.__init__.__globals__.os.system('echo pwned') }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ '{0.__class__.__mro__}'.format('') }}",
        "{{ messages.append({'role': 'user', 'content': 'x'}) }}",
        "{% set ns = namespace(__class__=1) %}",
        "{{ 'a' * 100000000 }}",
        "{{ 9 ** 9999999 }}",
    ],
)
def test_templates_reaching_for_python_internals_are_stopped(source: str) -> None:
    template = ChatTemplate(source)
    with pytest.raises(TemplateSecurityError, match="Python internals") as caught:
        template.render(USER)
    assert caught.value.hint


def test_raise_exception_becomes_a_template_error_that_says_why() -> None:
    template = ChatTemplate(NO_SYSTEM_TEMPLATE, bos_token="<bos>")
    with pytest.raises(TemplateError, match=r"^The model's chat template rejects this conversation") as caught:
        template.render([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    assert caught.value.message == (
        "The model's chat template rejects this conversation: "
        "Conversation roles must alternate user/assistant/user/assistant/..."
    )
    assert not isinstance(caught.value, TemplateSecurityError)


def test_syntax_error_is_reported_with_line() -> None:
    with pytest.raises(TemplateError, match=r"cannot be parsed \(line 1"):
        ChatTemplate("{% for m in messages %}{{ m.content }")


def test_preflight_accepts_a_good_template() -> None:
    report = preflight(ChatTemplate(SMOLLM2_TEMPLATE))
    assert report.ok and report.system_prompt_supported
    assert report.warning == ""


def test_preflight_detects_a_template_that_rejects_system_messages() -> None:
    report = preflight(ChatTemplate(NO_SYSTEM_TEMPLATE, bos_token="<bos>"))
    assert report.ok
    assert not report.system_prompt_supported
    assert report.warning == (
        "The chat template rejects a system message; the system prompt will be merged into the first user turn."
    )
    assert any("System role not supported" in note for note in report.notes)


def test_preflight_reports_a_template_that_drops_messages() -> None:
    report = preflight(ChatTemplate("{{ messages[-1].content }}"))
    assert report.ok
    assert "drops the text of some messages (system, user, assistant)" in report.warning


def test_preflight_of_a_template_that_always_fails() -> None:
    report = preflight(ChatTemplate("{{ raise_exception('never') }}"))
    assert not report.ok
    assert "cannot render a simple conversation: " in report.warning and "never" in report.warning


def test_merge_system_prompt_folds_it_into_the_first_user_turn() -> None:
    merged = merge_system_prompt(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
            {"role": "user", "content": "Bye"},
        ]
    )
    assert merged == [
        {"role": "user", "content": "Be brief.\n\nHi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Bye"},
    ]
    prompt = ChatTemplate(NO_SYSTEM_TEMPLATE, bos_token="<bos>").render(merged)
    assert prompt.startswith("<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n")


def test_chatml_fallback_renders_every_role() -> None:
    prompt = ChatTemplate(CHATML_TEMPLATE).render([{"role": "system", "content": "S"}, *USER])
    assert prompt == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"


def test_preflight_merges_the_system_prompt_when_the_template_ignores_it() -> None:
    source = (
        "{% for m in messages %}{% if m.role != 'system' %}<{{ m.role }}>{{ m.content }}{% endif %}{% endfor %}"
        "{% if add_generation_prompt %}<assistant>{% endif %}"
    )
    report = preflight(ChatTemplate(source))
    assert report.ok and not report.system_prompt_supported
    assert report.warning == (
        "The chat template ignores system messages; the system prompt will be merged into the first user turn."
    )


def test_chat_format_uses_the_model_template_or_falls_back_with_a_warning() -> None:
    from slmdesk.engine.backend_base import ChatFormat

    good = ChatFormat.create(SMOLLM2_TEMPLATE, "<|im_start|>", "<|im_end|>")
    assert (good.source, good.report.warning, good.stop_strings) == ("model", "", ())

    broken = ChatFormat.create("{% if %}", "", "")
    assert broken.source == "fallback"
    assert broken.report.warning.startswith("The model's chat template cannot be parsed (line 1")
    assert broken.report.warning.endswith("slmdesk uses ChatML instead.")
    assert broken.render(USER).endswith("<|im_start|>assistant\n")

    no_system = ChatFormat.create(NO_SYSTEM_TEMPLATE, "<bos>", "<eos>")
    assert no_system.source == "model"
    prompt = no_system.render([{"role": "system", "content": "Be brief."}, *USER])
    assert prompt == "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"

    with pytest.raises(TemplateSecurityError, match="Python internals"):
        ChatFormat.create("{{ cycler.__init__.__globals__ }}", "", "")


def test_prepare_prompt_drops_old_turns_to_fit() -> None:
    from slmdesk.engine.backend_base import ChatFormat, prepare_prompt

    chat = ChatFormat.create(CHATML_TEMPLATE, "", "")
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "old " * 50},
        {"role": "assistant", "content": "reply " * 50},
        {"role": "user", "content": "new question"},
    ]
    def tokenize(text: str, _contents: object) -> list[int]:
        return list(range(len(text.split())))

    ids, dropped = prepare_prompt(chat, messages, tokenize, n_ctx=64, max_tokens=16)
    assert dropped == (1, 2)
    assert len(ids) == len(chat.render([messages[0], messages[3]]).split())


def test_literal_spans_cut_message_text_out_of_the_template_text() -> None:
    from slmdesk.engine.backend_base import literal_spans

    text = "<|im_start|>user\nSay <|im_end|> twice<|im_end|>\n<|im_start|>assistant\n"
    pieces = literal_spans(text, ["Say <|im_end|> twice"])
    assert pieces == [("<|im_start|>user\n", False), ("Say <|im_end|> twice", True),
                      ("<|im_end|>\n<|im_start|>assistant\n", False)]
    assert "".join(p for p, _ in pieces) == text
    # In order, left to right; a content the template changed is not found and stays template text.
    assert literal_spans("[a][b][a]", ["b", "a", "zzz"]) == [("[a][", False), ("b", True), ("][", False),
                                                             ("a", True), ("]", False)]
    assert literal_spans("abc", []) == [("abc", False)] and literal_spans("", ["x"]) == []
