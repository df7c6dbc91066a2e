"""Serving-benchmark figures computed the way vLLM's serving benchmark defines them.

Reference: vLLM ``benchmarks/benchmark_serving.py`` ``calculate_metrics`` (vllm-project/vllm,
commit 0049e29c41fd383bda519a3f250e3227713081ef; the same definitions live on in
``vllm/benchmarks/serve.py``), with per-request timings as
``vllm/benchmarks/lib/endpoint_request_func.py`` (commit 3aee4a4f4c4d) measures them:

- TTFT: seconds from sending the request to the first streamed chunk that carries a token.
- ITL: seconds between consecutive token-carrying chunks of one request (one value per chunk
  after the first; a chunk that bundles several tokens gives one value, as in vLLM).
- E2E latency: seconds from sending the request to the last streamed data message.
- TPOT: per request, ``(latency - ttft) / (output_tokens - 1)``, only for requests with more
  than one output token.
- output tokens: ``usage.completion_tokens`` when the server reports it, else (vLLM counts with
  the model's tokenizer) the number of token-carrying chunks, which is exact for servers that
  stream one token per chunk and an undercount otherwise.
- Over the successful requests only: request throughput ``completed / duration``, output token
  throughput ``sum(output tokens) / duration``, total token throughput
  ``(sum(input tokens) + sum(output tokens)) / duration``; ``duration`` is the wall time of the
  whole run (first request sent to last answer received).
- Mean, median, standard deviation (``np.std``: population, ``ddof=0``) and percentiles
  (``np.percentile``, linear interpolation) of each list.

One deliberate difference: where vLLM reports 0 for a figure with no samples (``np.mean(x or 0)``),
slmdesk reports None (JSON null), so an unmeasured figure never reads as 0 s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slmdesk.core import serial

PERCENTILES = (50.0, 95.0, 99.0)
"""The percentiles reported for each latency figure (vLLM's ``--metric-percentiles`` default is
99 alone; the issue asks for p50/p95/p99)."""

MAX_ERROR_MESSAGES = 5
"""Distinct error messages kept per run (the first ones, in the order they happened)."""


@dataclass(frozen=True)
class RequestOutcome:
    """What one request measured (vLLM's ``RequestFuncOutput``), times in seconds.

    Attributes:
        success: the reply streamed to its end (``data: [DONE]``) with at least one token.
        ttft_s: time to first token (0.0 when none arrived).
        itl_s: inter-token latencies, one per token-carrying chunk after the first.
        latency_s: end-to-end latency, to the last data message.
        output_tokens: ``usage.completion_tokens``, else the counted chunks; 0 for a failure.
        prompt_tokens: ``usage.prompt_tokens`` when reported, else the prompt's approximate length.
        finish_reason: the last ``finish_reason`` the server sent ("length", "stop"...), "" if none.
        usage_reported: True when ``output_tokens`` came from the server's usage.
        error: why it failed ("" on success).
    """

    success: bool
    ttft_s: float = 0.0
    itl_s: tuple[float, ...] = ()
    latency_s: float = 0.0
    output_tokens: int = 0
    prompt_tokens: int = 0
    finish_reason: str = ""
    usage_reported: bool = False
    error: str = ""


@dataclass(frozen=True)
class Distribution:
    """Summary of one latency figure over a run, seconds.

    Attributes:
        mean, median, std: ``np.mean``, ``np.median``, ``np.std`` (population) of the samples.
        p50, p95, p99: ``np.percentile`` (linear interpolation).
        count: number of samples.
    """

    mean: float
    median: float
    std: float
    p50: float
    p95: float
    p99: float
    count: int

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (seconds)."""
        data: dict[str, Any] = serial.to_builtins(self)
        return data

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> Distribution | None:
        """Inverse of :meth:`to_json`; None for None."""
        return None if raw is None else serial.from_builtins(cls, raw)


def distribution(samples: Sequence[float]) -> Distribution | None:
    """The :class:`Distribution` of ``samples`` (seconds); None when there are none."""
    if not samples:
        return None
    values = np.asarray(samples, dtype=float)
    p50, p95, p99 = (float(np.percentile(values, p)) for p in PERCENTILES)
    return Distribution(mean=float(np.mean(values)), median=float(np.median(values)), std=float(np.std(values)),
                        p50=p50, p95=p95, p99=p99, count=len(values))


@dataclass(frozen=True)
class ServingMetrics:
    """The figures of one run (one concurrency level / request rate), vLLM's ``BenchmarkMetrics``.

    Attributes:
        completed: successful requests; failed: the others.
        duration_s: wall time of the run.
        total_input, total_output: prompt and output tokens of the successful requests.
        request_throughput: completed requests / s; output_throughput: output tokens / s;
        total_token_throughput: (input + output tokens) / s.
        ttft, tpot, itl, e2el: distributions in seconds (None without samples).
        output_lens: output tokens per request, in request order (0 for a failure).
        finish_reasons: how many successful replies ended with each ``finish_reason``.
        usage_reported: successful requests whose output count came from the server's usage.
        errors: the first :data:`MAX_ERROR_MESSAGES` distinct error messages.
    """

    completed: int
    failed: int
    duration_s: float
    total_input: int
    total_output: int
    request_throughput: float
    output_throughput: float
    total_token_throughput: float
    ttft: Distribution | None
    tpot: Distribution | None
    itl: Distribution | None
    e2el: Distribution | None
    output_lens: tuple[int, ...] = ()
    finish_reasons: Mapping[str, int] = field(default_factory=dict)
    usage_reported: int = 0
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (distributions as dicts, null when missing)."""
        return {
            "completed": self.completed, "failed": self.failed, "duration_s": self.duration_s,
            "total_input": self.total_input, "total_output": self.total_output,
            "request_throughput": self.request_throughput, "output_throughput": self.output_throughput,
            "total_token_throughput": self.total_token_throughput,
            **{name: (d.to_json() if d else None) for name, d in (("ttft", self.ttft), ("tpot", self.tpot),
                                                                 ("itl", self.itl), ("e2el", self.e2el))},
            "output_lens": list(self.output_lens), "finish_reasons": dict(self.finish_reasons),
            "usage_reported": self.usage_reported, "errors": list(self.errors),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ServingMetrics:
        """Inverse of :meth:`to_json`.

        Raises:
            KeyError, ValueError, TypeError: a malformed record.
        """
        return cls(
            completed=int(raw["completed"]), failed=int(raw["failed"]), duration_s=float(raw["duration_s"]),
            total_input=int(raw["total_input"]), total_output=int(raw["total_output"]),
            request_throughput=float(raw["request_throughput"]), output_throughput=float(raw["output_throughput"]),
            total_token_throughput=float(raw["total_token_throughput"]),
            ttft=Distribution.from_json(raw.get("ttft")), tpot=Distribution.from_json(raw.get("tpot")),
            itl=Distribution.from_json(raw.get("itl")), e2el=Distribution.from_json(raw.get("e2el")),
            output_lens=tuple(int(n) for n in raw.get("output_lens") or ()),
            finish_reasons={str(k): int(v) for k, v in (raw.get("finish_reasons") or {}).items()},
            usage_reported=int(raw.get("usage_reported", 0)),
            errors=tuple(str(e) for e in raw.get("errors") or ()),
        )


def calculate_metrics(outcomes: Sequence[RequestOutcome], duration_s: float) -> ServingMetrics:
    """The run's figures from its requests (vLLM ``calculate_metrics``; see the module doc).

    Args:
        outcomes: every request of the run, in the order they were sent.
        duration_s: wall seconds of the run (> 0).

    Raises:
        ValueError: ``duration_s`` <= 0.
    """
    if not duration_s > 0:
        raise ValueError(f"the run's duration must be positive, not {duration_s}")
    ttfts: list[float] = []
    tpots: list[float] = []
    itls: list[float] = []
    e2els: list[float] = []
    output_lens: list[int] = []
    total_input = completed = usage = 0
    finishes: dict[str, int] = {}
    errors: list[str] = []
    for outcome in outcomes:
        if not outcome.success:
            output_lens.append(0)
            if outcome.error and outcome.error not in errors and len(errors) < MAX_ERROR_MESSAGES:
                errors.append(outcome.error)
            continue
        output_len = outcome.output_tokens
        output_lens.append(output_len)
        total_input += outcome.prompt_tokens
        if output_len > 1:
            tpots.append((outcome.latency_s - outcome.ttft_s) / (output_len - 1))
        itls.extend(outcome.itl_s)
        ttfts.append(outcome.ttft_s)
        e2els.append(outcome.latency_s)
        completed += 1
        usage += outcome.usage_reported
        if outcome.finish_reason:
            finishes[outcome.finish_reason] = finishes.get(outcome.finish_reason, 0) + 1
    total_output = sum(output_lens)
    return ServingMetrics(
        completed=completed,
        failed=len(outcomes) - completed,
        duration_s=duration_s,
        total_input=total_input,
        total_output=total_output,
        request_throughput=completed / duration_s,
        output_throughput=total_output / duration_s,
        total_token_throughput=(total_input + total_output) / duration_s,
        ttft=distribution(ttfts),
        tpot=distribution(tpots),
        itl=distribution(itls),
        e2el=distribution(e2els),
        output_lens=tuple(output_lens),
        finish_reasons=finishes,
        usage_reported=usage,
        errors=tuple(errors),
    )
