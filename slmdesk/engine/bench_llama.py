"""llama-bench's ``pp``/``tg`` tests on the loaded llama.cpp model, inside the engine process.

Definitions (the same as llama-bench's, so ``slmdesk bench -p N -n M`` maps to
``llama-bench -p N -n M``, and the pane's figures to llama-bench's ``pp N`` and ``tg M`` rows):

- **pp N**: processing an N-token prompt starting from an empty KV cache (after ``d`` tokens
  with a depth), in chunks of ``n_batch`` tokens; t/s = N / wall time of the whole prompt.
- **tg M**: generating M tokens one at a time (M single-token decodes, each producing
  logits); t/s = M / wall time. Sampling is not part of it, as in llama-bench.

This mirrors ``tools/llama-bench/llama-bench.cpp`` of the llama.cpp that llama-cpp-python
0.3.36 vendors (commit 0c1e57098):

- each test gets its own context from the loaded ``llama_model``, as llama-bench runs
  ``-p N -n M`` as two test instances with ``to_llama_cparams()``: ``n_ctx = n_depth + N``
  (pp) or ``n_depth + M`` (tg), ``n_batch``, ``n_ubatch``, ``flash_attn_type``,
  ``swa_full = false``, the KV cache types ``-ctk``/``-ctv`` (f16 unless asked), threads set
  with ``llama_set_n_threads``; the backend's chat context is not touched;
- ``test_prompt``: random token ids (the first is BOS when the vocabulary adds one) decoded
  in chunks of ``n_batch``; only the last token of each chunk asks for logits
  (``common_batch_get_one``; ``llama_batch_get_one`` does the same), then
  ``llama_synchronize``;
- ``test_gen``: single-token decodes (first BOS or random, then random ids), each asking for
  its logits and followed by ``llama_synchronize``;
- per test: ``llama_memory_clear(mem, false)``, one untimed warm-up (``test_prompt(N)`` for
  pp, ``test_gen(1)`` for tg), then ``repetitions`` timed runs, each after
  ``llama_memory_clear`` and, with a depth, a restore of the depth's KV state (computed once
  with ``test_prompt(n_depth)``, as llama-bench caches it with ``llama_state_seq_*``);
- a repetition's time is the wall clock around the test (llama-bench ``get_time_ns``); the
  statistics (``avg_ts``/``stdev_ts``) are computed by :mod:`slmdesk.bench.stats`.

The only difference in kind is the driver: Python calls through ctypes (a few microseconds
per ``llama_decode``, against milliseconds of compute per token), instead of C++; random ids
come from Python's ``random.Random(seed)`` instead of ``std::rand``.
"""

from __future__ import annotations

import ctypes
import random
import time

import llama_cpp

from slmdesk.engine.backend_base import GenerationControl
from slmdesk.engine.bench_base import BenchCancelled, ProgressCallback
from slmdesk.engine.types import (
    FLASH_ATTN_MODES,
    KV_TYPES,
    BenchReport,
    BenchRequest,
    BenchTest,
    EngineError,
)
from slmdesk.hardware.energy import EnergyMeter


