"""The llama.cpp (GGUF) memory estimate: weights per device, KV cache, compute buffers, overhead.

Predicts what slmdesk's engine process holds for a GGUF model:

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
  on the host, the part a real decode touches (resident memory): a few MiB after a short prompt,
  the whole attention part once the context is full, hence two figures, "at load / short
  prompt" and "with the context full" (:data:`~slmdesk.core.fit_constants.SHORT_PROMPT_TOKENS`);
- **output buffer** (logits of one token) and the **runtime overhead** of the engine process
  (Python + llama_cpp, the vocabulary, per-cell bookkeeping).

Every calibration constant (:mod:`slmdesk.core.fit_constants`) names the machine, the command
and the numbers it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from slmdesk.core.errors import UserError
from slmdesk.core.fit_constants import (
    COMPUTE_BASE_TOUCHED_BYTES,
    COMPUTE_FFN_BYTES_FLASH,
    COMPUTE_FFN_BYTES_NO_FLASH,
    COMPUTE_MASK_BYTES_FLASH,
    COMPUTE_VOCAB_BYTES,
    CONTEXT_FIXED_BYTES,
    CTX_PAD,
    ENGINE_BASE_BYTES,
    GPU_HOST_RUNTIME_BYTES,
    GPU_RUNTIME_RESERVE_BYTES,
    GPU_RUNTIME_RESERVE_OTHER,
    KV_CELL_META_BYTES,
    KV_QUANT_TYPES_NEED_FLASH_ATTN,
    REPACK_TYPES_ARM_DOTPROD,
    REPACK_TYPES_X86_AVX2,
    REPACK_TYPES_X86_AVX512,
    SHORT_PROMPT_TOKENS,
    TIGHT_FRACTION,
    VOCAB_BYTES_PER_TOKEN,
)
from slmdesk.core.fit_report import FitEstimate, FitOptions, Verdict, bandwidth_time, judge
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import GpuInfo, HardwareProfile
from slmdesk.core.quant_types import KV_CACHE_TYPES, row_size

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
    # Without a window, layers flagged SWA fall back to full size.
    swa_cells = _swa_cells(spec, options) or n_ctx
    heads = _kv_heads(spec)
    return tuple(0 if heads[il] == 0 else (swa_cells if swa[il] else n_ctx) for il in range(n_layer))


def _kv_heads(spec: ModelSpec) -> tuple[int, ...]:
    """KV heads per layer: the file's per-layer counts, else its largest count for every layer."""
    n_layer = spec.n_layer or 0
    return spec.n_head_kv if len(spec.n_head_kv) == n_layer else (spec.n_head_kv_max or 0,) * n_layer


def kv_bytes_per_cell(spec: ModelSpec, options: FitOptions) -> tuple[int, ...]:
    """Bytes one KV cell costs in each layer: ``row_size(type_k, head_dim_k * n_head_kv) +
    row_size(type_v, head_dim_v * n_head_kv)`` (``src/llama-kv-cache.cpp``; ``ggml_row_size``).

    Raises:
        UserError: the row is not a multiple of the quantized type's block (32 values).
    """
    heads = _kv_heads(spec)
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
    return tuple(c * b for c, b in zip(cells, per_cell, strict=True))


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


