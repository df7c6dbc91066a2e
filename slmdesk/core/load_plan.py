"""The load plan: how one model is loaded, the single type Fit, Chat, Benchmark, the CLI and the
local server share.

A plan holds what the user chooses (context length, KV cache type, flash attention, GPU
layers, threads) and owns the rules that connect them, so that no caller writes them again:

- a quantized KV cache needs flash attention (:func:`flash_attn_required`);
- "auto" GPU layers is a question for the fit estimator, never "all" (:meth:`LoadPlan.gpu_layers_for`);
- a new model's context is the user's default context, at most the model's training context
  (:meth:`LoadPlan.default_for`).

It converts to the fit estimator's :class:`~slmdesk.core.fit.FitOptions` here; the engine's
``LoadSettings.from_plan`` and the benchmark's ``BenchSettings.with_plan`` convert from it in
their own layers. Plans are stored per artifact in the inventory (table ``load_plan``,
:mod:`slmdesk.inventory.load_plans`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from slmdesk.core.errors import UserError

DEFAULT_N_CTX = 4096
"""The context proposed for a model the user has not set one for (tokens): enough for a long
conversation with a small model, a few hundred MiB of f16 KV cache at most for the models we
target. Settings' "default context" replaces it; it is capped at the model's training context."""

KV_CACHE_TYPES = ("f16", "q8_0", "q4_0")
"""KV cache element types offered (llama.cpp ``-ctk``/``-ctv``); the engine maps them to
``enum ggml_type``."""

THIS_MACHINE = "this machine"
"""The target-profile key of the machine slmdesk runs on (the Fit panel's first choice)."""


def flash_attn_required(type_k: str, type_v: str | None = None) -> bool:
    """Whether llama.cpp needs flash attention for this KV cache: a quantized V cache is only
    implemented on the flash-attention path (``llama_init_from_model`` in
    ``src/llama-context.cpp`` refuses "V cache quantization requires flash_attn"); a quantized
    K cache alone does not need it. ``type_v`` defaults to ``type_k`` (slmdesk's plans
    quantize both together)."""
    return (type_v or type_k).lower() != "f16"


@dataclass(frozen=True)
class LoadPlan:
    """How a model is loaded.

    Attributes:
        n_ctx: context length in tokens (llama.cpp pads it to a multiple of 256).
        kv_type: KV cache type of K and V, one of :data:`KV_CACHE_TYPES`.
        flash_attn: flash attention as the user chose it; :attr:`flash_attn_on` is what is used.
        n_gpu_layers: layers to offload (llama.cpp counting; -1 = all, 0 = CPU only); None =
            automatic: as many as fit, which only the fit estimator can say (:meth:`gpu_layers_for`).
        n_threads: generation threads; None = the physical cores.
        profile: the target profile the plan was checked against in the Fit panel
            (:data:`THIS_MACHINE` or a preset/user profile key).

    Raises:
        UserError: an unknown KV type, a context or thread count below 1, GPU layers below -1.
    """

    n_ctx: int = DEFAULT_N_CTX
    kv_type: str = "f16"
    flash_attn: bool = False
    n_gpu_layers: int | None = 0
    n_threads: int | None = None
    profile: str = THIS_MACHINE

    def __post_init__(self) -> None:
        if self.kv_type not in KV_CACHE_TYPES:
            raise UserError(f"Unknown KV cache type {self.kv_type!r}.", f"Use one of {', '.join(KV_CACHE_TYPES)}.")
        if self.n_ctx < 1:
            raise UserError(f"A context of {self.n_ctx} tokens is not possible.", "Use at least 256 tokens.")
        if self.n_gpu_layers is not None and self.n_gpu_layers < -1:
            raise UserError("GPU layers must be -1 (all), 0 (CPU only), a positive count, or automatic.")
        if self.n_threads is not None and self.n_threads < 1:
            raise UserError("The thread count must be at least 1.")

    @classmethod
    def default_for(cls, context_length: int | None, default_n_ctx: int = DEFAULT_N_CTX,
                    n_threads: int | None = None) -> LoadPlan:
        """The plan of a model the user has not chosen one for: ``default_n_ctx`` (Settings'
        default context) capped at the model's training ``context_length``, f16 KV cache, CPU
        only."""
        n_ctx = min(default_n_ctx, context_length) if context_length else default_n_ctx
        return cls(n_ctx=max(1, n_ctx), n_threads=n_threads)

    @property
    def flash_attn_on(self) -> bool:
        """Flash attention as loaded: chosen, or forced by a quantized KV cache."""
        return self.flash_attn or flash_attn_required(self.kv_type)

    @property
    def flash_attn_forced(self) -> bool:
        """True when the KV cache type forces flash attention on (the Fit panel then shows the
        box ticked and disabled)."""
        return flash_attn_required(self.kv_type)

    def gpu_layers_for(self, estimated_gpu_layers: int | None) -> int:
        """The layer count to load with: the plan's own count, or for "automatic" the count the
        fit estimator chose for the target (``FitEstimate.gpu_layers``; None when there is no
        estimate: then CPU only, never "all", which could load a partial-offload model fully
        onto a GPU too small for it)."""
        if self.n_gpu_layers is not None:
            return self.n_gpu_layers
        return max(0, estimated_gpu_layers or 0)

    def fit_options(self, **overrides: Any) -> Any:
        """The fit estimator's :class:`~slmdesk.core.fit.FitOptions` for this plan ("automatic"
        GPU layers stays None: the estimator chooses). ``overrides`` replace FitOptions fields
        (``tokens_in_context``, ``n_batch``...)."""
        from slmdesk.core.fit import FitOptions

        options = FitOptions(n_ctx=self.n_ctx, kv_type=self.kv_type, flash_attn=self.flash_attn_on,
                             n_gpu_layers=self.n_gpu_layers)
        return replace(options, **overrides) if overrides else options

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_json` reads it back."""
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LoadPlan:
        """Inverse of :meth:`to_json`; unknown keys are ignored.

        Raises:
            UserError: invalid values (see the class).
        """
        names = {spec.name for spec in fields(cls)}
        try:
            return cls(**{key: value for key, value in raw.items() if key in names})
        except TypeError as error:
            raise UserError(f"A stored load plan is damaged: {error}.") from error

    def describe(self) -> str:
        """``"n_ctx 8192 · KV q8_0 · flash attention · GPU layers auto"`` for status lines."""
        gpu = "auto" if self.n_gpu_layers is None else ("all" if self.n_gpu_layers < 0 else str(self.n_gpu_layers))
        parts = [f"n_ctx {self.n_ctx}", f"KV {self.kv_type}"]
        if self.flash_attn_on:
            parts.append("flash attention")
        parts.append(f"GPU layers {gpu}")
        if self.n_threads:
            parts.append(f"{self.n_threads} threads")
        return " · ".join(parts)
