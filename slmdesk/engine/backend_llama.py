"""The llama.cpp backend (llama-cpp-python 0.3.36), used inside the engine process only.

Loading goes through ``llama_cpp.Llama`` (it maps our settings onto llama.cpp's parameter
structs); generation uses the low-level C API directly: ``llama_decode`` on one-token batches
from ``llama_batch_get_one`` (logits only for the last position), a native sampler chain
(``llama_sampler_sample``) and ``llama_token_to_piece`` into a reused buffer. This is the loop
of llama.cpp's own ``simple`` example; it avoids the per-token Python bookkeeping of
``Llama.eval`` that field-notes Appendix B measured at 0.78x of llama-bench.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import io
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import llama_cpp
from llama_cpp import llama_chat_format

from slmdesk.engine import llama_runtime
from slmdesk.engine.backend_base import (
    ChatFormat,
    GenerationControl,
    ReplyBuilder,
    ReplyTimes,
    contents_of,
    physical_cores,
    prepare_request,
    reply_stats,
    tokenize_prompt,
)
from slmdesk.engine.grammar_llama import grammar_sampler, schema_grammar
from slmdesk.engine.load_errors import load_error
from slmdesk.engine.memory import peak_rss_bytes
from slmdesk.engine.types import (
    KV_TYPES,
    EmbeddingResult,
    EngineError,
    GenerationStats,
    LoadInfo,
    LoadSettings,
    Message,
    RuntimeInfo,
    SamplingParams,
)
from slmdesk.formats.naming import display_name

log = logging.getLogger(__name__)

BACKEND = "llama.cpp"
REPEAT_LAST_N = 64
"""Tokens the repeat penalty looks back over (llama-cpp-python's ``last_n_tokens_size``)."""

# llama.cpp log levels (enum ggml_log_level in ggml/include/ggml.h of the vendored llama.cpp;
# llama-cpp-python's _logger.py comment lists an older order): DEBUG 1, INFO 2, WARN 3,
# ERROR 4, CONT 5 (continues the previous line). INFO and above go to stderr, where the client
# keeps the tail for crash reports; WARN/ERROR lines are also kept here for error messages.
_LOG_DEBUG, _LOG_ERROR, _LOG_CONT = 1, 4, 5
_recent_problems: deque[str] = deque(maxlen=8)
_buffer_types: list[str] = []
"""Weight buffer types named in the log of the current load ("CPU_Mapped", "CPU_REPACK")."""
_last_level = 0


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]  # a ctypes CFUNCTYPE from an untyped library
def _log_callback(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    global _last_level
    effective = _last_level if level == _LOG_CONT else level
    if level != _LOG_CONT:
        _last_level = level
    if effective <= _LOG_DEBUG and not os.environ.get("SLMDESK_ENGINE_DEBUG"):
        return
    if b"model buffer size" in text:
        buffer = llama_runtime.buffer_type_of(text.decode("utf-8", errors="replace"))
        if buffer:
            _buffer_types.append(buffer)
    with contextlib.suppress(OSError):
        os.write(2, text)
    if effective == _LOG_ERROR:
        line = text.decode("utf-8", errors="replace").strip()
        if line:
            _recent_problems.append(line)


def _split_set_first_part(file: Path) -> Path:
    """The file llama.cpp must be given for ``file``: the first part when ``file`` is named as
    a part of a split GGUF set (llama.cpp refuses any other part: "model must be loaded with
    the first split", ``src/llama-model-loader.cpp``), else ``file`` itself.

    Raises:
        EngineError: a part of the set is missing; the message names it
            (:func:`slmdesk.formats.split.present_split_parts`).
    """
    from slmdesk.formats.split import SplitSetError, is_split_part, present_split_parts

    if not is_split_part(file):
        return file
    try:
        return present_split_parts(file)[0]
    except SplitSetError as error:
        raise EngineError(f"Cannot load {file.name}: {error.message}", error.hint) from error


def install_log_callback() -> None:
    """Route llama.cpp's log to stderr (replacing llama-cpp-python's, which drops INFO lines
    unless ``verbose`` and would otherwise silence stderr entirely while loading)."""
    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))