class _Runner:
    """The benchmark context and llama-bench's two test functions."""

    def __init__(self, ctx: llama_cpp.llama_context_p, model: llama_cpp.llama_model_p, seed: int,
                 control: GenerationControl) -> None:
        self.ctx = ctx
        vocab = llama_cpp.llama_model_get_vocab(model)
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self.bos = int(llama_cpp.llama_vocab_bos(vocab)) if llama_cpp.llama_vocab_get_add_bos(vocab) else None
        self.memory = llama_cpp.llama_get_memory(ctx)
        self.random = random.Random(seed)
        self.control = control

    def _token(self) -> int:
        return self.random.randrange(self.n_vocab)

    def clear(self) -> None:
        llama_cpp.llama_memory_clear(self.memory, False)

    def prompt_chunks(self, n_prompt: int, n_batch: int) -> list[ctypes.Array[ctypes.c_int32]]:
        """The token arrays of one ``test_prompt`` (drawn before the clock starts)."""
        chunks = []
        done = 0
        while done < n_prompt:
            n = min(n_prompt - done, n_batch)
            ids = [self._token() for _ in range(n)]
            if done == 0 and self.bos is not None:
                ids[0] = self.bos
            chunks.append((llama_cpp.llama_token * n)(*ids))
            done += n
        return chunks

    def test_prompt(self, chunks: list[ctypes.Array[ctypes.c_int32]]) -> None:
        """llama-bench ``test_prompt``: decode each chunk, logits for its last token only."""
        decode, get_one, ctx, cancel = (
            llama_cpp.llama_decode,
            llama_cpp.llama_batch_get_one,
            self.ctx,
            self.control.event,
        )
        for array in chunks:
            if cancel.is_set():
                raise BenchCancelled
            status = decode(ctx, get_one(array, len(array)))
            if status != 0:
                raise EngineError(f"llama.cpp failed to process the benchmark prompt (llama_decode returned {status}).")
        llama_cpp.llama_synchronize(ctx)

    def gen_tokens(self, n_gen: int) -> list[int]:
        """The token ids of one ``test_gen``: BOS (when the vocabulary adds one) then random."""
        ids = [self._token() for _ in range(n_gen)]
        if ids and self.bos is not None:
            ids[0] = self.bos
        return ids

    def test_gen(self, ids: list[int]) -> None:
        """llama-bench ``test_gen``: one ``llama_decode`` per token, each followed by
        ``llama_synchronize``; the position continues after what the KV cache holds."""
        buffer = (llama_cpp.llama_token * 1)()
        batch = llama_cpp.llama_batch_get_one(buffer, 1)
        decode, sync, ctx, cancel = llama_cpp.llama_decode, llama_cpp.llama_synchronize, self.ctx, self.control.event
        for token in ids:
            if cancel.is_set():
                raise BenchCancelled
            buffer[0] = token
            status = decode(ctx, batch)
            if status != 0:
                raise EngineError(f"llama.cpp failed while generating (llama_decode returned {status}).")
            sync(ctx)


def _context(llm: llama_cpp.Llama, request: BenchRequest, n_ctx: int, threads: int) -> llama_cpp.llama_context_p:
    """A context like llama-bench's ``cmd_params_instance::to_llama_cparams()``.

    Raises:
        EngineError: llama.cpp refused it (not enough memory, invalid settings).
    """
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = n_ctx
    params.n_batch = request.n_batch
    params.n_ubatch = request.n_ubatch
    params.n_threads = threads
    params.n_threads_batch = threads
    params.flash_attn_type = FLASH_ATTN_MODES[request.flash_attn]
    params.type_k = KV_TYPES[request.type_k]
    params.type_v = KV_TYPES[request.type_v]
    params.swa_full = False
    ctx = llama_cpp.llama_init_from_model(llm.model, params)
    if not ctx:
        raise EngineError(
            "llama.cpp could not create the benchmark context (not enough memory, or the settings are invalid).",
            "Try smaller sizes or a smaller --ctx.",
        )
    llama_cpp.llama_set_n_threads(ctx, threads, threads)
    context: llama_cpp.llama_context_p = ctx
    return context


