"""Will this model run here? Memory breakdown, verdict, largest context and speed bound (pure).

:func:`estimate` takes a :class:`~slmdesk.core.model_spec.ModelSpec` (header facts only), the
load settings (:class:`FitOptions`) and a :class:`~slmdesk.core.profiles.HardwareProfile`, and
predicts what the engine process will hold:

- **weights** per device: llama.cpp keeps the input embedding on the CPU; ``n_gpu_layers``
  counts the output layer first, then repeating layers from the last one down
  (``src/llama-model.cpp``, ``load_tensors``: ``i_gpu_start = max(n_layer + 1 - ngl, 0)``,
  layers ``il >= i_gpu_start`` of ``0..n_layer`` go to the GPU, ``il == n_layer`` being the
  output layer; its log says "offloading output layer to GPU", "offloading N-1 repeating
  layers");
- **KV cache** per layer and device, with llama.cpp's own sizes (``src/llama-kv-cache.cpp``,
  ``src/llama-kv-cache-iswa.cpp``): ``n_ctx`` padded to 256, GQA head counts per layer, K and V
  head sizes, sliding-window layers at full size when ``swa_full`` (llama.cpp's library default,
  which llama-cpp-python keeps) or ``pad256(min(n_ctx, n_swa + n_ubatch))`` cells otherwise
  (what slmdesk's engine asks for);
- **compute buffers**: what llama.cpp reserves (``sched_reserve: ... compute buffer size``) and,
  on the host, the part a real decode touches (resident memory);
- **output buffer** (logits of one token) and the **runtime overhead** of the engine process
  (Python + llama_cpp, the vocabulary, per-cell bookkeeping).

Every calibration constant below names the machine, the command and the numbers it came from.
Calibration machine ("the build machine"): 2 vCPU AMD EPYC (AVX2, no AVX-512), 24 GiB RAM,
Linux, Python 3.11, llama-cpp-python 0.3.36 (CPU build, REPACK on), numpy 2.4; models:
SmolLM2-135M-Instruct Q4_1 (llama, 30 layers, 3 KV heads x 64, vocab 49,152) and Gemma 3 270M
Q4_K_M (gemma3, 18 layers, 1 KV head x 256, sliding window 512 on 15 layers, vocab 262,144).
Measurements: ``benchmarks/fit_accuracy.py`` (a fresh engine process per row reporting its
``VmHWM``; ``--raw`` for a bare ``llama_cpp.Llama`` child with ``VmRSS`` per stage and
llama.cpp's verbose log lines).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import GpuInfo, HardwareProfile
from slmdesk.core.quant_types import KV_CACHE_TYPES, row_size
from slmdesk.core.units import MIB, format_bytes

# --- llama.cpp facts ---------------------------------------------------------------------------

CTX_PAD = 256
"""llama.cpp pads ``n_ctx`` (and the SWA cache size) to a multiple of 256
(``src/llama-context.cpp``: ``cparams.n_ctx = GGML_PAD(cparams.n_ctx, 256)``; field notes §0.3).
Measured: n_ctx 300 -> "n_ctx = 512" in the log."""

KV_QUANT_TYPES_NEED_FLASH_ATTN = frozenset({"q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"})
"""A quantized V cache needs flash attention: llama.cpp refuses the context otherwise
("quantized V cache requires flash_attn", ``src/llama-context.cpp``)."""

# --- calibration constants (llama.cpp engine on the host) ---------------------------------------

ENGINE_BASE_BYTES = int(46.5 * MIB)
"""Resident memory of slmdesk's engine process (``python -m slmdesk engine-host``) once it has
imported llama_cpp, before any model. Measured on the build machine: ``python -c "import
slmdesk.__main__, slmdesk.cli, slmdesk.engine.host, slmdesk.engine.backend_llama, llama_cpp"``
then ``VmRSS`` = 46.5 MiB (a bare ``python -c "import llama_cpp"``: 40.0-40.2 MiB; the engine
host before it imports llama_cpp: 25.0 MiB)."""

CONTEXT_FIXED_BYTES = int(15.4 * MIB)
VOCAB_BYTES_PER_TOKEN = 129.5
"""Host memory of a loaded model and context beyond weights, KV cache and compute buffers:
``CONTEXT_FIXED_BYTES + VOCAB_BYTES_PER_TOKEN * n_vocab``. The per-token part is the vocabulary
(``llama_vocab``: token text ``std::string`` + score + attributes, the ``token_to_id`` hash map
node and the ``token_to_piece`` cache: about 130 bytes a token). Measured on the build machine
as ``VmRSS after Llama() - after import - weights - CPU_REPACK buffer - KV cache`` at n_ctx 512:
SmolLM2 21.5 MiB (49,152 tokens), Gemma 3 47.9 MiB (262,144 tokens); two equations, two
unknowns. ``Llama(vocab_only=True)`` agrees: +18.6 vs +44.4 MiB (25.8 MiB apart)."""

KV_CELL_META_BYTES = 68
"""Bookkeeping per KV cell (``llama_kv_cells``: position, sequence bitset, shift...), counted
over the cells of every cache, plus llama-cpp-python's ``input_ids`` (4 bytes per n_ctx).
Measured on the build machine: resident memory minus KV buffer grew by 2.25 MiB from n_ctx 512
to 32768 on SmolLM2 (one cache, 73 B/cell) and by 4.0 MiB on Gemma 3 with swa_full (two caches,
65 B/cell/cache)."""

COMPUTE_BASE_TOUCHED_BYTES = int(1.7 * MIB)
COMPUTE_VOCAB_BYTES = 12
COMPUTE_FFN_BYTES_FLASH = 16
COMPUTE_FFN_BYTES_NO_FLASH = 7
COMPUTE_MASK_BYTES_FLASH = 2.5
"""Host compute memory a decode really touches (llama.cpp's compute buffer is allocated lazily:
pages count only once written). Model, for a ubatch of ``t`` tokens against ``k`` KV cells:
``BASE + 12 * n_vocab + t * f * n_ff + k * t * e`` where ``12 * n_vocab`` is the logits row in
the compute and output buffers plus the sampler's candidates, ``f`` is 16 bytes per FFN unit
with flash attention (gate and up activations, f32, and their q8 copies in the CPU work buffer)
and 7 without (the attention scores' region is reused), and ``e`` per (cell, token) is
2.5 bytes with flash attention (f16 mask) or ``6 * n_head + 4`` bytes without (f32 scores,
their f16 copy for the KQV product in the CPU work buffer, f32 mask). Gemma-3-style models have
a second mask for the sliding-window cache: 2.5 (flash) or 4 bytes per (its cell, token).
Measured on the build machine as peak - resident after load (``--fill`` and default runs of
``benchmarks/fit_accuracy.py``): t = 512, k = 512 / 2048: SmolLM2 flash 15.3 / 17.2 MiB,
no flash 21.3 / 64.4 MiB; Gemma 3 flash 21.1 / 25.3 (q8_0) MiB, no flash 22.4 / 44.1 MiB;
t = 32, k = 256: SmolLM2 2.6-3.3 MiB, Gemma 3 4.8-6.3 MiB."""

REPACK_TYPES_X86_AVX2 = frozenset({"Q4_0", "Q4_K", "IQ4_NL", "MXFP4"})
REPACK_TYPES_X86_AVX512 = REPACK_TYPES_X86_AVX2 | {"Q2_K"}
REPACK_TYPES_ARM_DOTPROD = frozenset({"Q4_0", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "MXFP4", "Q8_0", "Q1_0"})
"""Weight types llama.cpp's CPU back-end copies into interleaved "CPU_REPACK" buffers
(``ggml/src/ggml-cpu/repack.cpp``, ``ggml_repack_get_optimal_repack_type``, in the llama.cpp
that llama-cpp-python 0.3.36 vendors): AVX2 -> Q4_0, Q4_K, IQ4_NL, MXFP4 (+ Q2_K with AVX-512);
ARM NEON with dotprod or i8mm -> also Q5_K, Q6_K, Q8_0, Q1_0. The token embedding is never
repacked. With mmap the file pages stay mapped too, so those weights are resident twice.
Measured on the build machine: Gemma 3 270M Q4_K_M logs "CPU_REPACK model buffer size =
12.66 MiB" (its 27 Q4_K tensors, 13,271,040 bytes) next to "CPU_Mapped ... 235.16 MiB" (the
whole file), and its resident memory is that much higher; SmolLM2 Q4_1 has no repack buffer."""

GPU_RUNTIME_RESERVE_BYTES = {"nvidia": 457 * MIB, "apple": 512 * MIB}
GPU_RUNTIME_RESERVE_OTHER = 512 * MIB
"""Device memory the GPU runtime takes before any tensor (CUDA context, cuBLAS workspace; Metal
heaps). Not measured here (no GPU on the build machine): Ollama's ``MinimumMemory`` per library
(``ml/device.go`` at commit 3258a89b: 457 MiB CUDA/ROCm, 512 MiB Metal)."""

GPU_HOST_RUNTIME_BYTES = 150 * MIB
"""Extra host memory of a process using a GPU back-end (driver and runtime libraries). Not
measured here: gguf-parser-go's default ``--platform-footprint 150,250`` (RAM MiB)."""

