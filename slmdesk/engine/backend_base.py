"""What both backends share inside the engine process: chat formatting, reply assembly, cancel state.

Runs in the engine host only (it is imported by the backends), but imports no inference
library itself, so unit tests use it directly.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from slmdesk.engine.context import fit_messages
from slmdesk.engine.memory import peak_rss_bytes
from slmdesk.engine.streaming import StopMatcher, Utf8Stream
from slmdesk.engine.templates import (
    ALTERNATION_NOTE,
    CHATML_STOP_STRINGS,
    CHATML_TEMPLATE,
    ChatTemplate,
    PreflightReport,
    has_consecutive_turns,
    merge_consecutive_turns,
    merge_system_prompt,
    preflight,
)
from slmdesk.engine.types import GenerationStats, Message, SamplingParams

log = logging.getLogger(__name__)

FLUSH_INTERVAL_S = 0.05
"""Token events are coalesced to at most one per 50 ms (20/s): the GUI repaints no faster, and
a pipe message per token costs the 2-core machines we target measurable generation speed.
The first token is always sent at once, so the time to first token is unaffected."""

NO_TEMPLATE_WARNING = (
    "This model has no chat template (it is probably a base model, not an instruct model). "
    "slmdesk formats the conversation as ChatML, which the model was not trained on: "
    "expect continuations of the text rather than answers."
)

BLANK_TEMPLATE_WARNING = (
    "This model's chat template is empty (whitespace only), so it has no usable chat template. "
    "slmdesk formats the conversation as ChatML; if the model was trained on another format, "
    "expect poor answers (set a template for it, or use another download of the model)."
)


@dataclass
class GenerationControl:
    """Shared between the host's reader thread (cancel) and the generation loop (count).

    ``tokens`` is incremented by the loop for every generated token; ``cancel`` records the
    count at the moment the cancel request arrived, so the stats can say how many tokens were
    generated after it (0 or 1 by design).
    """

    event: threading.Event = field(default_factory=threading.Event)
    tokens: int = 0
    cancelled_at: int | None = None

    def cancel(self) -> None:
        """Called from the reader thread."""
        if self.cancelled_at is None:
            self.cancelled_at = self.tokens
        self.event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel was requested."""
        return self.event.is_set()

    def tokens_after_cancel(self) -> int | None:
        """Tokens generated after the cancel request; None when not cancelled."""
        return None if self.cancelled_at is None else self.tokens - self.cancelled_at


class ReplyBuilder:
    """Assembles reply text from token bytes or text: whole UTF-8 characters, stop strings cut,
    events coalesced to one per :data:`FLUSH_INTERVAL_S`.

    ``emit(text)`` is called with each batch of new text; :meth:`finish` returns the full reply.
    """

    def __init__(
        self, stops: Sequence[str], emit: Callable[[str], None], flush_interval_s: float = FLUSH_INTERVAL_S
    ) -> None:
        self._utf8 = Utf8Stream()
        self._stops = StopMatcher(stops)
        self._emit = emit
        self._interval = flush_interval_s
        self._pending: list[str] = []
        self._parts: list[str] = []
        self._last_flush = 0.0
        self._sent_any = False

    def add_bytes(self, data: bytes) -> bool:
        """Add a token's bytes; return True when a stop string ended the reply."""
        return self.add_text(self._utf8.feed(data))

    def add_text(self, text: str) -> bool:
        """Add decoded text; return True when a stop string ended the reply."""
        if not text:
            return False
        visible, stopped = self._stops.feed(text)
        if visible:
            self._pending.append(visible)
            now = time.perf_counter()
            if not self._sent_any or now - self._last_flush >= self._interval:
                self._flush(now)
        return stopped

    def _flush(self, now: float) -> None:
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self._parts.append(text)
            self._emit(text)
            self._sent_any = True
        self._last_flush = now

    def finish(self) -> str:
        """Flush everything held back and return the whole reply text."""
        if not self._stops.stopped:
            tail = self._utf8.flush()
            if tail:
                visible, _ = self._stops.feed(tail)
                if visible:
                    self._pending.append(visible)
            rest = self._stops.flush()
            if rest:
                self._pending.append(rest)
        self._flush(time.perf_counter())
        return "".join(self._parts)