def run(
    llm: llama_cpp.Llama,
    request: BenchRequest,
    control: GenerationControl,
    on_progress: ProgressCallback,
    default_threads: int,
    version: str,
) -> BenchReport:
    """Run the ``pp`` and ``tg`` tests of ``request`` on the model loaded in ``llm``.

    As llama-bench runs ``-p N -n M`` as two test instances, each test gets its own context of
    ``n_depth + N`` (pp) or ``n_depth + M`` (tg) tokens, unless ``request.n_ctx`` fixes it.
    Returns a :class:`BenchReport` (raw nanoseconds per repetition; energy per repetition
    when RAPL is readable; ``n_ctx``/``n_batch``/``n_ubatch`` of the largest context, as
    llama.cpp allocated them). ``on_progress(done, total, message)`` is called after the
    warm-ups and each repetition (outside the timed region).

    Raises:
        BenchCancelled: ``control`` was cancelled.
        EngineError: a context cannot be created (``n_ctx`` too small, out of memory) or a
            ``llama_decode`` failed.
    """
    threads = request.n_threads or default_threads
    if request.n_ctx and request.n_ctx < request.n_ctx_needed:
        raise EngineError(
            f"A context of {request.n_ctx} tokens cannot hold the benchmark's {request.n_ctx_needed} tokens"
            f" (depth {request.n_depth} + pp {request.n_prompt} + tg {request.n_gen}).",
            "Give a larger --ctx, or leave it at 0 to size it like llama-bench.",
        )
    kinds = [(k, n) for k, n in (("pp", request.n_prompt), ("tg", request.n_gen)) if n > 0]
    total = len(kinds) * (request.repetitions + (1 if request.warmup else 0))
    progress = _Progress(on_progress, total)
    meter = EnergyMeter()
    tests = []
    sizes = (0, 0, 0)
    for kind, n_tokens in kinds:
        ctx = _context(llm, request, request.n_ctx or request.n_depth + n_tokens, threads)
        try:
            runner = _Runner(ctx, llm.model, request.seed, control)
            tests.append(_run_test(runner, request, kind, n_tokens, meter, progress))
            sizes = max(sizes, (int(llama_cpp.llama_n_ctx(ctx)), int(llama_cpp.llama_n_batch(ctx)),
                                int(llama_cpp.llama_n_ubatch(ctx))))
        finally:
            llama_cpp.llama_free(ctx)
    return BenchReport(
        backend="llama.cpp",
        backend_version=version,
        n_threads=threads,
        n_ctx=sizes[0],
        n_batch=sizes[1],
        n_ubatch=sizes[2],
        flash_attn=request.flash_attn,
        tests=tuple(tests),
        energy_source=meter.source,
        energy_note=meter.reason,
    )


class _Progress:
    def __init__(self, callback: ProgressCallback, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def step(self, message: str) -> None:
        self.done += 1
        self.callback(self.done, self.total, message)


def _run_test(
    runner: _Runner, request: BenchRequest, kind: str, n_tokens: int, meter: EnergyMeter, progress: _Progress
) -> BenchTest:
    """One llama-bench test instance on its own context: warm-up, then the repetitions."""
    depth_state: ctypes.Array[ctypes.c_uint8] | None = None
    runner.clear()
    if request.n_depth:
        runner.test_prompt(runner.prompt_chunks(request.n_depth, request.n_batch))
        size = llama_cpp.llama_state_seq_get_size(runner.ctx, 0)
        depth_state = (ctypes.c_uint8 * size)()
        llama_cpp.llama_state_seq_get_data(runner.ctx, depth_state, size, 0)
        runner.clear()

    def restore_depth() -> None:
        runner.clear()
        if depth_state is not None and llama_cpp.llama_state_seq_set_data(
            runner.ctx, depth_state, len(depth_state), 0
        ) == 0:
                runner.test_prompt(runner.prompt_chunks(request.n_depth, request.n_batch))

    label = f"{kind}{n_tokens}" + (f" @ d{request.n_depth}" if request.n_depth else "")
    if request.warmup:
        if kind == "pp":
            runner.test_prompt(runner.prompt_chunks(n_tokens, request.n_batch))
        else:
            runner.test_gen(runner.gen_tokens(1))
        progress.step(f"{label}: warm-up")
    samples: list[int] = []
    energy: list[float] = []
    for rep in range(request.repetitions):
        restore_depth()
        if kind == "pp":
            chunks = runner.prompt_chunks(n_tokens, request.n_batch)
            e0 = meter.read()
            t0 = time.perf_counter_ns()
            runner.test_prompt(chunks)
        else:
            ids = runner.gen_tokens(n_tokens)
            e0 = meter.read()
            t0 = time.perf_counter_ns()
            runner.test_gen(ids)
        t1 = time.perf_counter_ns()
        e1 = meter.read()
        samples.append(t1 - t0)
        if meter.available:
            energy.append(meter.joules(e0, e1))
        progress.step(f"{label}: run {rep + 1}/{request.repetitions}")
    return BenchTest(kind, n_tokens, request.n_depth, tuple(samples), tuple(energy))
