"""The ONNX Runtime GenAI memory estimate (CPU): weights, a KV buffer sized up front, prompt activations."""

from __future__ import annotations

from slmdesk.core.errors import UserError
from slmdesk.core.fit_constants import (
    ORT_ENGINE_BASE_BYTES,
    ORT_LOAD_TRANSIENT_BYTES,
    ORT_PROMPT_BYTES_PER_EMBD,
    SHORT_PROMPT_TOKENS,
)
from slmdesk.core.fit_report import FitEstimate, FitOptions, Verdict, bandwidth_time, judge
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import HardwareProfile


def onnx_kv_dtype_bytes(spec: ModelSpec) -> int:
    """Bytes per KV value of an ONNX GenAI model: the ``kv_dtype`` (or ``io_dtype``) metadata when
    a reader records it, else 2 for fp16/bf16 builds and 4 otherwise (the model builder keeps int4
    CPU models' past key/values in float32: checked on the SmolLM2 int4 CPU build in the test
    cache, ``past_key_values.*`` elem_type 1 = FLOAT)."""
    meta = dict(spec.metadata)
    dtype = (meta.get("kv_dtype") or meta.get("io_dtype") or spec.quantization or "").lower()
    return 2 if any(tag in dtype for tag in ("16", "half")) else 4


def evaluate_onnx(spec: ModelSpec, options: FitOptions, profile: HardwareProfile) -> FitEstimate:
    """ONNX GenAI (CPU): weights = the data files, KV = ``2 * n_layer * n_kv_heads * head_size *
    max_length * dtype bytes`` (onnxruntime-genai allocates the whole buffer up front with
    ``past_present_share_buffer``, its default), prompt activations and runtime as in
    :data:`ORT_PROMPT_BYTES_PER_EMBD`. The worst case is a prompt that fills ``n_ctx``; the
    "at load / short prompt" figure is a prompt of :data:`SHORT_PROMPT_TOKENS` tokens.

    Raises:
        UserError: the genai_config.json lacks layer or head sizes.
    """
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
    weights = spec.weights_bytes if spec.weights_bytes is not None else spec.file_bytes
    base = ORT_ENGINE_BASE_BYTES + weights

    def peak(tokens: int, batch: int) -> tuple[int, int]:
        """``(total, compute)``: the KV buffer is sized to the reply, the prompt's logits and
        activations come on top; the load's own transient is the floor."""
        activations = batch * (4 * (spec.n_vocab or 0) + ORT_PROMPT_BYTES_PER_EMBD * (spec.n_embd or 0))
        total = max(base + kv_per_token * tokens + activations, base + ORT_LOAD_TRANSIENT_BYTES)
        return total, total - base - kv_per_token * tokens  # activations, or the load transient

    total, compute = peak(used, prompt)
    short = min(SHORT_PROMPT_TOKENS, n_ctx)
    at_load, compute_at_load = peak(short, short)
    context_full, compute_full = peak(n_ctx, n_ctx)
    kv = kv_per_token * used
    verdict = judge(profile, None, total, 0, Verdict.CPU_ONLY)
    read = weights + kv_per_token * (options.tokens_in_context or 0)
    read_full = weights + kv_per_token * n_ctx
    seconds = bandwidth_time(profile, read, 0)
    seconds_full = bandwidth_time(profile, read_full, 0)
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
        compute_host_at_load_bytes=compute_at_load,
        compute_host_context_full_bytes=compute_full,
        total_host_at_load_bytes=at_load,
        total_host_context_full_bytes=context_full,
        bytes_per_token_context_full=read_full,
        tg_tokens_per_s_bound_context_full=1.0 / seconds_full if seconds_full else None,
        notes=("ONNX Runtime GenAI processes the whole prompt at once: memory grows with the prompt's length.",),
    )
