"""The quality check's child process: perplexity and KL-divergence through llama.cpp, the way
``llama-perplexity`` computes them (``tools/perplexity/perplexity.cpp`` of the llama.cpp that
llama-cpp-python 0.3.36 vendors).

Runs only in the child (``slmdesk quality-child``, started by :mod:`slmdesk.quantize.quality`):
it imports llama_cpp and numpy. The request is one JSON object on stdin; progress events and
the result are JSON lines on the protocol stream (the original stdout; fd 1 is pointed at
stderr so that native code printing cannot corrupt it).

What ``llama-perplexity`` does, and this module repeats:

- the text is read whole, one trailing newline removed (``common/arg.cpp``, ``-f``), and
  tokenized with the special tokens the vocabulary adds (BOS) and without parsing special
  tokens in the text (``common_tokenize(ctx, prompt, true)``);
- it is cut into ``n_chunk = n_tokens // n_ctx`` chunks of ``n_ctx`` tokens; each chunk is
  scored on its own (KV cache cleared), its first token replaced by BOS when the vocabulary
  adds one, and only the second half of each chunk is scored: the logits at positions
  ``n_ctx/2 .. n_ctx-2`` against the next token (``n_ctx - 1 - n_ctx/2`` tokens per chunk);
- ``n_seq = max(1, n_batch // n_ctx)`` chunks go through one batch as separate sequences,
  with a context of ``n_seq * n_ctx`` cells and ``n_batch = min(n_batch, n_seq * n_ctx)``
  (the tool's ``main``); ``n_batch`` defaults to 2048 as in ``common_params``;
- PPL = ``exp(mean NLL)``, its uncertainty ``ppl * sqrt((mean(NLL^2) - mean^2) / (count-1))``;
- KL-divergence: the base model's log-probabilities are stored as 16-bit integers per token
  (``log_softmax`` with ``scale``/``min_log_prob``, values below ``max - 16`` clipped), the
  variant's are exact; KLD per token = ``sum over p_base > e^-16 of p_base * (log p_base -
  log p_variant)``; "Same top p" = the share of tokens whose most likely token is the same.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import llama_cpp
import numpy as np
import numpy.typing as npt

DEFAULT_N_BATCH = 2048
"""``common_params.n_batch`` (``common/common.h``): llama-perplexity's and llama-imatrix's default."""

LOGPROB_FLOOR = 16.0
"""llama-perplexity clips stored log-probabilities at ``max_logit - 16`` and ignores base
probabilities below ``e^-16`` in the KL sum (``log_softmax`` in ``perplexity.cpp``)."""

Emit = Callable[[dict[str, Any]], None]


class ChildError(Exception):
    """A failure the parent shows to the user (the message is for a person)."""


def protocol_stream() -> IO[str]:
    """A text stream on the original stdout for the protocol; fd 1 then points at stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(saved, "w", encoding="utf-8", buffering=1)


def make_emitter(stream: IO[str]) -> Emit:
    def emit(event: dict[str, Any]) -> None:
        stream.write(json.dumps(event) + "\n")
        stream.flush()

    return emit


_LOG_WARN = 3
_LOG_CONT = 5
_last_level = 0


@llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]  # a ctypes CFUNCTYPE from an untyped library
def _log_callback(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    """llama.cpp's warnings and errors to stderr (the parent keeps the tail for error messages)."""
    global _last_level
    effective = _last_level if level == _LOG_CONT else level
    if level != _LOG_CONT:
        _last_level = level
    if effective >= _LOG_WARN or os.environ.get("SLMDESK_ENGINE_DEBUG"):
        with contextlib.suppress(OSError):
            os.write(2, text)


def init_runtime() -> bool:
    """Load llama.cpp's backends the way the engine does (safe CPU variant); returns whether
    weight repacking is allowed here."""
    from slmdesk.engine import llama_runtime

    llama_cpp.llama_log_set(_log_callback, ctypes.c_void_p(0))
    return llama_runtime.ensure_backends().repack


@dataclass
class Loaded:
    """A model and its context; ``close()`` frees both."""

    model: Any
    ctx: Any
    vocab: Any
    n_vocab: int
    keep: tuple[Any, ...] = ()

    def close(self) -> None:
        if self.ctx:
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            llama_cpp.llama_model_free(self.model)
            self.model = None


@dataclass(frozen=True)
class Plan:
    """How a text is cut and batched (llama-perplexity's ``main`` and ``perplexity``)."""

    n_ctx: int
    n_batch: int
    n_seq: int
    n_chunk: int

    @property
    def first(self) -> int:
        return self.n_ctx // 2

    @property
    def scored_per_chunk(self) -> int:
        return self.n_ctx - 1 - self.first

    @property
    def num_batches(self) -> int:
        return (self.n_ctx + self.n_batch - 1) // self.n_batch


def make_plan(n_tokens: int, n_ctx: int, n_batch: int | None, chunks: int | None) -> Plan:
    """The plan for ``n_tokens`` tokens; raises ChildError when the text is too short (fewer
    than ``2 * n_ctx`` tokens, the tool's own limit) or the batch does not fit the rule
    ``n_batch < n_ctx or n_batch % n_ctx == 0``."""
    if n_ctx < 8:
        raise ChildError(f"The context must be at least 8 tokens (got {n_ctx}).")
    batch = DEFAULT_N_BATCH if n_batch is None else n_batch
    n_seq = max(1, batch // n_ctx)
    batch = min(batch, n_seq * n_ctx)
    if not (batch < n_ctx or batch % n_ctx == 0):
        raise ChildError(f"The batch size ({batch}) must be below the context ({n_ctx}) or a multiple of it.")
    if n_tokens < 2 * n_ctx:
        raise ChildError(f"The text tokenizes to {n_tokens} tokens; a context of {n_ctx} needs at least "
                         f"{2 * n_ctx}.")
    n_chunk_max = n_tokens // n_ctx
    n_chunk = n_chunk_max if chunks is None or chunks < 0 else min(chunks, n_chunk_max)
    return Plan(n_ctx=n_ctx, n_batch=batch, n_seq=n_seq, n_chunk=n_chunk)


def load(path: Path, plan: Plan, repack: bool, threads: int | None,
         cb_eval: Any = None) -> Loaded:
    """Load ``path`` with a context for ``plan`` (``n_seq`` sequences of ``n_ctx`` cells, not
    unified, ``swa_full`` off: llama.cpp's ``common_params`` defaults). Raises ChildError."""
    model_params = llama_cpp.llama_model_default_params()
    model_params.use_extra_bufts = repack
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), model_params)
    if not model:
        raise ChildError(f"llama.cpp could not load {path.name}.")
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = plan.n_seq * plan.n_ctx
    params.n_batch = plan.n_batch
    params.n_seq_max = plan.n_seq
    params.kv_unified = False
    params.swa_full = False
    n_threads = threads or os.cpu_count() or 1
    params.n_threads = n_threads
    params.n_threads_batch = n_threads
    params.no_perf = True
    if cb_eval is not None:
        params.cb_eval = cb_eval
        params.cb_eval_user_data = None
    ctx = llama_cpp.llama_init_from_model(model, params)
    if not ctx:
        llama_cpp.llama_model_free(model)
        raise ChildError(f"llama.cpp could not create a context of {params.n_ctx} tokens for {path.name}.")
    vocab = llama_cpp.llama_model_get_vocab(model)
    return Loaded(model=model, ctx=ctx, vocab=vocab, n_vocab=llama_cpp.llama_vocab_n_tokens(vocab),
                  keep=(cb_eval,))


def read_text(path: Path) -> bytes:
    """The file's bytes with one trailing newline removed (llama.cpp's ``-f``)."""
    data = path.read_bytes()
    return data[:-1] if data.endswith(b"\n") else data


def tokenize(vocab: Any, text: bytes) -> npt.NDArray[np.int32]:
    """``common_tokenize(ctx, text, add_special=true, parse_special=false)``."""
    capacity = len(text) + 16
    buffer = (llama_cpp.llama_token * capacity)()
    count = llama_cpp.llama_tokenize(vocab, text, len(text), buffer, capacity, True, False)
    if count < 0:  # too small: llama.cpp returns minus the count needed
        capacity = -count
        buffer = (llama_cpp.llama_token * capacity)()
        count = llama_cpp.llama_tokenize(vocab, text, len(text), buffer, capacity, True, False)
    return np.array(buffer[:count], dtype=np.int32)