@dataclass
class ChatFormat:
    """A model's chat template after the load-time preflight.

    Attributes:
        template: the compiled template (the model's own or the ChatML fallback).
        source: ``"model"`` or ``"fallback"``.
        report: the preflight findings.
        stop_strings: stops implied by the template (ChatML markers for the fallback).
        missing: True when the model has no template at all (absent, empty or whitespace
            only): a base model, for which Chat offers completion mode.
    """

    template: ChatTemplate
    source: str
    report: PreflightReport
    stop_strings: tuple[str, ...] = ()
    missing: bool = False

    @classmethod
    def create(cls, source_text: str | None, bos_token: str, eos_token: str) -> ChatFormat:
        """Compile the model's template (or the fallback when it has none) and preflight it.

        A missing template and an empty or whitespace-only one
        (:func:`~slmdesk.engine.templates.is_blank_template`) get the ChatML fallback with one
        warning. A template that fails to compile or render falls back to ChatML with a
        warning; one that reaches for Python internals raises :class:`TemplateSecurityError`
        (refused).
        """
        from slmdesk.engine.templates import TemplateError, TemplateSecurityError, is_blank_template

        blank = source_text is not None and is_blank_template(source_text)
        if source_text and not blank:
            try:
                template = ChatTemplate(source_text, bos_token, eos_token)
                report = preflight(template)
            except TemplateSecurityError:
                raise
            except TemplateError as error:
                report = PreflightReport(False, False, error.message, (error.message,))
            if report.ok:
                return cls(template, "model", report)
            problem = report.warning
        else:
            problem = ""
        template = ChatTemplate(CHATML_TEMPLATE, bos_token, eos_token)
        fallback_report = preflight(template)
        if blank:
            warning = BLANK_TEMPLATE_WARNING
        elif not source_text:
            warning = NO_TEMPLATE_WARNING
        else:
            warning = f"{problem} slmdesk uses ChatML instead."
        report = PreflightReport(True, True, warning, (warning, *fallback_report.notes))
        return cls(template, "fallback", report, CHATML_STOP_STRINGS, missing=blank or not source_text)

    def render(self, messages: Sequence[Message]) -> str:
        """The prompt for ``messages``: the system prompt merged when the template rejects
        it, consecutive turns of one role joined (blank line between them) when the template
        demands strict alternation. A conversation the template refuses is retried once with
        its consecutive turns joined, with a warning in the engine log.

        Raises:
            TemplateSecurityError: the template reached for Python internals.
            TemplateError: the template refuses the conversation even after joining turns.
        """
        from slmdesk.engine.templates import TemplateError, TemplateSecurityError

        if not self.report.system_prompt_supported:
            messages = merge_system_prompt(messages)
        if self.report.alternation_required:
            messages = merge_consecutive_turns(messages)
        try:
            return self.template.render(messages, add_generation_prompt=True)
        except TemplateSecurityError:
            raise
        except TemplateError as error:
            if not has_consecutive_turns(messages):
                raise
            text = self.template.render(merge_consecutive_turns(messages), add_generation_prompt=True)
            log.warning("%s (%s)", ALTERNATION_NOTE, error.message)
            return text


@dataclass(frozen=True)
class ReplyTimes:
    """When a reply's phases happened (``time.perf_counter()`` seconds) and how much they did.

    Attributes:
        started: the request reached the engine.
        prefill_s: seconds of prompt processing (the evaluated prompt tokens).
        first, last: the first and the last generated token.
        evaluated: prompt tokens computed (the rest reused the KV cache).
        generated: tokens generated (the EOG token that ended the reply included).
    """

    started: float
    prefill_s: float
    first: float
    last: float
    evaluated: int
    generated: int


