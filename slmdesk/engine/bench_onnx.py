"""``pp``/``tg`` tests on the loaded ONNX Runtime GenAI model, inside the engine process.

Same definitions as llama-bench (see :mod:`slmdesk.engine.bench_llama`), with what
onnxruntime-genai 0.18 offers (it has no timing API, field-notes section 3.1):

- ``pp N``: a new ``og.Generator`` (``max_length = n_depth + n_prompt + n_gen``, so its
  shared KV buffer is no larger than llama-bench's context), the depth's tokens appended
  untimed, then one timed ``append_tokens`` of ``N`` random ids (the first is BOS). GenAI
  runs the whole prompt in one pass: there is no ``n_batch``.
- ``tg N``: a new generator, BOS (and the depth) appended untimed, then ``N`` timed
  ``append_tokens([random id])`` calls, one forward pass each, as llama-bench decodes one
  random token at a time without sampling.
- one untimed warm-up per test (``pp N`` / ``tg 1``), then ``repetitions`` timed runs.

Threads are the loaded model's ``intra_op_num_threads``: the caller loads the model with the
thread count it wants to measure.
"""

from __future__ import annotations

import random
import time
from typing import Any

from slmdesk.engine.backend_base import GenerationControl
from slmdesk.engine.bench_base import BenchCancelled, ProgressCallback
from slmdesk.engine.types import BenchReport, BenchRequest, BenchTest, EngineError
from slmdesk.hardware.energy import EnergyMeter


def run(
    og: Any,
    model: Any,
    vocab_size: int,
    bos_token_id: int | None,
    request: BenchRequest,
    control: GenerationControl,
    on_progress: ProgressCallback,
    threads: int,
    version: str,
) -> BenchReport:
    """Run the ``pp`` and ``tg`` tests of ``request`` on the loaded GenAI ``model``.

    ``threads`` is the thread count the model was loaded with (recorded, not changed).
    Returns a :class:`BenchReport` with nanoseconds per repetition.

    Raises:
        BenchCancelled: ``control`` was cancelled.
        EngineError: onnxruntime-genai failed.
    """
    rng = random.Random(request.seed)
    meter = EnergyMeter()
    max_length = request.n_ctx or request.n_ctx_needed + 1  # + 1: BOS before the tg tokens
    if max_length < request.n_ctx_needed:
        raise EngineError(
            f"A context of {max_length} tokens cannot hold the benchmark's {request.n_ctx_needed} tokens.",
            "Give a larger --ctx, or leave it at 0.",
        )

    def ids(n: int, bos_first: bool) -> list[int]:
        out = [rng.randrange(vocab_size) for _ in range(n)]
        if out and bos_first and bos_token_id is not None:
            out[0] = bos_token_id
        return out

    def generator(prefix: list[int]) -> Any:
        params = og.GeneratorParams(model)
        params.set_search_options(max_length=max_length, do_sample=False)
        gen = og.Generator(model, params)
        if prefix:
            gen.append_tokens(prefix)
        return gen

    def depth() -> list[int]:
        return ids(request.n_depth, bos_first=True)

    def one(kind: str, n: int) -> tuple[int, float | None]:
        """One run; returns (nanoseconds, joules or None)."""
        if control.cancelled:
            raise BenchCancelled
        if kind == "pp":
            gen = generator(depth())
            prompt = ids(n, bos_first=True)
            e0 = meter.read()
            t0 = time.perf_counter_ns()
            gen.append_tokens(prompt)
            t1 = time.perf_counter_ns()
        else:
            gen = generator(depth() + ids(1, bos_first=True))
            tokens = ids(n, bos_first=False)
            e0 = meter.read()
            t0 = time.perf_counter_ns()
            for token in tokens:
                if control.event.is_set():
                    raise BenchCancelled
                gen.append_tokens([token])
            t1 = time.perf_counter_ns()
        e1 = meter.read()
        return t1 - t0, (meter.joules(e0, e1) if meter.available else None)

    kinds = [(k, n) for k, n in (("pp", request.n_prompt), ("tg", request.n_gen)) if n > 0]
    total = len(kinds) * (request.repetitions + (1 if request.warmup else 0))
    done = 0
    tests = []
    try:
        for kind, n in kinds:
            label = f"{kind}{n}" + (f" @ d{request.n_depth}" if request.n_depth else "")
            if request.warmup:
                one(kind, n if kind == "pp" else 1)
                done += 1
                on_progress(done, total, f"{label}: warm-up")
            samples: list[int] = []
            energy: list[float] = []
            for rep in range(request.repetitions):
                ns, joules = one(kind, n)
                samples.append(ns)
                if joules is not None:
                    energy.append(joules)
                done += 1
                on_progress(done, total, f"{label}: run {rep + 1}/{request.repetitions}")
            tests.append(BenchTest(kind, n, request.n_depth, tuple(samples), tuple(energy)))
    except BenchCancelled:
        raise
    except Exception as error:
        raise EngineError(f"ONNX Runtime GenAI failed during the benchmark: {error}") from error
    return BenchReport(
        backend="onnxruntime-genai",
        backend_version=version,
        n_threads=threads,
        n_batch=request.n_prompt,
        n_ubatch=request.n_prompt,
        n_ctx=max_length,
        flash_attn="n/a",
        tests=tuple(tests),
        energy_source=meter.source,
        energy_note=meter.reason,
    )