def chunk_logits(loaded: Loaded, tokens: npt.NDArray[np.int32], plan: Plan, *, all_outputs: bool = False,
                 want_logits: bool = True) -> Iterator[tuple[int, list[npt.NDArray[np.float32]]]]:
    """Decode the chunks as llama-perplexity does; yield ``(chunks done, logits per sequence)``
    after each group of ``n_seq`` chunks, each array ``(scored_per_chunk, n_vocab)`` float32
    (the logits at positions ``first .. n_ctx-2``). ``all_outputs`` asks for every position's
    logits, as llama-imatrix does (so the last layer runs on every token). Raises ChildError."""
    add_bos = llama_cpp.llama_vocab_get_add_bos(loaded.vocab)
    bos = llama_cpp.llama_vocab_bos(loaded.vocab)
    n_ctx, first, n_vocab = plan.n_ctx, plan.first, loaded.n_vocab
    batch = llama_cpp.llama_batch_init(plan.n_batch, 0, plan.n_seq)
    try:
        token_view = np.ctypeslib.as_array(batch.token, shape=(plan.n_batch,))
        pos_view = np.ctypeslib.as_array(batch.pos, shape=(plan.n_batch,))
        n_seq_view = np.ctypeslib.as_array(batch.n_seq_id, shape=(plan.n_batch,))
        out_view = np.ctypeslib.as_array(batch.logits, shape=(plan.n_batch,))
        for i in range(0, plan.n_chunk, plan.n_seq):
            start = i * n_ctx
            end = start + n_ctx
            n_seq_batch = min(plan.n_seq, plan.n_chunk - i)
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(loaded.ctx), True)
            collected: list[npt.NDArray[np.float32]] = []
            for j in range(plan.num_batches):
                batch_start = start + j * plan.n_batch
                batch_size = min(end - batch_start, plan.n_batch)
                n = 0
                n_outputs = 0
                for seq in range(n_seq_batch):
                    seq_start = batch_start + seq * n_ctx
                    chunk = tokens[seq_start:seq_start + batch_size].copy()
                    if add_bos and j == 0:
                        chunk[0] = bos
                    positions = np.arange(j * plan.n_batch, j * plan.n_batch + batch_size, dtype=np.int32)
                    need = np.ones(batch_size, dtype=bool) if all_outputs else positions >= first
                    token_view[n:n + batch_size] = chunk
                    pos_view[n:n + batch_size] = positions
                    n_seq_view[n:n + batch_size] = 1
                    out_view[n:n + batch_size] = need
                    for k in range(batch_size):
                        batch.seq_id[n + k][0] = seq
                    n += batch_size
                    n_outputs += int(need.sum())
                batch.n_tokens = n
                status = llama_cpp.llama_decode(loaded.ctx, batch)
                if status != 0:
                    raise ChildError(f"llama.cpp failed to decode a batch (status {status}).")
                if want_logits and n_outputs:
                    pointer = llama_cpp.llama_get_logits(loaded.ctx)
                    rows = np.ctypeslib.as_array(pointer, shape=(n_outputs, n_vocab))
                    if plan.num_batches > 1 or all_outputs:
                        collected.append(rows.copy())
                    else:
                        collected.append(rows)
            per_seq: list[npt.NDArray[np.float32]] = []
            if want_logits:
                logits = collected[0] if len(collected) == 1 else np.concatenate(collected)
                # Rows per sequence in the output: n_ctx - first (second half), or n_ctx (all).
                stride = n_ctx if all_outputs else n_ctx - first
                offset = first if all_outputs else 0
                for seq in range(n_seq_batch):
                    begin = seq * stride + offset
                    per_seq.append(logits[begin:begin + plan.scored_per_chunk])
            yield i + n_seq_batch, per_seq
    finally:
        llama_cpp.llama_batch_free(batch)


def nll_of(logits: npt.NDArray[np.float32], targets: npt.NDArray[np.int32]) -> npt.NDArray[np.float64]:
    """Negative log-likelihood of ``targets`` per row (``log_softmax`` of ``perplexity.cpp``:
    float max, double sum of ``expf``)."""
    top = logits.max(axis=1)
    sum_exp = np.exp(logits - top[:, None]).sum(axis=1, dtype=np.float64)
    picked = logits[np.arange(len(targets)), targets].astype(np.float64)
    result: npt.NDArray[np.float64] = -(picked - top.astype(np.float64) - np.log(sum_exp))
    return result


def quantized_log_probs(logits: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.float32],
                                                                   npt.NDArray[np.float32]]:
    """The base model's log-probabilities as llama-perplexity stores them for
    ``--kl-divergence-base``: ``(uint16 codes, scale, min_log_prob)`` per row."""
    top = logits.max(axis=1)
    low = np.maximum(logits.min(axis=1), top - np.float32(LOGPROB_FLOOR))
    sum_exp = np.exp(logits - top[:, None]).sum(axis=1, dtype=np.float64)
    log_sum_exp = np.log(sum_exp).astype(np.float32)
    min_log_prob = (low - top - log_sum_exp).astype(np.float32)
    scale = ((top - low) / np.float32(65535.0)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1.0))
    inv = (np.float32(1.0) / safe).astype(np.float32)
    codes = np.rint(inv[:, None] * (logits - low[:, None])).astype(np.int64)
    codes = np.where(logits > low[:, None], codes, 0)
    codes = np.where(scale[:, None] > 0, codes, 0)
    return codes.astype(np.uint16), scale, min_log_prob


