"""Plain data of the inference engine: load settings, sampling parameters, stats, events, errors.

Importable without llama_cpp or onnxruntime_genai: the GUI process uses these types and never
loads an inference library itself (the engine runs in a child process, see ``client.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from slmdesk.core import serial
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan, flash_attn_required

T = TypeVar("T")

KvType: TypeAlias = Literal["f16", "q8_0", "q4_0"]
Message: TypeAlias = dict[str, str]
"""One chat message: ``{"role": "system"|"user"|"assistant", "content": str}``."""

KV_TYPES: dict[str, int] = {"f16": 1, "q4_0": 2, "q8_0": 8}
"""KV cache type name -> ggml type id (``enum ggml_type`` in ggml/include/ggml.h:
GGML_TYPE_F16 = 1, GGML_TYPE_Q4_0 = 2, GGML_TYPE_Q8_0 = 8)."""

FINISH_REASONS = ("stop", "length", "context", "cancelled")
"""Why a reply ended: ``stop`` an end-of-generation (EOG) token or a stop string,
``length`` ``max_tokens`` reached, ``context`` the context window (``n_ctx``) is full,
``cancelled`` the user asked to stop."""


@dataclass(frozen=True)
class LoadSettings:
    """How to load a model (llama.cpp names; the ONNX backend uses the subset it knows).

    Attributes:
        n_ctx: context length in tokens; 0 means the model's training context. llama.cpp pads
            it up to a multiple of 256 (field-notes section 0, item 3), so the loaded value in
            :class:`LoadInfo` may be larger.
        n_gpu_layers: layers to offload to the GPU (-1 = all, 0 = CPU only).
        n_threads: generation threads; None means the number of physical cores.
        n_batch: logical batch (tokens per ``llama_decode`` call during prompt processing).
        n_ubatch: physical micro-batch (tokens per compute graph run).
        type_k, type_v: KV cache element types. A quantized V cache needs ``flash_attn``
            (llama.cpp refuses to create the context otherwise).
        flash_attn: use flash attention.
        use_mmap: map the file instead of reading it into memory.
        seed: default sampling seed; None draws a random one per reply.
        swa_full: keep full-size caches for sliding-window layers. llama.cpp's library
            default is True (field-notes section 0, item 2); slmdesk defaults to False like the
            llama.cpp CLI/server, which saves memory on Gemma 2/3 and similar models. The fit
            estimator must follow the same flag.

    Raises:
        UserError: an invalid combination (unknown KV type, quantized V without flash
            attention, negative sizes).
    """

    n_ctx: int = 4096
    n_gpu_layers: int = 0
    n_threads: int | None = None
    n_batch: int = 512
    n_ubatch: int = 512
    type_k: KvType = "f16"
    type_v: KvType = "f16"
    flash_attn: bool = False
    use_mmap: bool = True
    seed: int | None = None
    swa_full: bool = False

    def __post_init__(self) -> None:
        for name in ("type_k", "type_v"):
            if getattr(self, name) not in KV_TYPES:
                raise UserError(
                    f"Unknown KV cache type {getattr(self, name)!r} for {name}.",
                    f"Use one of {', '.join(KV_TYPES)}.",
                )
        if flash_attn_required(self.type_k, self.type_v) and not self.flash_attn:
            raise UserError(
                f"A quantized V cache ({self.type_v}) needs flash attention.",
                "Turn flash attention on, or keep the V cache at f16.",
            )
        if self.n_ctx < 0 or self.n_batch < 1 or self.n_ubatch < 1:
            raise UserError("Context length and batch sizes must be positive.")
        if self.n_threads is not None and self.n_threads < 1:
            raise UserError("The thread count must be at least 1.")

    @classmethod
    def from_plan(cls, plan: LoadPlan, estimated_gpu_layers: int | None = None, **overrides: Any) -> LoadSettings:
        """The engine's settings for a :class:`~slmdesk.core.load_plan.LoadPlan`: its context,
        KV type for K and V, flash attention as loaded (forced on by a quantized cache), threads,
        and GPU layers (``plan.gpu_layers_for(estimated_gpu_layers)``: "automatic" takes the
        fit estimator's count, CPU only without one). ``overrides`` replace fields (``n_batch``...).

        Raises:
            UserError: invalid combinations (see the class).
        """
        values: dict[str, Any] = {
            "n_ctx": plan.n_ctx,
            "n_gpu_layers": plan.gpu_layers_for(estimated_gpu_layers),
            "n_threads": plan.n_threads,
            "type_k": plan.kv_type,
            "type_v": plan.kv_type,
            "flash_attn": plan.flash_attn_on,
        }
        values.update(overrides)
        return cls(**values)


@dataclass(frozen=True)
class SamplingParams:
    """How to sample one reply.

    Attributes:
        temperature: 0 means greedy (always the most likely token, reproducible).
        top_k, top_p, min_p: candidate filters applied before temperature (llama.cpp order).
        repeat_penalty: 1.0 disables it; applied over the last 64 tokens.
        max_tokens: most tokens to generate for this reply.
        seed: sampling seed; None uses the load seed, or a random one.
        stop: extra stop strings; the reply ends before the first one and never contains it.
        json_schema: a JSON Schema as JSON text; the reply is then JSON that matches it
            (grammar-constrained sampling: the engine converts the schema to a llama.cpp GBNF
            grammar, llama.cpp backend only; ``'{"type": "object"}'`` is any JSON object).
            "" = free text.

    Raises:
        UserError: out-of-range values.
    """

    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    max_tokens: int = 512
    seed: int | None = None
    stop: tuple[str, ...] = ()
    json_schema: str = ""

    def __post_init__(self) -> None:
        if self.temperature < 0 or self.max_tokens < 1 or not 0 < self.top_p <= 1:
            raise UserError(
                "Sampling settings out of range.",
                "Temperature must be >= 0, max tokens >= 1 and top-p in (0, 1].",
            )
        object.__setattr__(self, "stop", tuple(s for s in self.stop if s))


@dataclass(frozen=True)
class GenerationStats:
    """What one reply cost, measured in the engine process.

    Attributes:
        prompt_tokens: tokens in the rendered prompt.
        prompt_tokens_evaluated: prompt tokens actually computed (the rest reused the KV
            cache of the previous turn).
        completion_tokens: tokens generated (the EOG token that ended the reply included).
        ttft_s: seconds from the request reaching the engine to the first generated token.
        pp_tokens_per_s: prompt processing speed, evaluated prompt tokens / prefill seconds.
        tg_tokens_per_s: generation speed, ``(completion_tokens - 1) / seconds from the first
            to the last token`` (the first token comes from the prompt pass, as in
            llama-bench); 0.0 when fewer than two tokens were generated.
        load_s: seconds the model took to load.
        peak_rss_bytes: the engine process's peak resident memory so far (VmHWM on Linux).
        backend, backend_version: ``"llama.cpp"`` / ``"onnxruntime-genai"`` and the Python
            package version.
        finish_reason: one of :data:`FINISH_REASONS`.
        dropped_messages: indices (into the request's messages) dropped to fit the context.
        tokens_after_cancel: tokens generated after the engine received the cancel request
            (0 or 1 by design); None when not cancelled.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float = 0.0
    pp_tokens_per_s: float = 0.0
    tg_tokens_per_s: float = 0.0
    load_s: float = 0.0
    peak_rss_bytes: int = 0
    backend: str = ""
    backend_version: str = ""
    finish_reason: str = "stop"
    prompt_tokens_evaluated: int = 0
    dropped_messages: tuple[int, ...] = ()
    tokens_after_cancel: int | None = None


@dataclass(frozen=True)
class RuntimeInfo:
    """What an engine runs on, as the engine process found it (``slmdesk doctor``, About, the
    Benchmark results and each stored run show it).

    Attributes:
        engine: the runtime and its version ("llama.cpp 0c1e57098 (llama-cpp-python 0.3.36)").
        build: how llama.cpp was built: ``"portable"`` (runtime CPU dispatch over several CPU
            libraries), ``"single"`` (one CPU library, possibly ``-march=native``), or "".
        cpu_variant: the ggml CPU library in use (``"zen4"``, ``"haswell"``...), "" when the
            build has a single CPU library.
        cpu_variants: every CPU variant the build has.
        cpu_features: instruction-set features of the CPU library in use, as llama.cpp names
            them (``"AVX2"``, ``"AVX512"``, ``"AMX_INT8"``...).
        repack: whether llama.cpp may repack weights into its extra buffer types
            (``use_extra_bufts``; llama-bench ``--repack``).
        buffer_types: the weight buffers of the loaded model (``"CPU_Mapped"``,
            ``"CPU_REPACK"``, ``"CUDA0"``...); empty before a model is loaded.
        gpu_backends: GPU backends loaded ("CUDA", "Vulkan", "Metal"); empty on a CPU build.
        devices: the devices llama.cpp sees, ``"NAME: description"``.
        notes: what was disabled or failed to load, and why.
    """

    engine: str = ""
    build: str = ""
    cpu_variant: str = ""
    cpu_variants: tuple[str, ...] = ()
    cpu_features: tuple[str, ...] = ()
    repack: bool = True
    buffer_types: tuple[str, ...] = ()
    gpu_backends: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: ``"llama.cpp 0c1e57098 · CPU zen4 (AVX512, AVX512_VNNI...) · repack on"``."""
        parts = [self.engine] if self.engine else []
        if self.cpu_variant or self.cpu_features:
            cpu = f"CPU {self.cpu_variant}" if self.cpu_variant else "CPU"
            if self.cpu_features:
                cpu += f" ({', '.join(self.cpu_features)})"
            parts.append(cpu)
        if self.build:
            parts.append(f"{self.build} build")
        if self.engine.startswith("llama.cpp"):
            parts.append(f"repack {'on' if self.repack else 'off'}")
        if self.buffer_types:
            parts.append("buffers " + ", ".join(self.buffer_types))
        if self.gpu_backends:
            parts.append("GPU " + ", ".join(self.gpu_backends))
        return " · ".join(parts)

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> RuntimeInfo:
        """Inverse of :func:`to_dict`; an empty info for None. Lenient, as it reads stored
        records (benchmark runs, the probe cache) that people see: a mistyped field keeps its
        default, with a logged warning."""
        return serial.from_builtins_lenient(cls, raw or {}, "runtime info")


@dataclass(frozen=True)
class LoadInfo:
    """What the engine reports after loading a model.

    Attributes:
        path: the file or folder loaded.
        backend, backend_version: which runtime loaded it.
        n_ctx: the context length really allocated (tokens), after llama.cpp's padding.
        n_ctx_train: the model's training context (tokens), 0 if unknown.
        load_s: seconds to load.
        peak_rss_bytes: engine peak resident memory right after loading.
        model_name: the display name (:mod:`slmdesk.formats.naming`), or the folder name.
        architecture: ``general.architecture`` / genai model type.
        chat_template_source: ``"model"`` (the model's own template) or ``"fallback"``
            (:data:`slmdesk.engine.templates.CHATML_TEMPLATE`).
        template_warning: a problem the user should see before chatting ("" if none).
        system_prompt_supported: False when the template rejects a system message; the
            system prompt is then merged into the first user turn.
        template_notes: further findings of the template preflight.
        has_chat_template: False when the model has no chat template (absent or blank): a
            base model, which Chat opens in completion mode.
        stop_strings: stop strings the engine adds for this model (ChatML markers when the
            fallback template is used).
        settings: the settings used.
        runtime: what the engine runs on (CPU variant, buffer types, GPU backends).
    """

    path: str
    backend: str
    backend_version: str
    n_ctx: int
    n_ctx_train: int = 0
    load_s: float = 0.0
    peak_rss_bytes: int = 0
    model_name: str = ""
    architecture: str = ""
    chat_template_source: str = "model"
    template_warning: str = ""
    system_prompt_supported: bool = True
    template_notes: tuple[str, ...] = ()
    stop_strings: tuple[str, ...] = ()
    has_chat_template: bool = True
    settings: LoadSettings = field(default_factory=LoadSettings)
    runtime: RuntimeInfo = field(default_factory=RuntimeInfo)


@dataclass(frozen=True)
class EngineStats:
    """The engine process's state (answer to a ``stats`` request).

    Attributes:
        pid: engine process id.
        rss_bytes, peak_rss_bytes: current and peak resident memory of the engine process.
        loaded: the loaded path, "" if none.
        backend: backend of the loaded model, "" if none.
    """

    pid: int
    rss_bytes: int
    peak_rss_bytes: int
    loaded: str = ""
    backend: str = ""


# Events of a streamed reply --------------------------------------------------------------


@dataclass(frozen=True)
class PromptReady:
    """First event of a reply: the prompt was rendered and fits the context.

    ``dropped_messages`` are indices of messages left out because the conversation outgrew
    ``n_ctx`` (the system prompt is always kept).
    """

    prompt_tokens: int
    dropped_messages: tuple[int, ...] = ()


@dataclass(frozen=True)
class Prefill:
    """Prompt-processing progress of a long prompt: ``done`` of ``total`` tokens evaluated."""

    done: int
    total: int


@dataclass(frozen=True)
class Token:
    """Reply text, in order. One event may carry the text of several tokens (the engine
    coalesces events for speed), never a partial UTF-8 character or part of a stop string."""

    text: str


@dataclass(frozen=True)
class Done:
    """Last event of a reply: the full text and its :class:`GenerationStats`."""

    text: str
    stats: GenerationStats


Event: TypeAlias = PromptReady | Prefill | Token | Done


@dataclass(frozen=True)
class EmbeddingResult:
    """The answer to an ``embed`` request: one vector per input, in input order.

    Attributes:
        vectors: each input's embedding as ``dimensions`` little-endian float32 values
            (``4 * dimensions`` bytes), L2-normalized to length 1 as OpenAI's are.
        dimensions: the vector size: the model's embedding length ``n_embd`` (576 for
            SmolLM2-135M).
        prompt_tokens: tokens of all inputs together (BOS/EOS included as the vocabulary adds
            them).
        pooling: how token vectors became one: ``"mean"``, ``"cls"`` or ``"last"``.
        cancelled: a ``cancel`` arrived; ``vectors`` is then empty.
    """

    vectors: tuple[bytes, ...]
    dimensions: int
    prompt_tokens: int
    pooling: str
    cancelled: bool = False


# Benchmark (the ``bench`` request; statistics and storage live in slmdesk.bench) -----------

FLASH_ATTN_MODES: dict[str, int] = {"auto": -1, "off": 0, "on": 1}
"""Flash-attention mode -> ``enum llama_flash_attn_type`` (include/llama.h: AUTO = -1,
DISABLED = 0, ENABLED = 1). llama-bench's default is ``auto``."""


@dataclass(frozen=True)
class BenchRequest:
    """One benchmark configuration, measured inside the engine on the loaded model.

    The names and defaults are llama-bench's (``tools/llama-bench/llama-bench.cpp`` of the
    llama.cpp that llama-cpp-python 0.3.36 vendors, ``cmd_params_defaults``): ``-p 512 -n 128
    -r 5 -b 2048 -ub 512 -fa auto``, threads = physical cores.

    Attributes:
        n_prompt: tokens of the ``pp`` test (0 skips it).
        n_gen: tokens of the ``tg`` test (0 skips it).
        n_depth: tokens already in the KV cache before each test (llama-bench ``-d``).
        repetitions: timed repetitions per test, after one untimed warm-up.
        n_threads: threads; None = physical cores.
        n_batch, n_ubatch: logical and physical batch of the ``pp`` test (tokens).
        n_ctx: context of the benchmark context; 0 = ``n_prompt + n_gen + n_depth`` (llama-bench
            sizes each test's context that way).
        flash_attn: ``auto``, ``on`` or ``off`` (llama.cpp only).
        type_k, type_v: KV cache element types of the benchmark contexts (llama-bench ``-ctk``
            / ``-ctv``, default f16; llama.cpp only). A quantized V cache needs flash
            attention ``auto`` or ``on``.
        warmup: run the warm-up (llama-bench ``--no-warmup`` turns it off).
        seed: seed of the random token ids fed to the model.

    Raises:
        UserError: sizes out of range, or an unknown flash-attention mode.
    """

    n_prompt: int = 512
    n_gen: int = 128
    n_depth: int = 0
    repetitions: int = 5
    n_threads: int | None = None
    n_batch: int = 2048
    n_ubatch: int = 512
    n_ctx: int = 0
    flash_attn: str = "auto"
    type_k: KvType = "f16"
    type_v: KvType = "f16"
    warmup: bool = True
    seed: int = 1

    def __post_init__(self) -> None:
        if self.n_prompt < 0 or self.n_gen < 0 or self.n_depth < 0 or self.n_prompt + self.n_gen == 0:
            raise UserError("Benchmark sizes must be >= 0, and pp or tg must be > 0.", "For example --pp 512 --tg 128.")
        if self.repetitions < 1 or self.n_batch < 1 or self.n_ubatch < 1 or self.n_ctx < 0:
            raise UserError("Repetitions and batch sizes must be at least 1.")
        if self.n_threads is not None and self.n_threads < 1:
            raise UserError("The thread count must be at least 1.")
        if self.flash_attn not in FLASH_ATTN_MODES:
            raise UserError(f"Unknown flash-attention mode {self.flash_attn!r}.", "Use auto, on or off.")
        for name in ("type_k", "type_v"):
            if getattr(self, name) not in KV_TYPES:
                raise UserError(f"Unknown KV cache type {getattr(self, name)!r}.", f"Use one of {', '.join(KV_TYPES)}.")
        if flash_attn_required(self.type_k, self.type_v) and self.flash_attn == "off":
            raise UserError(
                f"A quantized V cache ({self.type_v}) needs flash attention.",
                "Set flash attention to auto or on, or keep the KV cache at f16.",
            )

    @property
    def n_ctx_needed(self) -> int:
        """Tokens the benchmark context must hold: ``n_depth + n_prompt + n_gen``."""
        return self.n_depth + self.n_prompt + self.n_gen


@dataclass(frozen=True)
class BenchTest:
    """Raw timings of one test (``pp`` or ``tg``), one entry per timed repetition.

    Attributes:
        kind: ``"pp"`` (prompt processing) or ``"tg"`` (token generation).
        n_tokens: tokens processed per repetition (``n_prompt`` or ``n_gen``).
        n_depth: tokens in the KV cache before each repetition.
        samples_ns: wall-clock nanoseconds per repetition (``time.perf_counter_ns``).
        energy_j: package energy per repetition in joules (RAPL), empty when unavailable.
    """

    kind: str
    n_tokens: int
    n_depth: int
    samples_ns: tuple[int, ...]
    energy_j: tuple[float, ...] = ()


@dataclass(frozen=True)
class BenchReport:
    """What the engine measured for one :class:`BenchRequest`.

    Attributes:
        backend, backend_version: runtime and package version.
        n_threads, n_batch, n_ubatch, n_ctx, flash_attn: the settings really used (``n_ctx``
            as allocated; for ONNX ``n_batch``/``n_ubatch`` are the prompt length, one pass).
        tests: the ``pp`` and ``tg`` tests run, in that order.
        energy_source: the counters used ("RAPL package-0"), "" when energy was not measured.
        energy_note: why energy is not available ("" when it is).
        cancelled: the client cancelled the run; ``tests`` is then empty.
        runtime: what the engine ran on (CPU variant, buffer types...).
    """

    backend: str
    backend_version: str
    n_threads: int
    n_batch: int
    n_ubatch: int
    n_ctx: int
    flash_attn: str
    tests: tuple[BenchTest, ...] = ()
    energy_source: str = ""
    energy_note: str = ""
    cancelled: bool = False
    runtime: RuntimeInfo = field(default_factory=RuntimeInfo)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BenchReport:
        """Inverse of :func:`to_dict` (:func:`from_dict` of this class, nested tests included)."""
        return from_dict(cls, raw)


@dataclass(frozen=True)
class BenchProgress:
    """Progress of a ``bench`` request: ``done`` of ``total`` steps (warm-ups and repetitions)."""

    done: int
    total: int
    message: str = ""


# Errors --------------------------------------------------------------------------------


class EngineError(UserError):
    """The engine reported a failure it survived (bad file, unsupported model, bad request)."""


class EngineCrashed(UserError):
    """The engine process ended unexpectedly (native crash, out of memory, killed).

    The client stays usable: start it again and load a model. ``returncode`` is the child's
    exit status (negative: the signal number), ``stderr_tail`` its last log lines.
    """

    def __init__(self, message: str, hint: str = "", returncode: int | None = None, stderr_tail: str = "") -> None:
        super().__init__(message, hint)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class EngineTimeout(UserError):
    """The engine did not answer in time; it was stopped."""


class ContextOverflowError(UserError):
    """The conversation cannot fit the context even after dropping old turns."""


class NotLoadedError(UserError):
    """A request that needs a model was sent with none loaded."""


class ModelChangedError(NotLoadedError):
    """A request that named the model it expects found another one loaded (or none): the
    engine's other user (Chat, on an engine it shares with the API server) swapped or freed it
    while the request waited. Raised by the client before anything is sent."""


class InvalidRequestError(EngineError):
    """A request the loaded model cannot serve as asked, through no fault of the engine: a JSON
    Schema that cannot become a grammar (or a backend without grammars), an empty embedding
    input, a token id outside the vocabulary, a backend that cannot embed."""


# Serialization helpers for the protocol ---------------------------------------------------


def to_dict(value: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict (nested dataclasses as dicts, tuples as lists), through
    :func:`slmdesk.core.serial.to_builtins`."""
    result: dict[str, Any] = serial.to_builtins(value)
    return result


def from_dict(cls: type[T], raw: dict[str, Any]) -> T:
    """Rebuild dataclass ``cls`` from :func:`to_dict` output (nested dataclasses and tuples
    included, ``__post_init__`` run); unknown keys are ignored, missing ones take defaults.

    Raises:
        ValueError: a missing required field or a mistyped value (the message names its path).
        UserError: the values are an invalid combination (the class's own check).
    """
    return serial.from_builtins(cls, raw)
