"""What a fit estimate says: the settings it assumed, the verdict, the breakdown and the text.

:class:`FitOptions` (load settings), :class:`FitEstimate` (the result), :class:`Verdict`, the rule
that turns memory needs into a verdict (:func:`judge`), the speed bound's arithmetic
(:func:`bandwidth_time`), the Fit panel's breakdown and one-line summary, and the rules of thumb
benchmarks compare against. Shared by the llama.cpp (:mod:`slmdesk.core.fit_llama`) and ONNX
Runtime GenAI (:mod:`slmdesk.core.fit_onnx`) estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from slmdesk.core.fit_constants import FILE_SIZE_RULE_FACTOR, SHORT_PROMPT_TOKENS, TIGHT_FRACTION
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import GpuInfo, HardwareProfile
from slmdesk.core.units import format_bytes

AT_LOAD_LABEL = "at load / short prompt"
"""Words for :attr:`FitEstimate.total_host_at_load_bytes` (panel, CLI, benchmark)."""
CONTEXT_FULL_LABEL = "with the context full"
"""Words for :attr:`FitEstimate.total_host_context_full_bytes`."""


class Verdict(StrEnum):
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
            full (the worst case a long conversation reaches) for the memory totals, and an empty
            context (the fastest decode) for the speed bound.
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
        compute_host_at_load_bytes / compute_host_context_full_bytes: the same after a prompt
            of :data:`~slmdesk.core.fit_constants.SHORT_PROMPT_TOKENS` tokens, and once the
            context has been filled in ``n_ubatch`` batches.
        compute_reserved_host_bytes: host compute buffer llama.cpp reserves (address space;
            pages become resident only when used).
        compute_device_bytes: device compute buffer (allocated up front by GPU back-ends).
        output_bytes: logits buffer (one row of ``n_vocab`` floats per sequence).
        overhead_bytes: engine-process overhead on the host (interpreter + engine library,
            vocabulary, context bookkeeping, GPU runtime when one is used).
        device_overhead_bytes: GPU runtime reserve on the device.
        total_host_bytes: predicted peak resident memory of the engine process on the host at
            ``tokens_in_context`` (the context full by default); the verdict is judged on it.
        total_host_at_load_bytes: the peak right after the load and a short prompt (up to
            :data:`~slmdesk.core.fit_constants.SHORT_PROMPT_TOKENS` tokens): weights and KV
            cache are resident from the load on, the compute buffers are reserved but barely
            touched yet.
        total_host_context_full_bytes: the peak once the context has been filled (the compute
            buffers' attention part then spans every cell). The two figures bracket what a
            measurement of this load can show.
        total_device_bytes: predicted device memory use.
        host_available_bytes / device_available_bytes: what the profile offers.
        verdict: the fit verdict (against available, not total, memory).
        placement: where the model runs when it fits: FITS_GPU, PARTIAL_OFFLOAD or CPU_ONLY
            (the verdict says TIGHT or WILL_NOT_FIT on top of it).
        max_ctx: largest multiple of 256 up to the model's context length that fits with the
            same settings, or None when not even 256 fits.
        bytes_per_token: bytes read from memory per generated token at ``tokens_in_context``
            (an empty context when None: the weights alone).
        tg_tokens_per_s_bound: upper bound on generation speed (tokens/s) at that context, None
            without a bandwidth figure. With ``tokens_in_context=None`` it is the bound of an
            empty context, which no decode on this profile can beat.
        bytes_per_token_context_full / tg_tokens_per_s_bound_context_full: the same with the
            context full (every KV cell is read for each token).
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
    compute_host_at_load_bytes: int
    compute_host_context_full_bytes: int
    total_host_at_load_bytes: int
    total_host_context_full_bytes: int
    bytes_per_token_context_full: int
    tg_tokens_per_s_bound_context_full: float | None
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
        """The fields ``slmdesk fit --json`` prints (bytes as integers, verdict as its key).

        The two memory figures: ``total_host_at_load_bytes`` (after the load and a prompt of
        ``short_prompt_tokens`` tokens) and ``total_host_context_full_bytes``; ``compute_bytes``
        and ``total_host_bytes`` are those of the scenario asked for (the context full unless
        ``tokens_in_context`` was given)."""
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
            "short_prompt_tokens": SHORT_PROMPT_TOKENS,
            "compute_at_load_bytes": self.compute_host_at_load_bytes + self.compute_device_bytes,
            "compute_context_full_bytes": self.compute_host_context_full_bytes + self.compute_device_bytes,
            "total_host_at_load_bytes": self.total_host_at_load_bytes,
            "total_host_context_full_bytes": self.total_host_context_full_bytes,
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
            "tg_tokens_per_s_bound": _round(self.tg_tokens_per_s_bound),
            "bytes_per_token_context_full": self.bytes_per_token_context_full,
            "tg_tokens_per_s_bound_context_full": _round(self.tg_tokens_per_s_bound_context_full),
            "notes": list(self.notes),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- verdict and speed bound ------------------------------------------------------------------


def judge(
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


def bandwidth_time(profile: HardwareProfile, host_bytes: int, device_bytes: int) -> float | None:
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


def memory_figures(result: FitEstimate) -> list[tuple[str, list[tuple[str, int]], int | None]]:
    """The Fit panel's chart rows: ``[(row label, [(part label, bytes), ...], bytes available or
    None), ...]``.

    Host RAM twice, :data:`AT_LOAD_LABEL` then :data:`CONTEXT_FULL_LABEL` (only "Compute
    buffers" differs: reserved at load, touched as the context fills), then the GPU when layers
    are offloaded (its compute buffer is allocated up front, so one row). Parts as in
    :func:`breakdown`; each row adds up to ``total_host_at_load_bytes``,
    ``total_host_context_full_bytes`` and ``total_device_bytes``.
    """
    host = [
        ("Weights", result.weights_host_bytes),
        ("KV cache", result.kv_cache_host_bytes),
        ("Compute buffers", result.compute_host_at_load_bytes),
        ("Runtime overhead", result.overhead_bytes),
    ]
    full = [(label, result.compute_host_context_full_bytes if label == "Compute buffers" else size)
            for label, size in host]
    rows: list[tuple[str, list[tuple[str, int]], int | None]] = [
        (f"RAM, {AT_LOAD_LABEL}", host, result.host_available_bytes),
        (f"RAM, {CONTEXT_FULL_LABEL}", full, result.host_available_bytes),
    ]
    for device, parts in breakdown(result)[1:]:
        rows.append((device, parts, result.device_available_bytes))
    return rows


def summary(result: FitEstimate) -> str:
    """One line for people: "CPU only: 351.2 MiB of 5.5 GiB available, up to 32768 tokens"."""
    need = format_bytes(result.total_host_bytes)
    have = format_bytes(result.host_available_bytes)
    text = f"{result.verdict.label}: {need} of {have} RAM available"
    if result.gpu_layers and result.device_available_bytes is not None:
        device = format_bytes(result.device_available_bytes)
        text += f", {format_bytes(result.total_device_bytes)} of {device} on {result.device_name}"
    if result.max_ctx:
        text += f"; context up to {result.max_ctx} tokens"
    return text


# --- rules of thumb (benchmarks compare against them) -----------------------------------------


def rule_weights_plus_f16_kv(spec: ModelSpec, n_ctx: int) -> int:
    """"Weights + f16 KV cache": file weights plus ``2 * n_layer * n_kv_heads * head_dim * n_ctx
    * 2`` bytes (Ollama's ``PredictServerVRAM``-style rule, field notes §1.6), ignoring sliding
    windows, padding, compute buffers and the process itself."""
    heads = spec.n_head_kv_max or 0
    return (spec.weights_bytes or spec.file_bytes) + 2 * (spec.n_layer or 0) * heads * (
        spec.head_dim_k or 0
    ) * n_ctx * 2


def rule_file_size_times(spec: ModelSpec, factor: float = FILE_SIZE_RULE_FACTOR) -> int:
    """The "file size x 1.2" rule of thumb."""
    return int(spec.file_bytes * factor)