def reply_stats(
    times: ReplyTimes, *, prompt_tokens: int, control: GenerationControl, load_s: float, backend: str,
    version: str, finish: str, dropped: tuple[int, ...],
) -> GenerationStats:
    """The :class:`GenerationStats` of one reply, with llama-bench's definitions for both
    backends: TTFT from the request to the first token; pp = evaluated prompt tokens / prefill
    seconds; tg = (generated - 1) / seconds from the first to the last token (the first token
    comes from the prompt pass); 0.0 where a figure has no data."""
    n = times.generated
    span = times.last - times.first
    return GenerationStats(
        prompt_tokens=prompt_tokens,
        prompt_tokens_evaluated=times.evaluated,
        completion_tokens=n,
        ttft_s=(times.first - times.started) if n else 0.0,
        pp_tokens_per_s=times.evaluated / times.prefill_s if times.evaluated and times.prefill_s > 0 else 0.0,
        tg_tokens_per_s=(n - 1) / span if n > 1 and span > 0 else 0.0,
        load_s=load_s,
        peak_rss_bytes=peak_rss_bytes(),
        backend=backend,
        backend_version=version,
        finish_reason=finish,
        dropped_messages=dropped,
        tokens_after_cancel=control.tokens_after_cancel(),
    )


def physical_cores() -> int:
    """Physical CPU cores (logical ones when psutil cannot tell; at least 1): llama.cpp's and
    onnxruntime's default thread count."""
    import psutil

    return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)


PromptTokenizer = Callable[[str, Sequence[str]], list[int]]
"""``tokenize(rendered prompt, message contents in order) -> token ids``: the contents let a
backend keep the user's text out of special-token parsing (see :func:`literal_spans`)."""


def contents_of(messages: Sequence[Message]) -> list[str]:
    """The ``content`` of each message, in order ("" when missing)."""
    return [str(message.get("content") or "") for message in messages]


def literal_spans(text: str, literals: Sequence[str]) -> list[tuple[str, bool]]:
    """Cut a rendered prompt into ``(piece, is_literal)`` pieces, in order, where the literal
    pieces are ``literals`` (message contents) found left to right in ``text``.

    Template text (role markers, special tokens) is tokenized with special-token parsing and
    literal pieces without, so that a user who types ``<|im_end|>`` gets those characters
    read as text, not the control token that ends a turn (llama.cpp's ``parse_special``;
    tokenizing the whole prompt with it on, as llama.cpp's server does, lets message text
    inject control tokens). A literal the template changed (trimmed, escaped) is not found
    and stays part of the template text. Joining the pieces gives ``text`` back; empty pieces
    are left out.
    """
    pieces: list[tuple[str, bool]] = []
    cursor = 0
    for literal in literals:
        if not literal:
            continue
        at = text.find(literal, cursor)
        if at < 0:
            continue
        if at > cursor:
            pieces.append((text[cursor:at], False))
        pieces.append((literal, True))
        cursor = at + len(literal)
    if cursor < len(text):
        pieces.append((text[cursor:], False))
    return pieces


def tokenize_prompt(
    text: str,
    contents: Sequence[str],
    spells_special: Callable[[str], bool],
    encode: Callable[[str, bool, bool], list[int]],
) -> list[int]:
    """Token ids of a rendered prompt whose message contents that spell a special token stay
    text: ``encode(piece, is_literal, at_start)`` tokenizes each piece of
    :func:`literal_spans` (the whole ``text`` as one template piece when no content in
    ``contents`` makes ``spells_special`` true)."""
    literals = [content for content in contents if content and spells_special(content)]
    pieces = literal_spans(text, literals) if literals else [(text, False)]
    ids: list[int] = []
    for index, (piece, literal) in enumerate(pieces):
        ids += encode(piece, literal, index == 0)
    return ids