def kld_rows(logits: npt.NDArray[np.float32], codes: npt.NDArray[np.uint16], scale: npt.NDArray[np.float32],
             min_log_prob: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Per row: KL(base || variant) and whether the most likely tokens agree."""
    top = logits.max(axis=1)
    sum_exp = np.exp(logits - top[:, None]).sum(axis=1, dtype=np.float64)
    log_norm = (top + np.log(sum_exp).astype(np.float32)).astype(np.float32)
    base_log = (scale[:, None] * codes.astype(np.float32) + min_log_prob[:, None]).astype(np.float32)
    mask = base_log > np.float32(-LOGPROB_FLOOR)
    p_base = np.exp(np.where(mask, base_log, np.float32(-LOGPROB_FLOOR)))
    terms = np.where(mask, p_base.astype(np.float64) * (base_log - logits + log_norm[:, None]).astype(np.float64), 0.0)
    kld: npt.NDArray[np.float64] = terms.sum(axis=1)
    same: npt.NDArray[np.bool_] = logits.argmax(axis=1) == base_log.argmax(axis=1)
    return kld, same


def ppl_and_stderr(nll_sum: float, nll2_sum: float, count: int) -> tuple[float, float]:
    """``(exp(mean), ppl * sqrt((mean2 - mean^2) / (count - 1)))`` as ``perplexity()`` prints."""
    mean = nll_sum / count
    var = nll2_sum / count - mean * mean
    ppl = float(np.exp(mean))
    return ppl, (ppl * float(np.sqrt(var / (count - 1))) if var > 0 and count > 1 else 0.0)


def run_perplexity(request: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Perplexity of one model: the result fields of ``PerplexityResult``."""
    started = time.monotonic()
    repack = init_runtime()
    model = Path(request["model"])
    text = read_text(Path(request["text"]))
    probe = load_vocab_only(model)
    try:
        tokens = tokenize(probe.vocab, text)
    finally:
        probe.close()
    plan = make_plan(len(tokens), int(request["n_ctx"]), request.get("n_batch"), request.get("chunks"))
    emit({"event": "progress", "done": 0, "total": plan.n_chunk, "message": f"Loading {model.name}"})
    loaded = load(model, plan, repack, request.get("threads"))
    nll_sum = nll2_sum = 0.0
    count = 0
    try:
        for done, per_seq in chunk_logits(loaded, tokens, plan):
            for seq, logits in enumerate(per_seq):
                chunk_start = (done - len(per_seq) + seq) * plan.n_ctx
                targets = tokens[chunk_start + plan.first + 1:chunk_start + plan.n_ctx]
                values = nll_of(logits, targets)
                nll_sum += float(values.sum())
                nll2_sum += float((values * values).sum())
                count += len(values)
            ppl, _ = ppl_and_stderr(nll_sum, nll2_sum, count)
            emit({"event": "progress", "done": done, "total": plan.n_chunk, "message": f"PPL so far {ppl:.4f}"})
    finally:
        loaded.close()
    ppl, stderr = ppl_and_stderr(nll_sum, nll2_sum, count)
    return {"perplexity": ppl, "ppl_stderr": stderr, "n_tokens": count, "n_chunks": plan.n_chunk,
            "n_ctx": plan.n_ctx, "seconds": time.monotonic() - started}


def load_vocab_only(path: Path) -> Loaded:
    """The model's vocabulary alone (fast), to tokenize before the context is sized."""
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if not model:
        raise ChildError(f"llama.cpp could not load {path.name}.")
    vocab = llama_cpp.llama_model_get_vocab(model)
    return Loaded(model=model, ctx=None, vocab=vocab, n_vocab=llama_cpp.llama_vocab_n_tokens(vocab))


def run_compare(request: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """The base model's pass, then the variant's against the stored base log-probabilities:
    the result fields of ``ComparisonResult``."""
    with contextlib.ExitStack() as stack:
        return _compare(request, emit, stack)


def _compare(request: dict[str, Any], emit: Emit, stack: contextlib.ExitStack) -> dict[str, Any]:
    started = time.monotonic()
    repack = init_runtime()
    base, variant = Path(request["base"]), Path(request["variant"])
    text = read_text(Path(request["text"]))
    probe = load_vocab_only(base)
    try:
        tokens = tokenize(probe.vocab, text)
    finally:
        probe.close()
    plan = make_plan(len(tokens), int(request["n_ctx"]), request.get("n_batch"), request.get("chunks"))
    total = 2 * plan.n_chunk
    # The base log-probabilities (2 bytes per vocabulary entry and scored token: 25 MB per
    # chunk of 512 for a 49k vocabulary) wait in a temporary file, not in memory.
    spill = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115  (closed by the caller's ExitStack)
    stored: list[tuple[int, npt.NDArray[np.float32], npt.NDArray[np.float32]]] = []
    row_bytes = probe.n_vocab * 2
    sums = {"base": [0.0, 0.0, 0], "variant": [0.0, 0.0, 0]}
    kld_values: list[npt.NDArray[np.float64]] = []
    same_top = 0
    for role, path in (("base", base), ("variant", variant)):
        emit({"event": "progress", "done": 0 if role == "base" else plan.n_chunk, "total": total,
              "message": f"Loading {path.name}"})
        loaded = load(path, plan, repack, request.get("threads"))
        try:
            if loaded.n_vocab != probe.n_vocab:
                raise ChildError(f"{variant.name} and {base.name} have different vocabularies "
                                 f"({loaded.n_vocab} and {probe.n_vocab} tokens): not one model.")
            for done, per_seq in chunk_logits(loaded, tokens, plan):
                for seq, logits in enumerate(per_seq):
                    index = done - len(per_seq) + seq
                    chunk_start = index * plan.n_ctx
                    targets = tokens[chunk_start + plan.first + 1:chunk_start + plan.n_ctx]
                    values = nll_of(logits, targets)
                    acc = sums[role]
                    acc[0] += float(values.sum())
                    acc[1] += float((values * values).sum())
                    acc[2] += len(values)
                    if role == "base":
                        codes, scale, min_log_prob = quantized_log_probs(logits)
                        stored.append((spill.tell(), scale, min_log_prob))
                        spill.write(codes.tobytes())
                    else:
                        offset, scale, min_log_prob = stored[index]
                        spill.seek(offset)
                        raw = spill.read(row_bytes * len(logits))
                        codes = np.frombuffer(raw, dtype=np.uint16).reshape(len(logits), probe.n_vocab)
                        kld, same = kld_rows(logits, codes, scale, min_log_prob)
                        kld_values.append(kld)
                        same_top += int(same.sum())
                emit({"event": "progress", "done": done + (plan.n_chunk if role == "variant" else 0),
                      "total": total, "message": f"{path.name}: {done}/{plan.n_chunk} chunks"})
        finally:
            loaded.close()
    klds = np.concatenate(kld_values)
    base_ppl, _ = ppl_and_stderr(float(sums["base"][0]), float(sums["base"][1]), int(sums["base"][2]))
    variant_ppl, _ = ppl_and_stderr(float(sums["variant"][0]), float(sums["variant"][1]), int(sums["variant"][2]))
    return {"base_ppl": base_ppl, "variant_ppl": variant_ppl, "kld_mean": float(klds.mean()),
            "kld_p99": float(np.percentile(klds.astype(np.float32), 99.0)),
            "top1_agreement": same_top / len(klds), "n_tokens": len(klds), "n_chunks": plan.n_chunk,
            "n_ctx": plan.n_ctx, "seconds": time.monotonic() - started}


def main(stdin: IO[str] | None = None) -> int:
    """Serve one request from stdin; exit 0 with a ``result`` line, 1 with an ``error`` line."""
    stream = protocol_stream()
    emit = make_emitter(stream)
    request = json.loads((stdin or sys.stdin).readline())
    kind = request.get("kind")
    try:
        if kind == "perplexity":
            result = run_perplexity(request, emit)
        elif kind == "compare":
            result = run_compare(request, emit)
        elif kind == "imatrix":
            from slmdesk.quantize.imatrix_child import run_imatrix

            result = run_imatrix(request, emit)
        else:
            raise ChildError(f"Unknown request {kind!r}.")
    except ChildError as error:
        emit({"event": "error", "message": str(error)})
        return 1
    except OSError as error:
        emit({"event": "error", "message": f"{error.strerror or error}: {error.filename or ''}".strip(": ")})
        return 1
    emit({"event": "result", "result": result})
    return 0