_LIBRARY_MODEL_DEFAULTS = llama_cpp.llama_cpp.llama_model_default_params


class _UnusedFormatter:
    """Stands in for llama-cpp-python's Jinja2ChatFormatter during the load (see ``load``)."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    def to_chat_handler(self) -> None:
        return None


class LlamaBackend:
    """One GGUF model loaded with llama.cpp; not thread-safe (the host's main thread owns it)."""

    name = BACKEND
    version = llama_cpp.__version__

    def __init__(self) -> None:
        install_log_callback()
        self._runtime = llama_runtime.ensure_backends()
        self._loaded_runtime = self._runtime
        self._llm: llama_cpp.Llama | None = None
        self._chat: ChatFormat | None = None
        self._cached: list[int] = []
        self._settings = LoadSettings()
        self._n_ctx = 0
        self._load_s = 0.0
        self._path = ""
        self._add_bos = False
        self._bos_text = ""
        self._piece = ctypes.create_string_buffer(256)
        self._spells_special: dict[str, bool] = {}

    # -- loading ----------------------------------------------------------------------

    def load(self, path: str, settings: LoadSettings) -> LoadInfo:
        """Load the GGUF at ``path``.

        ``path`` may be any part of a split GGUF set; its parts are checked before llama.cpp
        sees them and the set is loaded from its first part.

        Raises:
            EngineError: a part of a split set is missing (the message names it); llama.cpp
                refused the file or the settings: the message names the cause from llama.cpp's
                log and the hint fits it (not enough memory, a damaged file, a newer format;
                :func:`slmdesk.engine.load_errors.load_error`).
            TemplateSecurityError: the model's chat template reaches for Python internals.
        """
        file = Path(path)
        if not file.is_file():
            raise EngineError(f"{file} does not exist or is not a file.", "Pick the model again in the Library.")
        file = _split_set_first_part(file)
        threads = settings.n_threads or physical_cores()
        _recent_problems.clear()
        _buffer_types.clear()
        started = time.perf_counter()
        try:
            # verbose=True keeps stderr open (verbose=False points it at /dev/null during the
            # load, hiding the reason of a native abort); llama.cpp's own log reaches stderr
            # through our callback, llama-cpp-python's chatty prints are dropped here.
            # Llama() also compiles every template in the metadata for its own chat handlers,
            # which we never use (templates are rendered by slmdesk.engine.templates); a
            # template that Jinja cannot parse must not fail the load, so skip that step.
            # Llama() has no argument for use_extra_bufts (weight repacking; off where the
            # AMX code path would crash, see slmdesk.engine.cpu_dispatch): it reads the
            # library's defaults through this function, so hand it adjusted ones.
            with (
                contextlib.redirect_stderr(io.StringIO()),
                mock.patch.object(llama_chat_format, "Jinja2ChatFormatter", _UnusedFormatter),
                mock.patch.object(llama_cpp.llama_cpp, "llama_model_default_params", self._model_defaults),
            ):
                llm = llama_cpp.Llama(
                    model_path=str(file),
                    n_ctx=settings.n_ctx,
                    n_gpu_layers=settings.n_gpu_layers,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_batch=settings.n_batch,
                    n_ubatch=settings.n_ubatch,
                    type_k=KV_TYPES[settings.type_k],
                    type_v=KV_TYPES[settings.type_v],
                    flash_attn=settings.flash_attn,
                    use_mmap=settings.use_mmap,
                    seed=settings.seed if settings.seed is not None else llama_cpp.LLAMA_DEFAULT_SEED,
                    swa_full=settings.swa_full,
                    verbose=True,
                )
        except Exception as error:
            raised = f"{type(error).__name__}: {error}".replace(str(file), file.name)
            raise load_error(file.name, list(_recent_problems), raised) from error
        self._load_s = time.perf_counter() - started
        self._llm = llm
        self._loaded_runtime = llama_runtime.with_buffers(self._runtime, _buffer_types)
        self._spells_special = {}
        self._settings = settings
        self._path = str(file)
        self._cached = []
        self._n_ctx = llama_cpp.llama_n_ctx(llm.ctx)
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self._vocab = vocab
        self._add_bos = bool(llama_cpp.llama_vocab_get_add_bos(vocab))
        self._bos_text = self._token_text(llm.token_bos())
        metadata = llm.metadata
        self._chat = ChatFormat.create(
            metadata.get("tokenizer.chat_template"), self._bos_text, self._token_text(llm.token_eos())
        )
        return LoadInfo(
            path=self._path,
            backend=BACKEND,
            backend_version=self.version,
            n_ctx=self._n_ctx,
            n_ctx_train=int(llama_cpp.llama_model_n_ctx_train(llm.model)),
            load_s=self._load_s,
            peak_rss_bytes=peak_rss_bytes(),
            model_name=display_name(
                file,
                general_name=metadata.get("general.name"),
                basename=metadata.get("general.basename"),
                size_label=metadata.get("general.size_label"),
                finetune=metadata.get("general.finetune"),
                version=metadata.get("general.version"),
            ),
            architecture=metadata.get("general.architecture", ""),
            chat_template_source=self._chat.source,
            template_warning=self._chat.report.warning,
            system_prompt_supported=self._chat.report.system_prompt_supported,
            template_notes=self._chat.report.notes,
            stop_strings=self._chat.stop_strings,
            has_chat_template=not self._chat.missing,
            settings=settings,
            runtime=self._loaded_runtime,
        )

    def _model_defaults(self) -> llama_cpp.llama_model_params:
        """llama.cpp's default model parameters with ``use_extra_bufts`` as decided for this
        process (:func:`slmdesk.engine.cpu_dispatch.choose_repack`)."""
        params: llama_cpp.llama_model_params = _LIBRARY_MODEL_DEFAULTS()
        params.use_extra_bufts = self._runtime.repack
        return params

    @property
    def runtime(self) -> RuntimeInfo:
        """What this process runs on, with the loaded model's buffer types once one is loaded."""
        return self._loaded_runtime if self._llm is not None else self._runtime

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return str(llama_cpp.llama_vocab_get_text(self._vocab, token).decode("utf-8", errors="replace"))

    def unload(self) -> None:
        """Free the model and its context."""
        if self._llm is not None:
            self._llm.close()
        self._llm = None
        self._chat = None
        self._cached = []
        self._spells_special = {}

    @property
    def loaded(self) -> str:
        """The loaded path, "" when none."""
        return self._path if self._llm is not None else ""

    def bench(self, request: Any, control: GenerationControl, on_progress: Callable[[int, int, str], None]) -> Any:
        """Run llama-bench's pp/tg tests (:class:`~slmdesk.engine.types.BenchRequest`) on the
        loaded model in a separate benchmark context; see :mod:`slmdesk.engine.bench_llama`.
        Returns a :class:`~slmdesk.engine.types.BenchReport`."""
        from slmdesk.engine import bench_llama

        self._require_chat()
        assert self._llm is not None
        threads = self._settings.n_threads or physical_cores()
        report = bench_llama.run(self._llm, request, control, on_progress, threads, self.version)
        return dataclasses.replace(report, runtime=self._loaded_runtime)

    def embed(
        self, inputs: Sequence[object], control: GenerationControl, on_progress: Callable[[int, int], None]
    ) -> EmbeddingResult:
        """Embeddings of ``inputs`` (texts or token-id lists) on the loaded model's own context;
        see :func:`slmdesk.engine.embed_llama.embed` (pooling, normalization, errors). The KV
        cache is cleared, so the next reply evaluates its whole prompt."""
        from slmdesk.engine import embed_llama

        self._require_chat()
        assert self._llm is not None
        try:
            return embed_llama.embed(self._llm, inputs, control, on_progress)
        finally:
            self._cached = []

    # -- prompts ------------------------------------------------------------------------

    def tokenize(self, text: str, contents: Sequence[str] = ()) -> list[int]:
        """Token ids of a rendered prompt; BOS is added when the vocabulary asks for it and the
        template did not already write it.

        The template's text is tokenized with special-token parsing (its ``<|im_start|>`` is
        the control token); a message content from ``contents`` that would tokenize
        differently with and without that parsing, i.e. one that spells a special token, is
        tokenized as plain text (:func:`~slmdesk.engine.backend_base.literal_spans`). Other
        contents stay in the template's pieces, so ordinary prompts tokenize exactly as
        llama.cpp would tokenize the whole string.
        """
        llm = self._llm
        assert llm is not None
        add_bos = self._add_bos and not (self._bos_text and text.startswith(self._bos_text))

        def encode(piece: str, literal: bool, at_start: bool) -> list[int]:
            return llm.tokenize(piece.encode("utf-8"), add_bos=add_bos and at_start, special=not literal)

        return tokenize_prompt(text, contents, self._spells_special_tokens, encode)

    def _spells_special_tokens(self, content: str) -> bool:
        """Whether ``content`` tokenizes differently with special-token parsing; remembered
        per content while the model stays loaded (a conversation's earlier messages are
        checked again on every turn)."""
        known = self._spells_special.get(content)
        if known is None:
            assert self._llm is not None
            data = content.encode("utf-8")
            known = self._llm.tokenize(data, add_bos=False, special=True) != self._llm.tokenize(
                data, add_bos=False, special=False
            )
            self._spells_special[content] = known
        return known

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt for ``messages`` (with the generation prompt)."""
        chat = self._require_chat()
        return len(self.tokenize(chat.render(messages), contents_of(messages)))

    def _require_chat(self) -> ChatFormat:
        if self._llm is None or self._chat is None:
            from slmdesk.engine.types import NotLoadedError

            raise NotLoadedError("No model is loaded.", "Load a model first.")
        return self._chat

    # -- generation ---------------------------------------------------------------------

    def generate(
        self,
        messages: Sequence[Message],
        params: SamplingParams,
        control: GenerationControl,
        on_prompt: Callable[[int, tuple[int, ...]], None],
        on_prefill: Callable[[int, int], None],
        on_text: Callable[[str], None],
        started: float,
        prompt_text: str | None = None,
    ) -> tuple[str, GenerationStats]:
        """Generate one reply, streaming text through ``on_text``.

        ``started`` is the ``time.perf_counter()`` at which the request arrived (for TTFT).
        With ``prompt_text`` (completion mode) the model continues that text: no chat
        template, no template stop strings, ``messages`` ignored
        (:func:`~slmdesk.engine.backend_base.prepare_request`).
        Returns ``(reply text, stats)``.

        Raises:
            TemplateError, ContextOverflowError: the conversation cannot be formatted or fit.
            EngineError: llama_decode failed.
        """
        chat = self._require_chat()
        llm = self._llm
        assert llm is not None
        if params.json_schema:
            schema_grammar(params.json_schema)  # an unusable schema fails before any work
        prompt, dropped, stops = prepare_request(chat, messages, prompt_text, params, self.tokenize, self._n_ctx)
        on_prompt(len(prompt), dropped)
        ctx = llm.ctx
        vocab = self._vocab

        # Reuse the KV cache of the previous turn for the common prefix (the chat history).
        keep = 0
        for a, b in zip(self._cached, prompt, strict=False):
            if a != b:
                break
            keep += 1
        if keep >= len(prompt):
            keep = len(prompt) - 1  # re-evaluate the last token to get fresh logits
        memory = llama_cpp.llama_get_memory(ctx)
        if keep <= 0 or not llama_cpp.llama_memory_seq_rm(memory, 0, keep, -1):
            llama_cpp.llama_memory_clear(memory, True)
            keep = 0
        cached = prompt[:keep]
        self._cached = cached

        builder = ReplyBuilder(stops, on_text)
        todo = prompt[keep:]
        n_batch = self._settings.n_batch
        t_prefill = time.perf_counter()
        for start in range(0, len(todo), n_batch):
            if control.cancelled:
                break
            chunk = todo[start : start + n_batch]
            array = (llama_cpp.llama_token * len(chunk))(*chunk)
            status = llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(array, len(chunk)))
            if status != 0:
                self._cached = []
                raise EngineError(f"llama.cpp failed to process the prompt (llama_decode returned {status}).")
            cached.extend(chunk)
            if len(todo) > n_batch:
                on_prefill(start + len(chunk), len(todo))
        t_prefill_end = time.perf_counter()

        sampler = self._sampler(params)
        token_buf = (llama_cpp.llama_token * 1)()
        batch = llama_cpp.llama_batch_get_one(token_buf, 1)
        piece = self._piece
        piece_size = len(piece)
        max_tokens = params.max_tokens
        n_ctx = self._n_ctx
        sample = llama_cpp.llama_sampler_sample
        is_eog = llama_cpp.llama_vocab_is_eog
        to_piece = llama_cpp.llama_token_to_piece
        decode = llama_cpp.llama_decode
        add_bytes = builder.add_bytes
        cancel = control.event
        n = 0
        t_first = t_last = t_prefill_end
        finish = "cancelled" if cancel.is_set() else ""
        try:
            while not finish:
                token = sample(sampler, ctx, -1)
                n += 1
                control.tokens = n
                t_last = time.perf_counter()
                if n == 1:
                    t_first = t_last
                if is_eog(vocab, token):
                    finish = "stop"
                    break
                size = to_piece(vocab, token, piece, piece_size, 0, False)
                if size < 0:
                    piece = ctypes.create_string_buffer(-size)
                    piece_size = -size
                    size = to_piece(vocab, token, piece, piece_size, 0, False)
                if add_bytes(piece.raw[:size]):
                    finish = "stop"
                elif n >= max_tokens:
                    finish = "length"
                elif len(cached) >= n_ctx:
                    finish = "context"
                elif cancel.is_set():
                    finish = "cancelled"
                if finish:
                    break
                token_buf[0] = token
                status = decode(ctx, batch)
                if status != 0:
                    raise EngineError(f"llama.cpp failed while generating (llama_decode returned {status}).")
                cached.append(token)
                if cancel.is_set():
                    finish = "cancelled"
        finally:
            llama_cpp.llama_sampler_free(sampler)
        text = builder.finish()
        times = ReplyTimes(started, t_prefill_end - t_prefill, t_first, t_last, len(todo), n)
        return text, reply_stats(times, prompt_tokens=len(prompt), control=control, load_s=self._load_s,
                                 backend=BACKEND, version=self.version, finish=finish, dropped=dropped)

    def _sampler(self, params: SamplingParams) -> llama_cpp.llama_sampler_p:
        """A native sampler chain: [penalties], [the JSON Schema's grammar], then greedy, or
        top-k, top-p, min-p, temperature and a seeded draw (the order of llama-cpp-python's
        ``_init_sampler``).

        Raises:
            InvalidRequestError: ``params.json_schema`` cannot be compiled.
        """
        grammar = grammar_sampler(self._vocab, params.json_schema) if params.json_schema else None
        chain: llama_cpp.llama_sampler_p = llama_cpp.llama_sampler_chain_init(
            llama_cpp.llama_sampler_chain_default_params()
        )
        add = llama_cpp.llama_sampler_chain_add
        if params.repeat_penalty != 1.0:
            add(chain, llama_cpp.llama_sampler_init_penalties(REPEAT_LAST_N, params.repeat_penalty, 0.0, 0.0))
        if grammar is not None:
            add(chain, grammar)  # the chain owns it now: llama_sampler_free(chain) frees it
        if params.temperature <= 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        seed = params.seed if params.seed is not None else self._settings.seed
        if seed is None:
            seed = llama_cpp.LLAMA_DEFAULT_SEED  # llama.cpp draws a random seed
        add(chain, llama_cpp.llama_sampler_init_top_k(params.top_k))
        add(chain, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
        add(chain, llama_cpp.llama_sampler_init_min_p(params.min_p, 1))
        add(chain, llama_cpp.llama_sampler_init_temp(params.temperature))
        add(chain, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain
