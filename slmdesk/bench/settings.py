"""What a benchmark measures: sizes, repetitions, thread sweep, batch sizes; the presets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from slmdesk.core import serial
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan, flash_attn_required
from slmdesk.engine.types import FLASH_ATTN_MODES, KV_TYPES, BenchRequest, LoadSettings

CHAT_CONTEXT_TOKENS = 512
"""Context the model is loaded with for the TTFT prompt when the benchmark needs less (the
chat-shaped prompt is about 150 tokens)."""


@dataclass(frozen=True)
class BenchSettings:
    """A benchmark as the user asks for it (``slmdesk bench`` options, the pane's form).

    Names and defaults follow llama-bench (see :class:`~slmdesk.engine.types.BenchRequest`):
    ``pp 512``, ``tg 128``, 5 repetitions, ``-b 2048 -ub 512 -fa auto -ctk f16 -ctv f16 -ngl 0``
    (slmdesk's own default is CPU only, where llama-bench offloads everything it can).

    Attributes:
        n_prompt: ``pp`` size in tokens (0 skips the test).
        n_gen: ``tg`` size in tokens (0 skips the test).
        n_depth: tokens in the KV cache before each test (llama-bench ``-d``).
        repetitions: timed repetitions per figure, after one warm-up.
        threads: thread counts to sweep; empty = physical cores (one configuration).
        n_batch, n_ubatch: logical / physical batch (tokens).
        n_ctx: context length; 0 = llama-bench's ``n_prompt + n_gen + n_depth`` for the
            benchmark context (the model itself is then loaded with at least
            :data:`CHAT_CONTEXT_TOKENS` for the TTFT prompt).
        flash_attn: "auto", "on" or "off".
        kv_type: KV cache type of K and V ("f16", "q8_0", "q4_0"; llama-bench ``-ctk``/``-ctv``);
            llama.cpp only, the ONNX engine keeps its own cache type.
        n_gpu_layers: layers offloaded to a GPU (llama-bench ``-ngl``; -1 = all, 0 = CPU only).
        ttft: also measure time to first token of a chat-shaped prompt.

    Raises:
        UserError: invalid sizes (same rules as ``BenchRequest``).
    """

    n_prompt: int = 512
    n_gen: int = 128
    n_depth: int = 0
    repetitions: int = 5
    threads: tuple[int, ...] = ()
    n_batch: int = 2048
    n_ubatch: int = 512
    n_ctx: int = 0
    flash_attn: str = "auto"
    kv_type: str = "f16"
    n_gpu_layers: int = 0
    ttft: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "threads", tuple(int(t) for t in self.threads))
        if any(t < 1 for t in self.threads):
            raise UserError("Thread counts must be at least 1.", "For example --threads 1,2,4.")
        if self.flash_attn not in FLASH_ATTN_MODES:
            raise UserError(f"Unknown flash-attention mode {self.flash_attn!r}.", "Use auto, on or off.")
        if self.kv_type not in KV_TYPES:
            raise UserError(f"Unknown KV cache type {self.kv_type!r}.", f"Use one of {', '.join(KV_TYPES)}.")
        if self.n_gpu_layers < -1:
            raise UserError("GPU layers must be -1 (all), 0 (CPU only) or a positive count.")
        request = self.request(None)  # validates the sizes
        if self.n_ctx and self.n_ctx < request.n_ctx_needed:
            raise UserError(
                f"A context of {self.n_ctx} tokens cannot hold the benchmark's {request.n_ctx_needed} tokens"
                f" (depth {self.n_depth} + pp {self.n_prompt} + tg {self.n_gen}).",
                "Give a larger --ctx, or leave it at 0 to size it like llama-bench.",
            )

    def request(self, n_threads: int | None) -> BenchRequest:
        """The engine request for one thread count (None = physical cores)."""
        return BenchRequest(
            n_prompt=self.n_prompt,
            n_gen=self.n_gen,
            n_depth=self.n_depth,
            repetitions=self.repetitions,
            n_threads=n_threads,
            n_batch=self.n_batch,
            n_ubatch=self.n_ubatch,
            n_ctx=self.n_ctx,
            flash_attn=self.flash_attn,
            type_k=self.kv_type,  # type: ignore[arg-type]  # checked in __post_init__
            type_v=self.kv_type,  # type: ignore[arg-type]
        )

    def with_plan(self, plan: LoadPlan, estimated_gpu_layers: int | None = None) -> BenchSettings:
        """These settings with an artifact's :class:`~slmdesk.core.load_plan.LoadPlan` (chosen in
        its Fit panel): its KV cache type, flash attention (on when the plan has it on, else this
        benchmark's mode) and GPU layers (``plan.gpu_layers_for``: "automatic" is the fit
        estimator's count for this machine, CPU only without one). The sizes and ``n_ctx`` stay
        the benchmark's own: llama-bench sizes each test's context to the test.
        """
        return replace(
            self,
            kv_type=plan.kv_type,
            flash_attn="on" if plan.flash_attn_on else self.flash_attn,
            n_gpu_layers=plan.gpu_layers_for(estimated_gpu_layers),
        )

    def thread_counts(self) -> tuple[int | None, ...]:
        """The configurations to run: each swept thread count, or ``(None,)``."""
        return self.threads or (None,)

    def load_settings(self, n_threads: int | None) -> LoadSettings:
        """How the engine loads the model for one configuration (the chat context also serves
        the TTFT prompt, so it holds at least :data:`CHAT_CONTEXT_TOKENS`; a quantized KV cache
        turns flash attention on, which llama.cpp needs for it)."""
        needed = self.n_depth + self.n_prompt + self.n_gen
        return LoadSettings(
            n_ctx=self.n_ctx or max(needed, CHAT_CONTEXT_TOKENS),
            n_gpu_layers=self.n_gpu_layers,
            n_threads=n_threads,
            n_batch=self.n_batch,
            n_ubatch=self.n_ubatch,
            type_k=self.kv_type,  # type: ignore[arg-type]  # checked in __post_init__
            type_v=self.kv_type,  # type: ignore[arg-type]
            flash_attn=self.flash_attn == "on" or flash_attn_required(self.kv_type),
        )

    @property
    def test_label(self) -> str:
        """The tests as a results table shows them: ``"pp512 / tg128"``, with ``@ d1024``,
        ``· KV q8_0``, ``· ngl all`` when set."""
        text = " / ".join(p for p in (f"pp{self.n_prompt}" if self.n_prompt else "",
                                      f"tg{self.n_gen}" if self.n_gen else "") if p)
        if self.n_depth:
            text += f" @ d{self.n_depth}"
        if self.kv_type != "f16":
            text += f" · KV {self.kv_type}"
        if self.n_gpu_layers:
            text += " · ngl all" if self.n_gpu_layers < 0 else f" · ngl {self.n_gpu_layers}"
        return text

    @property
    def label(self) -> str:
        """``"pp512/tg128 x5"`` (with ``@ d1024``, ``t=1,2``, ``KV q8_0``, ``ngl 99`` when set)."""
        parts = [
            p for p in (f"pp{self.n_prompt}" if self.n_prompt else "", f"tg{self.n_gen}" if self.n_gen else "") if p
        ]
        text = "/".join(parts) + f" x{self.repetitions}"
        if self.n_depth:
            text += f" @ d{self.n_depth}"
        if self.threads:
            text += " t=" + ",".join(str(t) for t in self.threads)
        if self.kv_type != "f16":
            text += f" KV {self.kv_type}"
        if self.n_gpu_layers:
            text += " ngl all" if self.n_gpu_layers < 0 else f" ngl {self.n_gpu_layers}"
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (every field, ``threads`` as a list); :meth:`from_json` reads it back."""
        data: dict[str, Any] = serial.to_builtins(self)
        return data

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> BenchSettings:
        """Inverse of :meth:`to_json`; unknown keys are ignored (older or newer records),
        missing ones take their defaults.

        Raises:
            ValueError: a mistyped value (the message names the field).
            UserError: invalid settings (see the class).
        """
        return serial.from_builtins(cls, raw)


PRESETS: dict[str, BenchSettings] = {
    "quick": BenchSettings(n_prompt=128, n_gen=32, repetitions=3),
    "standard": BenchSettings(n_prompt=512, n_gen=128, repetitions=5),
}
"""The pane's presets: quick = pp128/tg32 x 3, standard = pp512/tg128 x 5 (llama-bench's
defaults); "custom" is any other :class:`BenchSettings`."""


def preset_name(settings: BenchSettings) -> str:
    """"quick", "standard" or "custom" (thread sweep, TTFT and the load settings that come
    from the Fit panel, KV type and GPU layers, do not change the name)."""
    for name, preset in PRESETS.items():
        if replace(settings, threads=(), ttft=True, kv_type="f16", n_gpu_layers=0) == preset:
            return name
    return "custom"