def prepare_prompt(
    chat: ChatFormat,
    messages: Sequence[Message],
    tokenize: PromptTokenizer,
    n_ctx: int,
    max_tokens: int,
) -> tuple[list[int], tuple[int, ...]]:
    """Render and tokenize ``messages``, dropping the oldest turns if they outgrow ``n_ctx``.

    Returns ``(prompt token ids, indices of dropped messages)``. A conversation that fits is
    rendered and tokenized once; one that does not, about ``log2(turns) + 2`` times (the
    bisection of :func:`fit_messages`), and the ids of the prompt it settles on are reused.

    Raises:
        TemplateError: the template refused the conversation.
        ContextOverflowError: the last message alone does not fit.
    """
    # Candidates are suffixes of ``messages`` (plus the system prompt), so their length names
    # them; the one fit_messages returns was always counted, so it is never tokenized twice.
    cache: dict[int, list[int]] = {}

    def count(candidate: Sequence[Message]) -> int:
        ids = tokenize(chat.render(candidate), contents_of(candidate))
        cache[len(candidate)] = ids
        return len(ids)

    kept, dropped = fit_messages(messages, n_ctx, max_tokens, count)
    ids = cache.get(len(kept))
    if ids is None:
        ids = tokenize(chat.render(kept), contents_of(kept))
    return ids, dropped


def prepare_request(
    chat: ChatFormat, messages: Sequence[Message], prompt_text: str | None, params: SamplingParams,
    tokenize: PromptTokenizer, n_ctx: int,
) -> tuple[list[int], tuple[int, ...], tuple[str, ...]]:
    """The prompt of one ``generate`` request and the strings that end its reply.

    Chat (``prompt_text`` None): :func:`prepare_prompt` on ``messages``, the template's stop
    strings plus ``params.stop``. Completion mode: :func:`prepare_completion` on
    ``prompt_text`` (``messages`` ignored), ``params.stop`` only.

    Returns ``(prompt token ids, indices of dropped messages, stop strings)``.

    Raises:
        TemplateError, ContextOverflowError: as :func:`prepare_prompt` and
            :func:`prepare_completion`.
    """
    if prompt_text is None:
        prompt, dropped = prepare_prompt(chat, messages, tokenize, n_ctx, params.max_tokens)
        return prompt, dropped, (*chat.stop_strings, *params.stop)
    prompt, dropped = prepare_completion(prompt_text, tokenize, n_ctx, params.max_tokens)
    return prompt, dropped, tuple(params.stop)


def prepare_completion(
    text: str, tokenize: PromptTokenizer, n_ctx: int, max_tokens: int
) -> tuple[list[int], tuple[int, ...]]:
    """Tokenize ``text`` for plain continuation (completion mode: no chat template).

    The text is tokenized as written, never as control tokens (it is passed as a content to
    :func:`tokenize_prompt`'s literal rule), with BOS when the vocabulary asks for it. A text
    longer than the context keeps its end: the last ``n_ctx - reserve`` tokens (after the
    BOS, which stays), where ``reserve = min(max_tokens, n_ctx // 2)`` as in
    :func:`~slmdesk.engine.context.fit_messages`.

    Returns ``(prompt token ids, dropped)``: ``dropped`` is ``(0,)`` when the beginning of the
    text was cut, else ``()``.

    Raises:
        ContextOverflowError: ``n_ctx`` leaves no room for any text.
    """
    from slmdesk.engine.types import ContextOverflowError

    ids = tokenize(text, [text])
    room = n_ctx - min(max_tokens, n_ctx // 2)
    if room < 2:
        raise ContextOverflowError(f"A context of {n_ctx} tokens leaves no room for the text.",
                                   "Load the model with a larger context (n_ctx).")
    if len(ids) <= room:
        return ids, ()
    first = ids[:1] if ids and tokenize("", []) == ids[:1] else []
    return first + ids[len(ids) - (room - len(first)):], (0,)

