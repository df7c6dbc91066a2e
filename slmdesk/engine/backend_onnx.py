"""The ONNX Runtime GenAI backend (onnxruntime-genai 0.18.0), used inside the engine process only.

A model is a folder with ``genai_config.json``, the ONNX graph and tokenizer files (what
``onnxruntime_genai.models.builder`` writes). Telemetry is switched off before the library
can initialise it: ``ORT_DISABLE_TELEMETRY=1`` is set before the import (the variable
onnxruntime and onnxruntime-genai read, found in the 0.18.0 binary) and
``og.disable_telemetry_events()`` is called before any ``og.Config``/``og.Model``.
There is no timing API, so the stats are wall-clock measurements (field-notes section 3.1).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

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
from slmdesk.engine.load_errors import OUT_OF_MEMORY, classify
from slmdesk.engine.memory import peak_rss_bytes
from slmdesk.engine.types import (
    EngineError,
    GenerationStats,
    InvalidRequestError,
    LoadInfo,
    LoadSettings,
    Message,
    NotLoadedError,
    RuntimeInfo,
    SamplingParams,
)

BACKEND = "onnxruntime-genai"
TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


def import_genai() -> ModuleType:
    """Import onnxruntime_genai with telemetry disabled (environment first, then the API).

    Raises:
        EngineError: the package is not installed.
    """
    os.environ[TELEMETRY_ENV] = "1"
    try:
        import onnxruntime_genai as og
    except ImportError as error:
        raise EngineError(
            f"ONNX Runtime GenAI cannot be imported, so ONNX models cannot be loaded ({error}).",
            "Install onnxruntime-genai (it is a dependency of slmdesk), or reinstall slmdesk.",
        ) from error
    og.disable_telemetry_events()
    module: ModuleType = og
    return module


def _token_text(value: Any) -> str:
    """A special token from tokenizer_config.json: a string or ``{"content": ...}``."""
    if isinstance(value, dict):
        value = value.get("content", "")
    return value if isinstance(value, str) else ""


def read_folder_template(folder: Path) -> tuple[str | None, str, str]:
    """``(chat template or None, bos text, eos text)`` from an HF/ONNX GenAI model folder:
    ``chat_template.jinja`` first, then ``tokenizer_config.json``'s ``chat_template`` (a string,
    or a list of ``{"name", "template"}`` where ``default`` wins)."""
    config: dict[str, Any] = {}
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    template: str | None = None
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        template = jinja.read_text(encoding="utf-8")
    else:
        raw = config.get("chat_template")
        if isinstance(raw, str):
            template = raw
        elif isinstance(raw, list):
            named = {item.get("name"): item.get("template") for item in raw if isinstance(item, dict)}
            template = named.get("default") or next(iter(named.values()), None)
    return template or None, _token_text(config.get("bos_token")), _token_text(config.get("eos_token"))


EOG_TEXTS = frozenset({"<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<eos>", "</s>"})
"""Special tokens that end a turn whatever genai_config.json lists as EOS (the same texts
llama.cpp's vocabulary loader marks as end-of-generation, src/llama-vocab.cpp)."""


def read_special_tokens(folder: Path) -> dict[int, str]:
    """``{id: text}`` of the special added tokens in the folder's ``tokenizer.json``."""
    try:
        data = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {
        int(token["id"]): str(token.get("content", ""))
        for token in data.get("added_tokens", [])
        if isinstance(token, dict) and token.get("special") and isinstance(token.get("id"), int)
    }


class OnnxBackend:
    """One ONNX GenAI model folder; not thread-safe (the host's main thread owns it).

    Args:
        og: the onnxruntime_genai module, injectable for tests; imported with
            :func:`import_genai` on first load when None.
    """

    name = BACKEND

    def __init__(self, og: ModuleType | None = None) -> None:
        self._og = og
        self._telemetry_off = False
        self._model: Any = None
        self._tokenizer: Any = None
        self._chat: ChatFormat | None = None
        self._eos: frozenset[int] = frozenset()
        self._special: frozenset[int] = frozenset()
        self._special_pattern: re.Pattern[str] | None = None
        self._n_ctx = 0
        self._load_s = 0.0
        self._path = ""
        self._settings = LoadSettings()

    @property
    def version(self) -> str:
        """The onnxruntime-genai version ("" before the first load)."""
        return str(getattr(self._og, "__version__", "")) if self._og is not None else ""

    def _genai(self) -> ModuleType:
        if self._og is None:
            self._og = import_genai()
        elif not self._telemetry_off:
            self._og.disable_telemetry_events()
        self._telemetry_off = True
        return self._og

    def load(self, path: str, settings: LoadSettings) -> LoadInfo:
        """Load the model folder at ``path`` on the CPU execution provider.

        ``n_ctx`` (when > 0) overrides ``search.max_length`` and ``n_threads`` sets
        ``intra_op_num_threads``; the other llama.cpp settings do not apply.

        Raises:
            EngineError: not a GenAI model folder, or onnxruntime-genai refused it (with the
                out-of-memory hint of :mod:`slmdesk.engine.load_errors` when it ran out of
                memory).
            TemplateSecurityError: the folder's chat template reaches for Python internals.
        """
        folder = Path(path)
        if not (folder / "genai_config.json").is_file():
            raise EngineError(
                f"{folder} is not an ONNX Runtime GenAI model (no genai_config.json).",
                "Pick the folder that onnxruntime_genai.models.builder wrote.",
            )
        og = self._genai()
        started = time.perf_counter()
        try:
            config = og.Config(str(folder))
            config.clear_providers()
            overlay: dict[str, Any] = {}
            if settings.n_ctx > 0:
                overlay["search"] = {"max_length": settings.n_ctx}
            if settings.n_threads:
                overlay["model"] = {"decoder": {"session_options": {"intra_op_num_threads": settings.n_threads}}}
            if overlay:
                config.overlay(json.dumps(overlay))
            model = og.Model(config)
            tokenizer = og.Tokenizer(model)
        except Exception as error:
            failure = classify([], f"{type(error).__name__}: {error}")
            if failure.cause == OUT_OF_MEMORY:
                raise EngineError(f"Not enough memory to load {folder.name} with these settings "
                                  f"(ONNX Runtime GenAI: {error}).", failure.hint) from error
            raise EngineError(f"ONNX Runtime GenAI cannot load {folder.name}: {error}") from error
        self._load_s = time.perf_counter() - started
        self._model, self._tokenizer = model, tokenizer
        special = read_special_tokens(folder)
        self._eos = frozenset(int(t) for t in tokenizer.eos_token_ids) | {
            i for i, t in special.items() if t in EOG_TEXTS
        }
        self._special = frozenset(special)
        texts = sorted({t for t in special.values() if t}, key=len, reverse=True)
        self._special_pattern = re.compile("|".join(re.escape(t) for t in texts)) if texts else None
        genai_config = json.loads((folder / "genai_config.json").read_text(encoding="utf-8"))
        context_length = int(genai_config.get("model", {}).get("context_length", 0) or 0)
        self._n_ctx = settings.n_ctx or context_length or 2048
        template, bos, eos = read_folder_template(folder)
        self._chat = ChatFormat.create(template, bos, eos)
        self._path = str(folder)
        self._settings = settings
        return LoadInfo(
            path=self._path,
            backend=BACKEND,
            backend_version=self.version,
            n_ctx=self._n_ctx,
            n_ctx_train=context_length,
            load_s=self._load_s,
            peak_rss_bytes=peak_rss_bytes(),
            model_name=folder.name,
            architecture=str(getattr(model, "type", "")),
            chat_template_source=self._chat.source,
            template_warning=self._chat.report.warning,
            system_prompt_supported=self._chat.report.system_prompt_supported,
            template_notes=self._chat.report.notes,
            stop_strings=self._chat.stop_strings,
            has_chat_template=not self._chat.missing,
            settings=settings,
            runtime=self.runtime,
        )

    @property
    def runtime(self) -> RuntimeInfo:
        """onnxruntime-genai and ONNX Runtime versions; the CPU execution provider is the only
        one slmdesk configures (``load`` clears the providers)."""
        from slmdesk.hardware.versions import package_version

        engine = f"onnxruntime-genai {self.version or package_version('onnxruntime-genai') or '?'}"
        runtime = package_version("onnxruntime")
        if runtime:
            engine += f" (ONNX Runtime {runtime})"
        return RuntimeInfo(engine=engine, devices=("CPU: CPU execution provider",))

    def unload(self) -> None:
        """Drop the model (onnxruntime frees it when the last reference goes)."""
        self._model = self._tokenizer = self._chat = None
        self._path = ""

    @property
    def loaded(self) -> str:
        """The loaded folder, "" when none."""
        return self._path if self._model is not None else ""

    def bench(self, request: Any, control: GenerationControl, on_progress: Callable[[int, int, str], None]) -> Any:
        """Run the pp/tg tests (:class:`~slmdesk.engine.types.BenchRequest`) on the loaded
        model with its loaded thread count; see :mod:`slmdesk.engine.bench_onnx`.
        Returns a :class:`~slmdesk.engine.types.BenchReport`.

        Raises:
            EngineError: genai_config.json lacks ``model.vocab_size``, or the run failed.
        """
        from slmdesk.engine import bench_onnx

        self._require()
        config = json.loads((Path(self._path) / "genai_config.json").read_text(encoding="utf-8")).get("model", {})
        if not config.get("vocab_size"):
            raise EngineError("genai_config.json does not give the vocabulary size (model.vocab_size).")
        # onnxruntime's default intra-op pool has one thread per physical core.
        threads = self._settings.n_threads or physical_cores()
        report = bench_onnx.run(
            self._genai(), self._model, int(config["vocab_size"]), config.get("bos_token_id"),
            request, control, on_progress, threads, self.version,
        )
        return dataclasses.replace(report, runtime=self.runtime)

    def _require(self) -> ChatFormat:
        if self._model is None or self._chat is None:
            raise NotLoadedError("No model is loaded.", "Load a model first.")
        return self._chat

    def tokenize(self, text: str, contents: Sequence[str] = ()) -> list[int]:
        """Token ids of a rendered prompt (the tokenizer adds no special tokens of its own).

        ONNX Runtime GenAI's tokenizer always turns special-token text into the control token.
        So that a message that spells one (say ``<|im_end|>``) stays text, as with llama.cpp,
        such a content from ``contents`` is cut out of the prompt
        (:func:`~slmdesk.engine.backend_base.literal_spans`) and each special-token text in it
        is encoded in two halves, which no special token matches.
        """
        pattern = self._special_pattern
        if pattern is None:
            return self._encode(text)

        def encode(piece: str, literal: bool, _at_start: bool) -> list[int]:
            if not literal:
                return self._encode(piece)
            ids, cursor = [], 0
            for match in pattern.finditer(piece):
                special = match.group()
                ids += self._encode(piece[cursor:match.start()]) + self._encode(special[:1]) + self._encode(special[1:])
                cursor = match.end()
            return ids + self._encode(piece[cursor:])

        return tokenize_prompt(text, contents, lambda content: pattern.search(content) is not None, encode)

    def _encode(self, text: str) -> list[int]:
        return [int(t) for t in self._tokenizer.encode(text)] if text else []

    def count_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the prompt for ``messages`` (with the generation prompt)."""
        return len(self.tokenize(self._require().render(messages), contents_of(messages)))

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
        """Generate one reply (same contract as :meth:`LlamaBackend.generate`, completion mode
        included). ``min_p`` is
        not supported by onnxruntime-genai 0.18 and is ignored.

        Raises:
            InvalidRequestError: ``params.json_schema`` is set (no grammar-constrained sampling here).
        """
        chat = self._require()
        if params.json_schema:
            raise InvalidRequestError("JSON replies (a JSON schema) need grammar-constrained sampling, which the "
                               "onnxruntime-genai backend does not offer.", "Use a GGUF model (llama.cpp).")
        og = self._genai()
        prompt, dropped, stops = prepare_request(chat, messages, prompt_text, params, self.tokenize, self._n_ctx)
        on_prompt(len(prompt), dropped)
        max_length = min(self._n_ctx, len(prompt) + params.max_tokens)
        search: dict[str, Any] = {
            "max_length": max_length,
            "do_sample": params.temperature > 0,
            "repetition_penalty": params.repeat_penalty,
        }
        if params.temperature > 0:
            search.update(temperature=params.temperature, top_k=params.top_k, top_p=params.top_p)
            seed = params.seed if params.seed is not None else self._settings.seed
            if seed is not None:
                search["random_seed"] = seed
        generator_params = og.GeneratorParams(self._model)
        generator_params.set_search_options(**search)
        builder = ReplyBuilder(stops, on_text)
        stream = self._tokenizer.create_stream()
        n = 0
        finish = ""
        t_prefill = time.perf_counter()
        t_first = t_last = t_prefill
        try:
            generator = og.Generator(self._model, generator_params)
            generator.append_tokens(prompt)
        except Exception as error:
            raise EngineError(f"ONNX Runtime GenAI failed to process the prompt: {error}") from error
        cancel = control.event
        while not finish:
            if cancel.is_set():
                finish = "cancelled"
                break
            if generator.is_done():
                finish = "context" if len(prompt) + n >= self._n_ctx else "length"
                break
            generator.generate_next_token()
            token = int(generator.get_next_tokens()[0])
            n += 1
            control.tokens = n
            t_last = time.perf_counter()
            if n == 1:
                t_first = t_last
            # Special (control) tokens end the turn or are skipped: their text never shows.
            if token in self._eos or (token not in self._special and builder.add_text(stream.decode(token))):
                finish = "stop"
            elif n >= params.max_tokens:
                finish = "length"
        text = builder.finish()
        # The first generate_next_token runs the prompt pass and samples the first token: the
        # prefill ends with the first token, and there is none to time without one.
        times = ReplyTimes(started, t_first - t_prefill if n else 0.0, t_first, t_last, len(prompt), n)
        return text, reply_stats(times, prompt_tokens=len(prompt), control=control, load_s=self._load_s,
                                 backend=BACKEND, version=self.version, finish=finish, dropped=dropped)