TIGHT_FRACTION = 0.10
"""A load that fits with less than 10 % of the available memory to spare is "tight"."""

# --- ONNX Runtime GenAI ------------------------------------------------------------------------

ORT_ENGINE_BASE_BYTES = int(143.7 * MIB)
ORT_LOAD_TRANSIENT_BYTES = int(15.3 * MIB)
ORT_PROMPT_BYTES_PER_EMBD = 64
"""ONNX Runtime GenAI in slmdesk's engine process (onnxruntime-genai 0.18.0, onnxruntime 1.32.0,
CPU provider). The engine appends the whole prompt at once and sizes the KV cache per reply
(``max_length = min(n_ctx, prompt + max_tokens)``, ``engine/backend_onnx.py``), so memory is

    max(base + weights + LOAD_TRANSIENT,
        base + weights + KV(max_length) + P * (4 * n_vocab + 64 * n_embd))

for a prompt of P tokens: the logits of every prompt token (f32) plus activations. Measured on
the build machine with the SmolLM2 int4 CPU build in the test cache (weights 86,513,245 B,
f32 KV 45 KiB/token) through ``EngineClient`` at n_ctx 8192, 8 new tokens: prompts of 37 /
1938 / 5738 tokens peaked at 241.5 / 742.5 / 1796.5 MiB (predicted 241.5 / 743.2 / 1756); the
resident memory after the 37-token reply, 236.4 MiB, gives the base (143.7 MiB beyond the
weights: engine, onnxruntime, session, tokenizer), and the load peak 15.3 MiB above it. One
model only: approximate for other sizes."""

# --- rules of thumb people use (for comparison in benchmarks) ----------------------------------

FILE_SIZE_RULE_FACTOR = 1.2
"""The common "file size x 1.2" rule (e.g. many model cards and forum answers)."""


class Verdict(str, Enum):
    """The fit verdict. ``value`` is the stable key (JSON, database), ``label`` the text."""

    FITS_GPU = "fits_gpu"
    PARTIAL_OFFLOAD = "partial_offload"
    CPU_ONLY = "cpu_only"
    TIGHT = "tight"
    WILL_NOT_FIT = "will_not_fit"

    @property
    def label(self) -> str:
        """The verdict in words ("fits fully on GPU", ...)."""
        return _VERDICT_LABELS[self]


_VERDICT_LABELS = {
    Verdict.FITS_GPU: "fits fully on GPU",
    Verdict.PARTIAL_OFFLOAD: "partial offload",
    Verdict.CPU_ONLY: "CPU only",
    Verdict.TIGHT: "tight",
    Verdict.WILL_NOT_FIT: "will not fit",
}


