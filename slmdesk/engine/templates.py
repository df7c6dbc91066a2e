"""Chat templates: sandboxed Jinja rendering, the ChatML fallback and the load-time preflight.

A chat template is untrusted code that came with a downloaded model. It is rendered in
``jinja2.sandbox.ImmutableSandboxedEnvironment`` with the Hugging Face conventions (the same
as transformers' ``chat_template_utils._compile_jinja_template`` and llama-cpp-python's
``Jinja2ChatFormatter``): ``trim_blocks``, ``lstrip_blocks``, the ``loopcontrols`` extension,
a pass-through ``{% generation %}`` tag, the globals ``raise_exception`` and ``strftime_now``,
an HF-compatible ``tojson`` filter and the variables ``messages``, ``bos_token``,
``eos_token``, ``add_generation_prompt``. On top of the sandbox, any access to an unsafe
attribute (``__class__``, ``__globals__`` ...) fails at once with
:class:`TemplateSecurityError` instead of rendering as an empty string, and string/list
repetition is capped so a template cannot exhaust memory.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.utils
from jinja2 import exceptions as jinja_errors
from jinja2.sandbox import ImmutableSandboxedEnvironment

from slmdesk.core.errors import UserError
from slmdesk.engine.types import Message

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
"""The fallback for models without a chat template: ChatML (``<|im_start|>role\\n...<|im_end|>``),
the format of Qwen, SmolLM, Hermes and most small instruct models on the Hub. A base model
(for example Gemma 3 270M) was not trained on any chat format, so its replies under this
fallback are continuations rather than answers; :class:`LoadInfo.template_warning` says so."""

CHATML_STOP_STRINGS = ("<|im_end|>", "<|im_start|>")
"""Stop strings added with the fallback: in a vocabulary without ChatML tokens these markers
are plain text, so no EOG token would end the reply."""

MAX_REPEAT_CHARS = 1_000_000
"""Largest string or list a template may build with ``*`` (one million items)."""

PREFLIGHT_CONVERSATION: tuple[Message, ...] = (
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hello, who are you?"},
    {"role": "assistant", "content": "I am an assistant."},
    {"role": "user", "content": "What can you do?"},
)
"""The test conversation rendered at load time (system, user, assistant, user)."""

PREFLIGHT_EXTRA_TURN: Message = {"role": "user", "content": "Answer in one sentence."}
"""Appended to :data:`PREFLIGHT_CONVERSATION` to find templates that refuse two user turns in
a row (a chat whose reply failed or was deleted has them)."""

ALTERNATION_NOTE = (
    "The chat template demands alternating user and assistant turns; consecutive turns of one "
    "role are joined with a blank line before the prompt is rendered."
)


class TemplateError(UserError):
    """The chat template cannot be parsed or refuses the conversation (``raise_exception``)."""


class TemplateSecurityError(TemplateError):
    """The chat template tried to reach Python internals; it was stopped before doing so."""


class _TemplateRaised(Exception):
    """``raise_exception(message)`` called by the template."""


class _GenerationTag(jinja2.ext.Extension):
    """``{% generation %}...{% endgeneration %}`` (HF assistant-mask marker) renders its body."""

    tags = {"generation"}  # noqa: RUF012 - jinja2's Extension API declares it a plain class attribute

    def parse(self, parser: Any) -> Any:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


class _TemplateDict:
    """``dict(...)`` for templates without exposing the ``dict`` type object (as transformers)."""

    def __call__(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict(*args, **kwargs)

    def fromkeys(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        return dict.fromkeys(*args, **kwargs)


class _TemplateNamespace(jinja2.utils.Namespace):
    """``namespace(...)`` that refuses underscore-prefixed names (as transformers)."""

    def __init__(*args: Any, **kwargs: Any) -> None:
        self, rest = args[0], args[1:]
        attrs = dict(*rest, **kwargs)
        for name in attrs:
            _TemplateNamespace._check(name)
        jinja2.utils.Namespace.__init__(self, attrs)

    def __setitem__(self, name: str, value: Any) -> None:
        _TemplateNamespace._check(name)
        jinja2.utils.Namespace.__setitem__(self, name, value)

    @staticmethod
    def _check(name: Any) -> None:
        if isinstance(name, str) and name.startswith("_"):
            raise jinja_errors.SecurityError(f"namespace attribute {name!r} is not allowed")


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, made strict: unsafe attribute access raises immediately."""

    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise jinja_errors.SecurityError(
            f"access to attribute {attribute!r} of a {type(obj).__name__!r} object is unsafe"
        )

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                repeats = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if repeats and len(seq) * count > MAX_REPEAT_CHARS:
                    raise jinja_errors.SecurityError("the template builds a sequence that is too long")
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > 64:
                raise jinja_errors.SecurityError("the template raises a number to a huge power")
            return operator.pow(left, right)
        return super().call_binop(context, operator_name, left, right)


