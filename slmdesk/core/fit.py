"""Will this model run here? Memory breakdown, verdict, largest context and speed bound (pure).

:func:`estimate` takes a :class:`~slmdesk.core.model_spec.ModelSpec` (header facts only), the
load settings (:class:`FitOptions`) and a :class:`~slmdesk.core.profiles.HardwareProfile`, and
predicts what the engine process will hold. The parts live beside this module, which re-exports
their public names (``from slmdesk.core.fit import X`` works for all of them):

- :mod:`slmdesk.core.fit_constants`: every llama.cpp fact and calibration constant, each with its
  source (a llama.cpp file, or the machine, command and numbers of a measurement);
- :mod:`slmdesk.core.fit_llama`: the GGUF/llama.cpp estimate (weights per device, KV cache,
  compute buffers, overhead, GPU layer choice);
- :mod:`slmdesk.core.fit_onnx`: the ONNX Runtime GenAI estimate;
- :mod:`slmdesk.core.fit_report`: the options and result types, the verdict, the breakdown and
  text for the Fit panel, and the rules of thumb benchmarks compare against.
"""

from __future__ import annotations

from dataclasses import replace

from slmdesk.core.fit_constants import (
    COMPUTE_BASE_TOUCHED_BYTES,
    COMPUTE_FFN_BYTES_FLASH,
    COMPUTE_FFN_BYTES_NO_FLASH,
    COMPUTE_MASK_BYTES_FLASH,
    COMPUTE_VOCAB_BYTES,
    CONTEXT_FIXED_BYTES,
    CTX_PAD,
    ENGINE_BASE_BYTES,
    FILE_SIZE_RULE_FACTOR,
    GPU_HOST_RUNTIME_BYTES,
    GPU_RUNTIME_RESERVE_BYTES,
    GPU_RUNTIME_RESERVE_OTHER,
    KV_CELL_META_BYTES,
    KV_QUANT_TYPES_NEED_FLASH_ATTN,
    ORT_ENGINE_BASE_BYTES,
    ORT_LOAD_TRANSIENT_BYTES,
    ORT_PROMPT_BYTES_PER_EMBD,
    REPACK_TYPES_ARM_DOTPROD,
    REPACK_TYPES_X86_AVX2,
    REPACK_TYPES_X86_AVX512,
    SHORT_PROMPT_TOKENS,
    TIGHT_FRACTION,
    VOCAB_BYTES_PER_TOKEN,
)
from slmdesk.core.fit_llama import (
    auto_gpu_layers,
    compute_reserved_bytes,
    compute_touched_bytes,
    evaluate_llama,
    kv_bytes_per_cell,
    kv_cache_bytes_per_layer,
    kv_cells_per_layer,
    pad_ctx,
    repack_types,
)
from slmdesk.core.fit_onnx import evaluate_onnx, onnx_kv_dtype_bytes
from slmdesk.core.fit_report import (
    AT_LOAD_LABEL,
    CONTEXT_FULL_LABEL,
    FitEstimate,
    FitOptions,
    Verdict,
    breakdown,
    memory_figures,
    rule_file_size_times,
    rule_weights_plus_f16_kv,
    summary,
)
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import HardwareProfile

__all__ = [
    "AT_LOAD_LABEL",
    "COMPUTE_BASE_TOUCHED_BYTES",
    "COMPUTE_FFN_BYTES_FLASH",
    "COMPUTE_FFN_BYTES_NO_FLASH",
    "COMPUTE_MASK_BYTES_FLASH",
    "COMPUTE_VOCAB_BYTES",
    "CONTEXT_FIXED_BYTES",
    "CONTEXT_FULL_LABEL",
    "CTX_PAD",
    "ENGINE_BASE_BYTES",
    "FILE_SIZE_RULE_FACTOR",
    "GPU_HOST_RUNTIME_BYTES",
    "GPU_RUNTIME_RESERVE_BYTES",
    "GPU_RUNTIME_RESERVE_OTHER",
    "KV_CELL_META_BYTES",
    "KV_QUANT_TYPES_NEED_FLASH_ATTN",
    "ORT_ENGINE_BASE_BYTES",
    "ORT_LOAD_TRANSIENT_BYTES",
    "ORT_PROMPT_BYTES_PER_EMBD",
    "REPACK_TYPES_ARM_DOTPROD",
    "REPACK_TYPES_X86_AVX2",
    "REPACK_TYPES_X86_AVX512",
    "SHORT_PROMPT_TOKENS",
    "TIGHT_FRACTION",
    "VOCAB_BYTES_PER_TOKEN",
    "FitEstimate",
    "FitOptions",
    "Verdict",
    "auto_gpu_layers",
    "breakdown",
    "compute_reserved_bytes",
    "compute_touched_bytes",
    "estimate",
    "kv_bytes_per_cell",
    "kv_cache_bytes_per_layer",
    "kv_cells_per_layer",
    "max_ctx_that_fits",
    "memory_figures",
    "onnx_kv_dtype_bytes",
    "pad_ctx",
    "repack_types",
    "rule_file_size_times",
    "rule_weights_plus_f16_kv",
    "summary",
]


def _evaluate(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """Everything :func:`estimate` returns except ``max_ctx`` (None here)."""
    if spec.format == "onnx":
        return evaluate_onnx(spec, options, profile)
    return evaluate_llama(spec, options, profile)


def estimate(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """Predict the engine's memory for ``spec`` loaded with ``options`` on ``profile``.

    Returns a :class:`FitEstimate` (bytes; verdict; ``max_ctx``; ``gpu_layers``; speed bounds).
    ``total_host_bytes`` is the predicted peak resident memory of the engine process (for
    llama.cpp: weights + KV cache + touched compute memory + :func:`~slmdesk.core.fit_llama._host_overhead`); with
    ``tokens_in_context=None`` it is the peak of a conversation that fills the context, and the
    verdict is judged on it. Two figures a user sees whatever the options:
    ``total_host_at_load_bytes`` (after the load and a prompt of :data:`SHORT_PROMPT_TOKENS`
    tokens: the KV cache is resident from the load on, the compute buffers only as a decode
    touches them) and ``total_host_context_full_bytes``.

    Generation-speed bound (roofline, Williams et al. 2009; the same reasoning as llmfit's
    ``docs/how-it-works.md``, bandwidth / model size): decoding one token streams every weight
    and the KV cache of the context from memory once, so ``tokens/s <= bandwidth / bytes per
    token`` (host and device parts added as times). It is a ceiling when the bandwidth is one
    (:mod:`slmdesk.hardware.bandwidth` measures multi-threaded reads) and the bytes are not
    over-counted (:func:`~slmdesk.core.fit_llama._bytes_read_per_token`): an empty context by
    default (``tg_tokens_per_s_bound``), the context full beside it. Real speeds are lower
    (llmfit uses 0.55x).

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