@dataclass(frozen=True)
class FitOptions:
    """Load settings the estimate depends on (llama-cpp-python ``Llama(...)`` names).

    Attributes:
        n_ctx: requested context length in tokens (llama.cpp pads it to a multiple of 256).
        n_batch: logical batch (``Llama`` default 512; clamped to ``n_ctx`` like llama-cpp-python).
        n_ubatch: physical batch (default 512; clamped to ``n_batch``).
        kv_type: KV cache type of K (and of V unless ``kv_type_v`` is set): "f16", "q8_0", "q4_0"...
        kv_type_v: V cache type when it differs from ``kv_type``.
        flash_attn: flash attention on. llama-cpp-python's default is off; a quantized V cache
            needs it.
        n_gpu_layers: layers to offload (llama.cpp counting: 1 = the output layer, k = the
            output layer and the last k - 1 repeating layers, ``n_layer + 1`` or -1 =
            everything); None = choose automatically (:func:`auto_gpu_layers`).
        mmap: load weights with mmap (the default); the resident size is the same on Linux, where
            llama.cpp maps with ``MAP_POPULATE``.
        swa_full: full-size cache for sliding-window layers. False here because slmdesk's engine
            passes ``swa_full=False`` (``engine/types.py`` ``LoadSettings``), like llama.cpp's
            CLI and server. llama-cpp-python's own ``Llama()`` default is the library default,
            True; measured on the build machine, Gemma 3 270M at n_ctx 32768 then allocates
            480 MiB for its 15 sliding-window layers (15 x 32768 cells) instead of 15 MiB
            (15 x 1024 cells).
        offload_kqv: keep each offloaded layer's KV cache on its GPU (the default).
        n_seq: parallel sequences (1 in slmdesk).
        tokens_in_context: tokens in the KV cache at the moment of interest; None = the context is
            full (the worst case a long conversation reaches).
        largest_batch: tokens in the largest batch decoded at once; None = ``n_ubatch``.
    """

    n_ctx: int = 4096
    n_batch: int = 512
    n_ubatch: int = 512
    kv_type: str = "f16"
    kv_type_v: str | None = None
    flash_attn: bool = False
    n_gpu_layers: int | None = None
    mmap: bool = True
    swa_full: bool = False
    offload_kqv: bool = True
    n_seq: int = 1
    tokens_in_context: int | None = None
    largest_batch: int | None = None

    @property
    def type_k(self) -> str:
        """K cache type, lower case."""
        return self.kv_type.lower()

    @property
    def type_v(self) -> str:
        """V cache type, lower case."""
        return (self.kv_type_v or self.kv_type).lower()

    @property
    def kv_label(self) -> str:
        """"f16", or "q8_0/f16" when K and V differ."""
        return self.type_k if self.type_k == self.type_v else f"{self.type_k}/{self.type_v}"


@dataclass(frozen=True)
class FitEstimate:
    """Predicted memory of the engine process and what it means on one hardware profile.

    Sizes are bytes. "Host" is system RAM; "device" is the GPU chosen for offload (on unified
    memory machines both live in the same RAM).

    Attributes:
        n_ctx: context length after llama.cpp's padding to 256.
        n_ctx_requested: the ``n_ctx`` asked for.
        kv_type: "f16", "q8_0"... (K/V when they differ).
        flash_attn, swa_full: the settings the estimate assumed.
        gpu_layers: layers offloaded (llama.cpp counting, 0..n_layer+1).
        n_layer: the model's repeating layers.
        device_name: the GPU used, or None.
        weights_host_bytes / weights_device_bytes: model tensors resident on each side.
        kv_cache_host_bytes / kv_cache_device_bytes: KV cache on each side.
        kv_cells: cells per layer kind: (full-attention layers' cells, sliding-window layers' cells).
        compute_host_bytes: host compute memory a decode touches at ``tokens_in_context``.
        compute_reserved_host_bytes: host compute buffer llama.cpp reserves (address space;
            pages become resident only when used).
        compute_device_bytes: device compute buffer (allocated up front by GPU back-ends).
        output_bytes: logits buffer (one row of ``n_vocab`` floats per sequence).
        overhead_bytes: engine-process overhead on the host (interpreter + engine library,
            vocabulary, context bookkeeping, GPU runtime when one is used).
        device_overhead_bytes: GPU runtime reserve on the device.
        total_host_bytes: predicted peak resident memory of the engine process on the host.
        total_device_bytes: predicted device memory use.
        host_available_bytes / device_available_bytes: what the profile offers.
        verdict: the fit verdict (against available, not total, memory).
        placement: where the model runs when it fits: FITS_GPU, PARTIAL_OFFLOAD or CPU_ONLY
            (the verdict says TIGHT or WILL_NOT_FIT on top of it).
        max_ctx: largest multiple of 256 up to the model's context length that fits with the
            same settings, or None when not even 256 fits.
        bytes_per_token: bytes read from memory per generated token at this context.
        tg_tokens_per_s_bound: upper bound on generation speed (tokens/s), None without a
            bandwidth figure.
        notes: warnings for people (context beyond the trained length, no GPU build...).
    """

    n_ctx: int
    n_ctx_requested: int
    kv_type: str
    flash_attn: bool
    swa_full: bool
    gpu_layers: int
    n_layer: int
    device_name: str | None
    weights_host_bytes: int
    weights_device_bytes: int
    kv_cache_host_bytes: int
    kv_cache_device_bytes: int
    kv_cells: tuple[int, int]
    compute_host_bytes: int
    compute_reserved_host_bytes: int
    compute_device_bytes: int
    output_bytes: int
    overhead_bytes: int
    device_overhead_bytes: int
    total_host_bytes: int
    total_device_bytes: int
    host_available_bytes: int
    device_available_bytes: int | None
    verdict: Verdict
    placement: Verdict
    max_ctx: int | None
    bytes_per_token: int
    tg_tokens_per_s_bound: float | None
    notes: tuple[str, ...] = ()

    @property
    def weights_bytes(self) -> int:
        """Weights on host and device together."""
        return self.weights_host_bytes + self.weights_device_bytes

    @property
    def kv_cache_bytes(self) -> int:
        """KV cache on host and device together."""
        return self.kv_cache_host_bytes + self.kv_cache_device_bytes

    @property
    def compute_bytes(self) -> int:
        """Compute memory counted in the totals (host touched + device reserved)."""
        return self.compute_host_bytes + self.compute_device_bytes

    @property
    def fits(self) -> bool:
        """True unless the verdict is WILL_NOT_FIT."""
        return self.verdict is not Verdict.WILL_NOT_FIT

    def to_json_dict(self) -> dict[str, object]:
        """The fields ``slmdesk fit --json`` prints (bytes as integers, verdict as its key)."""
        return {
            "n_ctx": self.n_ctx,
            "kv_type": self.kv_type,
            "flash_attn": self.flash_attn,
            "swa_full": self.swa_full,
            "weights_bytes": self.weights_bytes,
            "kv_cache_bytes": self.kv_cache_bytes,
            "compute_bytes": self.compute_bytes,
            "output_bytes": self.output_bytes,
            "overhead_bytes": self.overhead_bytes + self.device_overhead_bytes,
            "total_host_bytes": self.total_host_bytes,
            "total_device_bytes": self.total_device_bytes,
            "host_available_bytes": self.host_available_bytes,
            "device_available_bytes": self.device_available_bytes,
            "verdict": self.verdict.value,
            "verdict_text": self.verdict.label,
            "placement": self.placement.value,
            "max_ctx": self.max_ctx,
            "gpu_layers": self.gpu_layers,
            "device": self.device_name,
            "bytes_per_token": self.bytes_per_token,
            "tg_tokens_per_s_bound": None if self.tg_tokens_per_s_bound is None else round(self.tg_tokens_per_s_bound, 1),
            "notes": list(self.notes),
        }