def _raise_exception(message: str) -> None:
    raise _TemplateRaised(str(message))


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    """HF's ``tojson``: plain ``json.dumps`` (Jinja's own filter HTML-escapes)."""
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _environment() -> _Environment:
    env = _Environment(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTag, jinja2.ext.loopcontrols],
    )
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.globals["dict"] = _TemplateDict()
    env.globals["namespace"] = _TemplateNamespace
    return env


class ChatTemplate:
    """A compiled chat template with its special-token texts.

    Args:
        source: the Jinja source (``tokenizer.chat_template`` of a GGUF,
            ``chat_template.jinja`` of an HF/ONNX folder).
        bos_token, eos_token: texts of the BOS/EOS tokens, passed to the template.

    Raises:
        TemplateError: the source is not valid Jinja.
    """

    def __init__(self, source: str, bos_token: str = "", eos_token: str = "") -> None:
        self.source = source
        self.bos_token = bos_token
        self.eos_token = eos_token
        try:
            self._template = _environment().from_string(source)
        except jinja_errors.TemplateSyntaxError as error:
            raise TemplateError(
                f"The model's chat template cannot be parsed (line {error.lineno}: {error.message}).",
                "Load the model with another template, or report it to the model's publisher.",
            ) from error

    def render(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        """Render ``messages`` into the prompt text.

        Raises:
            TemplateSecurityError: the template reached for Python internals.
            TemplateError: the template refused the conversation (``raise_exception``) or
                failed while rendering.
        """
        try:
            return self._template.render(
                messages=[dict(message) for message in messages],
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                add_generation_prompt=add_generation_prompt,
            )
        except jinja_errors.SecurityError as error:
            raise TemplateSecurityError(
                f"The model's chat template tried to reach Python internals and was stopped ({error}).",
                "Do not use this template; the model file may be malicious.",
            ) from error
        except _TemplateRaised as error:
            raise TemplateError(f"The model's chat template rejects this conversation: {error}") from error
        except (jinja_errors.TemplateError, TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            raise TemplateError(f"The model's chat template failed while rendering: {error}") from error


def is_blank_template(source: str | None) -> bool:
    """True for a missing chat template and for one that is empty or whitespace only.

    A whitespace-only ``tokenizer.chat_template`` (published GGUFs have them) renders every
    conversation as that whitespace: the prompt would become one token and the user's text
    would never reach the model. Such a template counts as no template at all."""
    return source is None or not source.strip()


def merge_consecutive_turns(messages: Sequence[Message]) -> list[Message]:
    """Join consecutive messages of the same role into one (contents joined by a blank line),
    for templates that demand strict user/assistant alternation (Mistral's and Llama 2's
    ``raise_exception('Conversation roles must alternate user/assistant/user/assistant/...')``).
    Returns a new list; a conversation without repeated roles comes back unchanged."""
    merged: list[Message] = []
    for message in messages:
        copy = dict(message)
        if merged and merged[-1].get("role") == copy.get("role"):
            previous = merged[-1]
            parts = [str(text) for text in (previous.get("content") or "", copy.get("content") or "") if text]
            previous["content"] = "\n\n".join(parts)
        else:
            merged.append(copy)
    return merged


def has_consecutive_turns(messages: Sequence[Message]) -> bool:
    """True when two neighbouring messages have the same role."""
    return any(a.get("role") == b.get("role") for a, b in itertools.pairwise(messages))


def merge_system_prompt(messages: Sequence[Message]) -> list[Message]:
    """Fold a leading system message into the first user message, for templates that reject
    system messages. Returns a new list; the system text comes first, then a blank line."""
    if not messages or messages[0].get("role") != "system":
        return [dict(m) for m in messages]
    system = messages[0].get("content", "")
    rest = [dict(m) for m in messages[1:]]
    for message in rest:
        if message.get("role") == "user":
            message["content"] = f"{system}\n\n{message.get('content', '')}" if system else message.get("content", "")
            return rest
    return [{"role": "user", "content": system}, *rest]


@dataclass(frozen=True)
class PreflightReport:
    """Findings of :func:`preflight`.

    Attributes:
        ok: a conversation can be rendered (possibly with the system prompt merged).
        system_prompt_supported: False when the template rejects a system message.
        warning: the most important problem for the user ("" when none).
        notes: every finding, for the details view.
        alternation_required: the template refuses two consecutive turns of one role (two
            user messages in a row); such turns are joined before rendering
            (:func:`merge_consecutive_turns`).
    """

    ok: bool
    system_prompt_supported: bool
    warning: str
    notes: tuple[str, ...]
    alternation_required: bool = False


def preflight(template: ChatTemplate) -> PreflightReport:
    """Render :data:`PREFLIGHT_CONVERSATION` and report problems before the first message.

    Checks: the full conversation renders; if not, whether it renders without the system
    message (the system prompt will then be merged into the first user turn); every message's
    text appears in the output; ``add_generation_prompt`` changes the output; two user turns
    in a row render (else ``alternation_required``).
    Never raises for template faults; :class:`TemplateSecurityError` is the exception: a
    template that reaches for internals is refused outright.
    """
    notes: list[str] = []
    warning = ""
    system_supported = True
    conversation: list[Message] = [dict(m) for m in PREFLIGHT_CONVERSATION]
    try:
        text = template.render(conversation)
    except TemplateSecurityError:
        raise
    except TemplateError as error:
        merged = merge_system_prompt(conversation)
        try:
            text = template.render(merged)
        except TemplateSecurityError:
            raise
        except TemplateError as second:
            message = f"The chat template cannot render a simple conversation: {second.message}"
            return PreflightReport(False, False, message, (error.message, second.message))
        system_supported = False
        conversation = merged
        warning = (
            "The chat template rejects a system message; the system prompt will be merged into "
            "the first user turn."
        )
        notes.append(f"{warning} ({error.message})")
    missing = [m["role"] for m in conversation if m["content"] and m["content"] not in text]
    if missing == ["system"]:
        # The template ignores system messages: merging keeps the user's instructions.
        merged = merge_system_prompt(conversation)
        try:
            merged_text = template.render(merged)
        except TemplateSecurityError:
            raise
        except TemplateError:
            merged_text = ""
        if conversation[0]["content"] in merged_text:
            system_supported, conversation, text, missing = False, merged, merged_text, []
            warning = (
                "The chat template ignores system messages; the system prompt will be merged into "
                "the first user turn."
            )
            notes.append(warning)
    if missing:
        note = f"The chat template drops the text of some messages ({', '.join(missing)})."
        notes.append(note)
        warning = warning or note
    try:
        without_prompt = template.render(conversation, add_generation_prompt=False)
        if without_prompt == text:
            notes.append("The chat template ignores add_generation_prompt; replies may continue the user turn.")
    except TemplateError as error:
        notes.append(f"Rendering without a generation prompt failed: {error.message}")
    alternation_required = False
    try:
        template.render([*conversation, dict(PREFLIGHT_EXTRA_TURN)])
    except TemplateSecurityError:
        raise
    except TemplateError as error:
        alternation_required = True
        notes.append(f"{ALTERNATION_NOTE} ({error.message})")
    return PreflightReport(True, system_supported, warning, tuple(notes), alternation_required)