def evaluate_llama(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """Everything :func:`slmdesk.core.fit.estimate` returns for a GGUF model except ``max_ctx``
    (None here).

    Raises:
        UserError: as :func:`slmdesk.core.fit.estimate`.
    """
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
    short = replace(options, tokens_in_context=SHORT_PROMPT_TOKENS, largest_batch=SHORT_PROMPT_TOKENS)
    full = replace(options, tokens_in_context=None, largest_batch=None)
    if not full_offload:
        compute_host = compute_touched_bytes(spec, options)
        compute_at_load = compute_touched_bytes(spec, short)
        compute_full = compute_touched_bytes(spec, full)
        compute_reserved_host = compute_reserved_bytes(spec, options, with_output=True)
    else:
        # Fully offloaded: the host only stages the token embeddings of a batch.
        compute_host = 4 * _ubatch(options) * (spec.n_embd or 0) + COMPUTE_VOCAB_BYTES * (spec.n_vocab or 0)
        compute_reserved_host = compute_at_load = compute_full = compute_host
    compute_device = compute_reserved_bytes(spec, options, with_output=output_on_gpu) if gpu_layers else 0
    overhead = _host_overhead(spec, options, uses_gpu=gpu_layers > 0)
    device_overhead = _gpu_reserve(gpu) if gpu is not None else 0

    resident_at_load = layout.weights_host + layout.kv_host + overhead  # the KV cache is cleared at load
    total_host = resident_at_load + compute_host
    total_device = layout.weights_device + layout.kv_device + compute_device + device_overhead if gpu else 0
    host_available = profile.ram_available_bytes
    device_available = gpu.vram_free_bytes if gpu is not None else None

    placement = Verdict.FITS_GPU if full_offload else Verdict.PARTIAL_OFFLOAD if gpu_layers else Verdict.CPU_ONLY
    verdict = judge(profile, gpu, total_host, total_device, placement)

    read_host, read_device = _bytes_read_per_token(spec, options, gpu_layers, options.tokens_in_context or 0)
    full_host, full_device = _bytes_read_per_token(spec, options, gpu_layers, pad_ctx(options.n_ctx))
    seconds = bandwidth_time(profile, read_host, read_device)
    seconds_full = bandwidth_time(profile, full_host, full_device)

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
        tg_tokens_per_s_bound=1.0 / seconds if seconds else None,
        compute_host_at_load_bytes=compute_at_load,
        compute_host_context_full_bytes=compute_full,
        total_host_at_load_bytes=resident_at_load + compute_at_load,
        total_host_context_full_bytes=resident_at_load + compute_full,
        bytes_per_token_context_full=full_host + full_device,
        tg_tokens_per_s_bound_context_full=1.0 / seconds_full if seconds_full else None,
        notes=tuple(notes),
    )


def _bytes_read_per_token(spec: ModelSpec, options: FitOptions, gpu_layers: int, tokens: int) -> tuple[int, int]:
    """``(host bytes, device bytes)`` read from memory to generate one token with ``tokens``
    tokens in the KV cache: every repeating layer's weights, the output matrix in full (the tied
    token embedding when there is no ``output.weight``), and K and V of the cells in use in each
    layer (at most its cells: a sliding-window layer reads its window). Not counted, so that
    ``bandwidth / bytes`` stays a ceiling: the input embedding (one row per token), norms and
    activations (they stay in cache), and llama.cpp's padding of the cells read to 256.
    Roofline model (Williams et al., CACM 2009): decoding one token is memory-bound.
    """
    n_layer = spec.n_layer or 0
    kv_read = [
        min(max(0, tokens), cells) * per
        for cells, per in zip(kv_cells_per_layer(spec, options), kv_bytes_per_cell(spec, options), strict=True)
    ]
    first_gpu = _first_gpu_layer(n_layer, gpu_layers)
    layer_w = spec.layer_weights_bytes or (0,) * n_layer
    output_read = (spec.output_weights_bytes or 0) + ((spec.input_weights_bytes or 0) if spec.tied_embeddings else 0)
    kv_split = first_gpu if options.offload_kqv else n_layer
    host = sum(layer_w[:first_gpu]) + sum(kv_read[:kv_split])
    device = sum(layer_w[first_gpu:]) + sum(kv_read[kv_split:])
    if gpu_layers >= 1:
        device += output_read
    else:
        host += output_read
    return host, device


def _cells_summary(spec: ModelSpec, options: FitOptions) -> tuple[int, int]:
    cells = kv_cells_per_layer(spec, options)
    swa = spec.swa_layers if len(spec.swa_layers) == len(cells) else (False,) * len(cells)
    full = max((c for c, s in zip(cells, swa, strict=True) if not s), default=0)
    window = max((c for c, s in zip(cells, swa, strict=True) if s), default=0)
    return full, window