# --- pieces -----------------------------------------------------------------------------------


def pad_ctx(n_ctx: int) -> int:
    """``n_ctx`` rounded up to a multiple of :data:`CTX_PAD` (256), as llama.cpp does."""
    return -(-max(1, n_ctx) // CTX_PAD) * CTX_PAD


def _require(spec: ModelSpec) -> None:
    missing = [
        name
        for name, value in (
            ("block_count", spec.n_layer),
            ("embedding_length", spec.n_embd),
            ("attention.head_count_kv", spec.n_head_kv),
            ("attention.key_length", spec.head_dim_k),
            ("vocabulary size", spec.n_vocab),
        )
        if not value
    ]
    if spec.format == "gguf" and not spec.layer_weights_bytes:
        missing.append("tensor table")
    if missing:
        raise UserError(
            f"Cannot estimate memory for {spec.path.name}: its header lacks {', '.join(missing)}.",
            "The file may be truncated or of an architecture slmdesk cannot read yet.",
        )


def _check_options(options: FitOptions) -> None:
    for kind, value in (("K", options.type_k), ("V", options.type_v)):
        if value not in KV_CACHE_TYPES:
            raise UserError(
                f"{value!r} is not a KV cache type for {kind}.",
                f"Use one of: {', '.join(KV_CACHE_TYPES)}.",
            )
    if options.type_v in KV_QUANT_TYPES_NEED_FLASH_ATTN and not options.flash_attn:
        raise UserError(
            f"A {options.type_v} V cache needs flash attention (llama.cpp refuses it otherwise).",
            "Turn flash attention on, or use an f16 V cache.",
        )
    if options.n_ctx < 1 or options.n_batch < 1 or options.n_ubatch < 1 or options.n_seq < 1:
        raise UserError("Context and batch sizes must be positive.", "Pass --ctx 256 or more.")


def kv_cells_per_layer(spec: ModelSpec, options: FitOptions) -> tuple[int, ...]:
    """KV cells each layer allocates (0 for layers without attention), per sequence stream.

    Full-attention layers: ``pad256(n_ctx)``. Sliding-window layers: the same when
    ``swa_full``, else ``pad256(min(n_ctx, n_swa * n_seq + n_ubatch))``
    (``llama_kv_cache_iswa`` constructor, ``src/llama-kv-cache-iswa.cpp``).
    """
    n_ctx = pad_ctx(options.n_ctx)
    n_layer = spec.n_layer or 0
    swa = spec.swa_layers if len(spec.swa_layers) == n_layer else (False,) * n_layer
    n_ubatch = _ubatch(options)
    swa_cells = n_ctx
    if spec.sliding_window and not options.swa_full:
        swa_cells = pad_ctx(min(n_ctx, spec.sliding_window * options.n_seq + n_ubatch))  # == _swa_cells
    heads = spec.n_head_kv if len(spec.n_head_kv) == n_layer else (spec.n_head_kv_max or 0,) * n_layer
    return tuple(0 if heads[il] == 0 else (swa_cells if swa[il] else n_ctx) for il in range(n_layer))


def kv_bytes_per_cell(spec: ModelSpec, options: FitOptions) -> tuple[int, ...]:
    """Bytes one KV cell costs in each layer: ``row_size(type_k, head_dim_k * n_head_kv) +
    row_size(type_v, head_dim_v * n_head_kv)`` (``src/llama-kv-cache.cpp``; ``ggml_row_size``).

    Raises:
        UserError: the row is not a multiple of the quantized type's block (32 values).
    """
    n_layer = spec.n_layer or 0
    heads = spec.n_head_kv if len(spec.n_head_kv) == n_layer else (spec.n_head_kv_max or 0,) * n_layer
    head_k = spec.head_dim_k or 0
    head_v = spec.head_dim_v or head_k
    try:
        return tuple(
            0 if h == 0 else row_size(options.type_k, head_k * h) + row_size(options.type_v, head_v * h)
            for h in heads
        )
    except ValueError as error:
        raise UserError(
            f"This model's KV rows cannot use a {options.kv_label} cache: {error}.",
            "Use an f16 KV cache.",
        ) from error


def kv_cache_bytes_per_layer(spec: ModelSpec, options: FitOptions) -> tuple[int, ...]:
    """KV cache bytes per layer: cells x bytes per cell x sequence streams (one stream when the
    cache is unified, llama-cpp-python's case)."""
    cells = kv_cells_per_layer(spec, options)
    per_cell = kv_bytes_per_cell(spec, options)
    return tuple(c * b for c, b in zip(cells, per_cell))


def _ubatch(options: FitOptions) -> int:
    """llama-cpp-python: ``n_batch = min(n_ctx, n_batch)``, ``n_ubatch = min(n_batch, n_ubatch)``."""
    return min(options.n_ubatch, options.n_batch, options.n_ctx)


def _is_iswa(spec: ModelSpec) -> bool:
    """True when some layers use a sliding window: llama.cpp then keeps two caches (and builds
    two attention masks), full-attention and sliding-window (``llama_kv_cache_iswa``)."""
    return bool(spec.sliding_window) and any(spec.swa_layers)


def _swa_cells(spec: ModelSpec, options: FitOptions) -> int:
    """Cells of the sliding-window cache (0 without one)."""
    if not _is_iswa(spec):
        return 0
    n_ctx = pad_ctx(options.n_ctx)
    if options.swa_full:
        return n_ctx
    return pad_ctx(min(n_ctx, (spec.sliding_window or 0) * options.n_seq + _ubatch(options)))


def compute_reserved_bytes(spec: ModelSpec, options: FitOptions, with_output: bool = True) -> int:
    """The compute buffer llama.cpp reserves for the worst ubatch (``graph_reserve`` with
    ``n_ubatch`` tokens and outputs): the larger of the output phase,
    ``4 * n_ubatch * (n_vocab + 2 * n_embd)`` (the logits of every token; only when the output
    layer is on that device), and the attention phase,
    ``4 * n_ubatch * (n_ctx * (n_head + 1) + swa_cells)`` without flash attention (f32 scores
    and masks) or ``2 * n_ubatch * (n_ctx + swa_cells)`` with it, plus ``4 * n_ubatch * (2 * n_embd + n_ff +
    n_head * head_dim)`` of activations.

    Checked against "sched_reserve: CPU compute buffer size" on the build machine: SmolLM2
    98.25 (512, 8192 flash) / 166.38 (8192) / 646.38 (32768) MiB predicted 98.25 / 98.25 / 166.38
    / 646.38; Gemma 3 514.5 MiB at every n_ctx, predicted 514.5.
    """
    n_ub = _ubatch(options)
    n_ctx = pad_ctx(options.n_ctx)
    n_embd = spec.n_embd or 0
    n_head = spec.n_head_max or 0
    n_ff = max(spec.n_ff, default=0)
    head_k = spec.head_dim_k or 0
    swa_cells = _swa_cells(spec, options)
    output_phase = 4 * n_ub * ((spec.n_vocab or 0) + 2 * n_embd) if with_output else 0
    activations = 4 * n_ub * (2 * n_embd + n_ff + n_head * head_k)
    if options.flash_attn:
        attention = 2 * n_ub * (n_ctx + swa_cells) + activations
    else:
        attention = 4 * n_ub * (n_ctx * (n_head + 1) + swa_cells) + activations
    return max(output_phase, attention)


def compute_touched_bytes(spec: ModelSpec, options: FitOptions) -> int:
    """Host compute memory a decode touches at ``options.tokens_in_context`` (None = full
    context) with batches of ``options.largest_batch`` tokens (None = n_ubatch).

    Formula and measurements: :data:`COMPUTE_FFN_BYTES_FLASH` and its neighbours. llama.cpp
    sizes the attention to the used cells, padded to 256 (``llama_kv_cache::get_n_kv``).
    """
    n_ctx = pad_ctx(options.n_ctx)
    used = n_ctx if options.tokens_in_context is None else min(n_ctx, max(1, options.tokens_in_context))
    n_kv = min(n_ctx, pad_ctx(used))
    batch = _ubatch(options) if options.largest_batch is None else max(1, min(options.largest_batch, _ubatch(options)))
    n_ff = max(spec.n_ff, default=0) or 4 * (spec.n_embd or 0)
    n_kv_swa = min(n_kv, _swa_cells(spec, options))
    if options.flash_attn:
        per_token = COMPUTE_FFN_BYTES_FLASH * n_ff
        cells = COMPUTE_MASK_BYTES_FLASH * (n_kv + n_kv_swa)
    else:
        per_token = COMPUTE_FFN_BYTES_NO_FLASH * n_ff
        cells = (6 * (spec.n_head_max or 0) + 4) * n_kv + 4 * n_kv_swa
    return int(
        COMPUTE_BASE_TOUCHED_BYTES + COMPUTE_VOCAB_BYTES * (spec.n_vocab or 0) + batch * (per_token + cells)
    )


def repack_types(profile: HardwareProfile) -> frozenset[str]:
    """Weight types the CPU back-end repacks on ``profile`` (:data:`REPACK_TYPES_X86_AVX2` and
    neighbours); empty when the CPU features are unknown or llama.cpp reports ``REPACK = 0``."""
    if profile.llama_cpu_features and "REPACK = 1" not in profile.llama_cpu_features:
        return frozenset()
    features = set(profile.cpu_features)
    if "neon" in features and ({"dotprod", "i8mm"} & features):
        return REPACK_TYPES_ARM_DOTPROD
    if "avx512f" in features:
        return REPACK_TYPES_X86_AVX512
    if "avx2" in features:
        return REPACK_TYPES_X86_AVX2
    return frozenset()


def _output_weights_on_gpu(spec: ModelSpec) -> int:
    """Bytes the output layer takes on a GPU: ``output_norm`` + ``output.weight``, or a duplicate
    of ``token_embd`` when embeddings are tied (llama.cpp loads it again for the output device)."""
    out = spec.output_weights_bytes or 0
    if spec.tied_embeddings:
        out += spec.input_weights_bytes or 0
    return out


# --- estimate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    gpu_layers: int
    weights_host: int
    weights_device: int
    kv_host: int
    kv_device: int


def _layout(spec: ModelSpec, options: FitOptions, gpu_layers: int) -> _Layout:
    """Split weights and KV cache between host and device for ``gpu_layers`` (llama.cpp counting)."""
    n_layer = spec.n_layer or 0
    layer_w = spec.layer_weights_bytes or (0,) * n_layer
    kv = kv_cache_bytes_per_layer(spec, options)
    first_gpu = _first_gpu_layer(n_layer, gpu_layers)
    output_on_gpu = gpu_layers >= 1
    w_host = (spec.input_weights_bytes or 0) + sum(layer_w[:first_gpu])
    w_dev = sum(layer_w[first_gpu:])
    if output_on_gpu:
        w_dev += _output_weights_on_gpu(spec)
    else:
        w_host += spec.output_weights_bytes or 0
    if options.offload_kqv:
        kv_host, kv_dev = sum(kv[:first_gpu]), sum(kv[first_gpu:])
    else:
        kv_host, kv_dev = sum(kv), 0
    # Tensors that fall in no bucket (rope factors, per-layer embeddings of newer archs) stay on
    # the host: the file's weight total is the ground truth.
    accounted = (spec.input_weights_bytes or 0) + sum(layer_w) + (spec.output_weights_bytes or 0)
    w_host += max(0, (spec.weights_bytes or accounted) - accounted)
    # Not counted yet: repacked copies of CPU-layer weights of the :func:`repack_types` types,
    # which need per-type tensor bytes that ModelSpec does not carry (Gemma 3 270M Q4_K_M:
    # 12.66 MiB, 3-4 % of its resident memory, predicted too low).
    return _Layout(gpu_layers, w_host, w_dev, kv_host, kv_dev)


def _first_gpu_layer(n_layer: int, gpu_layers: int) -> int:
    """First repeating layer on the GPU: ``i_gpu_start = max(n_layer + 1 - ngl, 0)``; ``n_layer``
    when none is (``gpu_layers`` 0 or 1: at most the output layer is offloaded)."""
    return n_layer if gpu_layers <= 0 else max(n_layer + 1 - gpu_layers, 0)


def _gpu_reserve(gpu: GpuInfo) -> int:
    return GPU_RUNTIME_RESERVE_BYTES.get(gpu.vendor, GPU_RUNTIME_RESERVE_OTHER)


def auto_gpu_layers(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> int:
    """How many layers to offload, Ollama-style (classic ``estimateGPULayers``, ``llm/memory.go``
    at commit 3258a89b; field notes §1.6): reserve the runtime's minimum and the compute graph
    on the GPU, then walk the layers in the order llama.cpp's ``n_gpu_layers`` counts them (the
    output layer, then repeating layers from the last to the first), adding each one's weights
    and KV cache while they fit in 90 % of the free device memory (the rest is the margin
    :data:`TIGHT_FRACTION` asks for). ``n_layer + 1`` means "fully on GPU".

    Returns 0 when the profile has no usable GPU or the llama.cpp build cannot offload.
    """
    gpu = profile.best_gpu
    if gpu is None or not profile.can_offload or spec.format != "gguf":
        return 0
    n_layer = spec.n_layer or 0
    layer_w = spec.layer_weights_bytes or (0,) * n_layer
    kv = kv_cache_bytes_per_layer(spec, options) if options.offload_kqv else (0,) * n_layer
    # The output layer goes first, so the logits of a whole ubatch live in the GPU's graph.
    # Keep the margin the verdict calls "tight" free (llama.cpp's --fit keeps 1 GiB per device).
    usable = int(gpu.vram_free_bytes * (1 - TIGHT_FRACTION))
    budget = usable - _gpu_reserve(gpu) - compute_reserved_bytes(spec, options, with_output=True)
    used = _output_weights_on_gpu(spec)
    if used > budget:
        return 0
    count = 1
    for il in range(n_layer - 1, -1, -1):
        need = layer_w[il] + kv[il]
        if used + need > budget:
            break
        used += need
        count += 1
    return count


def _host_overhead(spec: ModelSpec, options: FitOptions, uses_gpu: bool) -> int:
    """Engine-process overhead on the host (see :data:`CONTEXT_FIXED_BYTES` and neighbours)."""
    n_cells = pad_ctx(options.n_ctx) + _swa_cells(spec, options)
    overhead = (
        ENGINE_BASE_BYTES
        + CONTEXT_FIXED_BYTES
        + int(VOCAB_BYTES_PER_TOKEN * (spec.n_vocab or 0))
        + KV_CELL_META_BYTES * n_cells
    )
    return overhead + (GPU_HOST_RUNTIME_BYTES if uses_gpu else 0)


def _bandwidth_time(profile: HardwareProfile, host_bytes: int, device_bytes: int) -> float | None:
    """Seconds to stream ``host_bytes`` from RAM and ``device_bytes`` from the GPU once."""
    seconds = 0.0
    if host_bytes:
        if not profile.memory_bandwidth_bytes_per_s:
            return None
        seconds += host_bytes / profile.memory_bandwidth_bytes_per_s
    if device_bytes:
        gpu = profile.best_gpu
        bandwidth = gpu.bandwidth_bytes_per_s if gpu else None
        if not bandwidth:
            return None
        seconds += device_bytes / bandwidth
    return seconds


def _evaluate(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """Everything :func:`estimate` returns except ``max_ctx`` (None here)."""
    if spec.format == "onnx":
        return _evaluate_onnx(spec, options, profile)
    _require(spec)
    _check_options(options)
    notes: list[str] = []
    n_layer = spec.n_layer or 0
    if spec.context_length and options.n_ctx > spec.context_length:
        notes.append(
            f"n_ctx {options.n_ctx} is beyond the model's trained context ({spec.context_length}):"
            " llama.cpp allows it with a warning, quality usually drops."
        )
    gpu = profile.best_gpu
    if options.n_gpu_layers is None:
        gpu_layers = auto_gpu_layers(spec, options, profile)
    else:
        requested = n_layer + 1 if options.n_gpu_layers < 0 else min(options.n_gpu_layers, n_layer + 1)
        gpu_layers = requested if profile.can_offload else 0
        if requested and not profile.can_offload:
            notes.append(
                "No GPU offload here (no GPU, or llama.cpp was built for the CPU only): all layers stay on the CPU."
            )
    if gpu_layers == 0:
        gpu = None
    layout = _layout(spec, options, gpu_layers)

    full_offload = gpu_layers > n_layer
    output_on_gpu = gpu_layers >= 1
    output_bytes = 4 * (spec.n_vocab or 0) * options.n_seq
    cpu_works = not full_offload
    if cpu_works:
        compute_host = compute_touched_bytes(spec, options)
        compute_reserved_host = compute_reserved_bytes(spec, options, with_output=True)
    else:
        # Fully offloaded: the host only stages the token embeddings of a batch.
        compute_host = 4 * _ubatch(options) * (spec.n_embd or 0) + COMPUTE_VOCAB_BYTES * (spec.n_vocab or 0)
        compute_reserved_host = compute_host
    compute_device = compute_reserved_bytes(spec, options, with_output=output_on_gpu) if gpu_layers else 0
    overhead = _host_overhead(spec, options, uses_gpu=gpu_layers > 0)
    device_overhead = _gpu_reserve(gpu) if gpu is not None else 0

    total_host = layout.weights_host + layout.kv_host + compute_host + overhead
    total_device = layout.weights_device + layout.kv_device + compute_device + device_overhead if gpu else 0
    host_available = profile.ram_available_bytes
    device_available = gpu.vram_free_bytes if gpu is not None else None

    placement = Verdict.FITS_GPU if full_offload else Verdict.PARTIAL_OFFLOAD if gpu_layers else Verdict.CPU_ONLY
    verdict = _judge(profile, gpu, total_host, total_device, placement)

    # Speed bound: every weight is read once per token (the output matrix in full, the input
    # embedding one row), plus the KV cache of the tokens in context.
    used = pad_ctx(options.n_ctx) if options.tokens_in_context is None else min(options.tokens_in_context, pad_ctx(options.n_ctx))
    kv_read_layers = [min(used, cells) * per for cells, per in zip(kv_cells_per_layer(spec, options), kv_bytes_per_cell(spec, options))]
    first_gpu = _first_gpu_layer(n_layer, gpu_layers)
    layer_w = spec.layer_weights_bytes or (0,) * n_layer
    output_read = (spec.output_weights_bytes or 0) + ((spec.input_weights_bytes or 0) if spec.tied_embeddings else 0)
    kv_split = first_gpu if options.offload_kqv else n_layer
    read_host = sum(layer_w[:first_gpu]) + sum(kv_read_layers[:kv_split])
    read_device = sum(layer_w[first_gpu:]) + sum(kv_read_layers[kv_split:])
    if output_on_gpu:
        read_device += output_read
    else:
        read_host += output_read
    seconds = _bandwidth_time(profile, read_host, read_device)
    bound = 1.0 / seconds if seconds else None

    return FitEstimate(
        n_ctx=pad_ctx(options.n_ctx),
        n_ctx_requested=options.n_ctx,
        kv_type=options.kv_label,
        flash_attn=options.flash_attn,
        swa_full=options.swa_full,
        gpu_layers=gpu_layers,
        n_layer=n_layer,
        device_name=gpu.name if gpu is not None else None,
        weights_host_bytes=layout.weights_host,
        weights_device_bytes=layout.weights_device,
        kv_cache_host_bytes=layout.kv_host,
        kv_cache_device_bytes=layout.kv_device,
        kv_cells=_cells_summary(spec, options),
        compute_host_bytes=compute_host,
        compute_reserved_host_bytes=compute_reserved_host,
        compute_device_bytes=compute_device,
        output_bytes=output_bytes,
        overhead_bytes=overhead,
        device_overhead_bytes=device_overhead,
        total_host_bytes=total_host,
        total_device_bytes=total_device,
        host_available_bytes=host_available,
        device_available_bytes=device_available,
        verdict=verdict,
        placement=placement,
        max_ctx=None,
        bytes_per_token=read_host + read_device,
        tg_tokens_per_s_bound=bound,
        notes=tuple(notes),
    )


def _cells_summary(spec: ModelSpec, options: FitOptions) -> tuple[int, int]:
    cells = kv_cells_per_layer(spec, options)
    swa = spec.swa_layers if len(spec.swa_layers) == len(cells) else (False,) * len(cells)
    full = max((c for c, s in zip(cells, swa) if not s), default=0)
    window = max((c for c, s in zip(cells, swa) if s), default=0)
    return full, window


def _judge(
    profile: HardwareProfile, gpu: GpuInfo | None, total_host: int, total_device: int, placement: Verdict
) -> Verdict:
    """Verdict against available memory: WILL_NOT_FIT over the limit, TIGHT within
    :data:`TIGHT_FRACTION` of it, else the placement. On unified memory host and device
    share ``ram_available_bytes``; the device part must also stay under the Metal working set."""
    limits: list[tuple[int, int]] = []
    if gpu is not None and (gpu.unified or profile.unified_memory):
        limits.append((total_host + total_device, profile.ram_available_bytes))
        limits.append((total_device, gpu.vram_free_bytes))
    else:
        limits.append((total_host, profile.ram_available_bytes))
        if gpu is not None:
            limits.append((total_device, gpu.vram_free_bytes))
    if any(need > available for need, available in limits):
        return Verdict.WILL_NOT_FIT
    if any(need > available * (1 - TIGHT_FRACTION) for need, available in limits):
        return Verdict.TIGHT
    return placement


def estimate(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """Predict the engine's memory for ``spec`` loaded with ``options`` on ``profile``.

    Returns a :class:`FitEstimate` (bytes; verdict; ``max_ctx``; ``gpu_layers``; speed bound).
    ``total_host_bytes`` is the predicted peak resident memory of the engine process (for
    llama.cpp: weights + KV cache + touched compute memory + :func:`_host_overhead`); with
    ``tokens_in_context=None`` it is the peak of a conversation that fills the context.

    Generation-speed bound (roofline, Williams et al. 2009; the same reasoning as llmfit's
    ``docs/how-it-works.md``, bandwidth / model size): decoding one token streams every weight
    and the KV cache of the context from memory once, so ``tokens/s <= bandwidth / bytes per
    token`` (host and device parts added as times). Real speeds are lower (llmfit uses 0.55x).

    Raises:
        UserError: the header lacks what the estimate needs, or the options are impossible
            (a quantized V cache without flash attention, an unknown cache type).
    """
    result = _evaluate(spec, options, profile)
    return replace(result, max_ctx=max_ctx_that_fits(spec, options, profile))


def max_ctx_that_fits(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> int | None:
    """The largest ``n_ctx`` (a multiple of 256, at most the model's context length, or 131072
    when unknown) whose estimate is not WILL_NOT_FIT with the same other options; None when
    even 256 tokens do not fit. Binary search: memory grows with ``n_ctx``.

    Raises:
        UserError: as :func:`estimate`.
    """
    limit = spec.context_length or 131_072
    high = max(CTX_PAD, (limit // CTX_PAD) * CTX_PAD)

    def fits(n_ctx: int) -> bool:
        trial = replace(options, n_ctx=n_ctx, tokens_in_context=None, largest_batch=None)
        return _evaluate(spec, trial, profile).verdict is not Verdict.WILL_NOT_FIT

    if not fits(CTX_PAD):
        return None
    if fits(high):
        return high
    low_steps, high_steps = 1, high // CTX_PAD  # fits(low), not fits(high)
    while high_steps - low_steps > 1:
        middle = (low_steps + high_steps) // 2
        if fits(middle * CTX_PAD):
            low_steps = middle
        else:
            high_steps = middle
    return low_steps * CTX_PAD


# --- ONNX Runtime GenAI -----------------------------------------------------------------------


def onnx_kv_dtype_bytes(spec: ModelSpec) -> int:
    """Bytes per KV value of an ONNX GenAI model: the ``kv_dtype`` (or ``io_dtype``) metadata when
    a reader records it, else 2 for fp16/bf16 builds and 4 otherwise (the model builder keeps int4
    CPU models' past key/values in float32: checked on the SmolLM2 int4 CPU build in the test
    cache, ``past_key_values.*`` elem_type 1 = FLOAT)."""
    meta = dict(spec.metadata)
    dtype = (meta.get("kv_dtype") or meta.get("io_dtype") or spec.quantization or "").lower()
    return 2 if any(tag in dtype for tag in ("16", "half")) else 4


def _evaluate_onnx(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """ONNX GenAI (CPU): weights = the data files, KV = ``2 * n_layer * n_kv_heads * head_size *
    max_length * dtype bytes`` (onnxruntime-genai allocates the whole buffer up front with
    ``past_present_share_buffer``, its default), prompt activations and runtime as in
    :data:`ORT_PROMPT_BYTES_PER_EMBD`. The worst case is a prompt that fills ``n_ctx``."""
    if not spec.n_layer or not spec.n_head_kv or not spec.head_dim_k:
        raise UserError(
            f"Cannot estimate memory for {spec.path.name}: its genai_config.json lacks layer or head sizes.",
            "Rebuild the model with the ONNX Runtime GenAI model builder.",
        )
    n_ctx = min(options.n_ctx, spec.context_length or options.n_ctx)
    used = n_ctx if options.tokens_in_context is None else max(1, min(options.tokens_in_context, n_ctx))
    prompt = used if options.largest_batch is None else max(1, min(options.largest_batch, used))
    dtype = onnx_kv_dtype_bytes(spec)
    kv_per_token = sum(2 * h * spec.head_dim_k * dtype for h in spec.n_head_kv)
    kv = kv_per_token * used
    weights = spec.weights_bytes if spec.weights_bytes is not None else spec.file_bytes
    activations = prompt * (4 * (spec.n_vocab or 0) + ORT_PROMPT_BYTES_PER_EMBD * (spec.n_embd or 0))
    steady = ORT_ENGINE_BASE_BYTES + weights + kv + activations
    at_load = ORT_ENGINE_BASE_BYTES + weights + ORT_LOAD_TRANSIENT_BYTES
    total = max(steady, at_load)
    compute = total - (ORT_ENGINE_BASE_BYTES + weights + kv)  # activations, or the load transient
    verdict = _judge(profile, None, total, 0, Verdict.CPU_ONLY)
    read = weights + kv_per_token * used
    seconds = _bandwidth_time(profile, read, 0)
    return FitEstimate(
        n_ctx=n_ctx,
        n_ctx_requested=options.n_ctx,
        kv_type="f16" if dtype == 2 else "f32",
        flash_attn=False,
        swa_full=True,
        gpu_layers=0,
        n_layer=spec.n_layer,
        device_name=None,
        weights_host_bytes=weights,
        weights_device_bytes=0,
        kv_cache_host_bytes=kv,
        kv_cache_device_bytes=0,
        kv_cells=(used, 0),
        compute_host_bytes=compute,
        compute_reserved_host_bytes=compute,
        compute_device_bytes=0,
        output_bytes=4 * (spec.n_vocab or 0) * prompt,
        overhead_bytes=ORT_ENGINE_BASE_BYTES,
        device_overhead_bytes=0,
        total_host_bytes=total,
        total_device_bytes=0,
        host_available_bytes=profile.ram_available_bytes,
        device_available_bytes=None,
        verdict=verdict,
        placement=Verdict.CPU_ONLY,
        max_ctx=None,
        bytes_per_token=read,
        tg_tokens_per_s_bound=1.0 / seconds if seconds else None,
        notes=("ONNX Runtime GenAI processes the whole prompt at once: memory grows with the prompt's length.",),
    )


# --- for the Fit panel ------------------------------------------------------------------------


def breakdown(result: FitEstimate) -> list[tuple[str, list[tuple[str, int]]]]:
    """The memory breakdown per device for a stacked bar chart.

    Returns ``[(device label, [(part label, bytes), ...]), ...]``: "Host RAM" first, then the
    GPU (when layers are offloaded). Parts, in stacking order: "Weights", "KV cache",
    "Compute buffers", "Runtime overhead" (the logits buffer is inside "Compute buffers" on the
    host). Each device's parts add up to its ``total_*_bytes``.
    """
    host = [
        ("Weights", result.weights_host_bytes),
        ("KV cache", result.kv_cache_host_bytes),
        ("Compute buffers", result.compute_host_bytes),
        ("Runtime overhead", result.overhead_bytes),
    ]
    devices: list[tuple[str, list[tuple[str, int]]]] = [("Host RAM", host)]
    if result.gpu_layers and result.device_name:
        devices.append(
            (
                result.device_name,
                [
                    ("Weights", result.weights_device_bytes),
                    ("KV cache", result.kv_cache_device_bytes),
                    ("Compute buffers", result.compute_device_bytes),
                    ("Runtime overhead", result.device_overhead_bytes),
                ],
            )
        )
    return devices


def summary(result: FitEstimate) -> str:
    """One line for people: "CPU only: 351.2 MiB of 5.5 GiB available, up to 32768 tokens"."""
    need = format_bytes(result.total_host_bytes)
    have = format_bytes(result.host_available_bytes)
    text = f"{result.verdict.label}: {need} of {have} RAM available"
    if result.gpu_layers and result.device_available_bytes is not None:
        text += f", {format_bytes(result.total_device_bytes)} of {format_bytes(result.device_available_bytes)} on {result.device_name}"
    if result.max_ctx:
        text += f"; context up to {result.max_ctx} tokens"
    return text


# --- rules of thumb (benchmarks compare against them) -----------------------------------------


def rule_weights_plus_f16_kv(spec: ModelSpec, n_ctx: int) -> int:
    """"Weights + f16 KV cache": file weights plus ``2 * n_layer * n_kv_heads * head_dim * n_ctx
    * 2`` bytes (Ollama's ``PredictServerVRAM``-style rule, field notes §1.6), ignoring sliding
    windows, padding, compute buffers and the process itself."""
    heads = spec.n_head_kv_max or 0
    return (spec.weights_bytes or spec.file_bytes) + 2 * (spec.n_layer or 0) * heads * (spec.head_dim_k or 0) * n_ctx * 2


def rule_file_size_times(spec: ModelSpec, factor: float = FILE_SIZE_RULE_FACTOR) -> int:
    """The "file size x 1.2" rule of thumb."""
    return int(spec.file_bytes * factor)
