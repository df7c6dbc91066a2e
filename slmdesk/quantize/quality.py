"""Quality check of GGUF variants: perplexity on a held-out text, and KL-divergence and top-1
agreement of a variant against its source, computed as ``llama-perplexity`` computes them,
each in a child process with progress and cancel; results exported as CSV, JSON or Markdown.

The numbers follow ``tools/perplexity/perplexity.cpp`` of the llama.cpp that llama-cpp-python
0.3.36 vendors (the child, :mod:`slmdesk.quantize.quality_child`, lists every rule), so that a
perplexity here is the one ``llama-perplexity -f TEXT -c N -b B`` prints for the same file
(checked within 1% by ``tests/e2e/test_quality_reference.py``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import queue
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress

EVALUATION_TEXT = ("calibration", "evaluation.txt")
"""The shipped held-out evaluation text (``resources/calibration/README.md``)."""

CHILD_COMMAND = "quality-child"
"""The hidden subcommand that runs a request (``slmdesk.cli.quality``)."""

STOP_GRACE_S = 3.0
"""How long a cancelled child may take to end after SIGTERM before it is killed."""


@dataclass(frozen=True)
class PerplexityResult:
    """Perplexity of one model on one text.

    Attributes:
        perplexity: ``exp(mean negative log-likelihood)`` over the scored tokens.
        ppl_stderr: its uncertainty as llama-perplexity prints it (``PPL = x +/- stderr``).
        n_tokens: tokens scored (``n_chunks * (n_ctx - 1 - n_ctx // 2)``).
        n_chunks: chunks of ``n_ctx`` tokens evaluated.
        n_ctx: tokens per chunk.
        seconds: wall time of the child, loading included.
    """

    perplexity: float
    ppl_stderr: float
    n_tokens: int
    n_chunks: int
    n_ctx: int
    seconds: float


@dataclass(frozen=True)
class ComparisonResult:
    """A variant against its source model on one text (llama-perplexity ``--kl-divergence``).

    Attributes:
        base_ppl: perplexity of the source.
        variant_ppl: perplexity of the variant.
        kld_mean: mean KL(source || variant) per scored token, in nats ("Mean KLD").
        kld_p99: 99th percentile of the per-token KLD ("99.0% KLD").
        top1_agreement: share (0-1) of scored tokens whose most likely next token is the same
            in both ("Same top p").
        n_tokens: tokens scored.
        n_chunks: chunks evaluated.
        n_ctx: tokens per chunk.
        seconds: wall time of the child.
    """

    base_ppl: float
    variant_ppl: float
    kld_mean: float
    kld_p99: float
    top1_agreement: float
    n_tokens: int
    n_chunks: int = 0
    n_ctx: int = 0
    seconds: float = 0.0


def evaluation_text() -> Path:
    """The held-out evaluation text shipped with slmdesk."""
    from slmdesk.core.resources import resource_path

    return resource_path(*EVALUATION_TEXT)


# -- the child process -----------------------------------------------------------------------------

def child_argv() -> list[str]:
    """The command that starts the quality child from this program (source or frozen)."""
    from slmdesk.core.process import self_command

    return self_command(CHILD_COMMAND)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ask (SIGTERM), wait, then kill."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _pump(stream: IO[bytes], sink: queue.Queue[bytes | None]) -> None:
    for line in iter(stream.readline, b""):
        sink.put(line)
    sink.put(None)


def _tail(stream: IO[bytes], keep: deque[str]) -> None:
    for line in iter(stream.readline, b""):
        keep.append(line.decode("utf-8", errors="replace").rstrip())


def child_task(request: Mapping[str, Any], title: str,
               argv: Sequence[str] | None = None) -> Callable[[CancelToken], Generator[Progress, None, dict[str, Any]]]:
    """A task that runs ``request`` in the quality child and returns its result object.

    Progress events carry ``done/total`` chunks as the fraction. Cancel terminates the child
    (then kills it after :data:`STOP_GRACE_S`) and raises ``Cancelled``.

    Raises (from the task):
        UserError: the child reported an error, or ended without a result (the message says
            how it ended and quotes the end of its log).
        Cancelled: the token was cancelled.
    """
    from slmdesk.engine.process import describe_exit

    def task(token: CancelToken) -> Generator[Progress, None, dict[str, Any]]:
        token.raise_if_cancelled()
        yield Progress(fraction=None, message=f"{title}: starting")
        try:
            process = subprocess.Popen(list(argv or child_argv()), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        except OSError as failure:
            raise UserError(f"{title}: the worker process could not start ({failure}).") from failure
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        lines: queue.Queue[bytes | None] = queue.Queue()
        log: deque[str] = deque(maxlen=20)
        readers = [threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True),
                   threading.Thread(target=_tail, args=(process.stderr, log), daemon=True)]
        for reader in readers:
            reader.start()
        result: dict[str, Any] | None = None
        error: str | None = None
        try:
            process.stdin.write((json.dumps(dict(request)) + "\n").encode())
            process.stdin.close()
            while True:
                if token.cancelled:
                    _stop(process)
                    raise Cancelled("cancelled")
                try:
                    raw = lines.get(timeout=0.1)
                except queue.Empty:
                    continue
                if raw is None:
                    break
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue  # not ours: native code that wrote to the protocol stream
                kind = event.get("event")
                if kind == "progress":
                    total = int(event.get("total") or 0)
                    fraction = min(1.0, int(event.get("done", 0)) / total) if total else None
                    yield Progress(fraction=fraction, message=f"{title}: {event.get('message', '')}".rstrip(": "))
                elif kind == "result":
                    result = event.get("result")
                elif kind == "error":
                    error = str(event.get("message", "failed"))
            process.wait()
        except BrokenPipeError:
            process.wait()
        finally:
            _stop(process)
            for reader in readers:
                reader.join(timeout=1.0)
            for pipe in (process.stdin, process.stdout, process.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
        if error is not None:
            raise UserError(f"{title}: {error}")
        if result is None:
            detail = "; ".join(line for line in list(log)[-3:] if line)
            raise UserError(f"{title}: the worker process stopped ({describe_exit(process.returncode)})"
                            + (f": {detail}" if detail else "."))
        return result

    return task


# -- public tasks ----------------------------------------------------------------------------------

def _check_model(path: Path) -> None:
    if not path.is_file():
        raise UserError(f"{path} is not a file.", "Pass a GGUF model file.")


def perplexity_task(model: Path, text: Path | None, n_ctx: int = 512,
                    n_batch: int | None = None) -> Callable[[CancelToken], Generator[Progress, None, PerplexityResult]]:
    """A task measuring the perplexity of the GGUF ``model`` on ``text`` (None: the shipped
    evaluation text) in chunks of ``n_ctx`` tokens, ``n_batch`` tokens per batch (None:
    2048, llama-perplexity's default). Returns a :class:`PerplexityResult`.

    Raises (from the task): UserError (missing file, text shorter than ``2 * n_ctx`` tokens,
    load failure, the child stopped), Cancelled.
    """
    source = text or evaluation_text()

    def task(token: CancelToken) -> Generator[Progress, None, PerplexityResult]:
        _check_model(model)
        request = {"kind": "perplexity", "model": str(model), "text": str(source), "n_ctx": n_ctx,
                   "n_batch": n_batch}
        raw = yield from child_task(request, f"Perplexity of {model.name}")(token)
        return PerplexityResult(**{name: raw[name] for name in PerplexityResult.__dataclass_fields__})

    return task


def compare_task(base: Path, variant: Path, text: Path | None,
                 n_ctx: int = 512) -> Callable[[CancelToken], Generator[Progress, None, ComparisonResult]]:
    """A task comparing ``variant`` with ``base`` (two GGUF files of one model) on ``text``
    (None: the shipped evaluation text): both perplexities, the mean and 99th-percentile
    KL-divergence and the top-1 agreement. Returns a :class:`ComparisonResult`.

    Raises (from the task): UserError (as :func:`perplexity_task`, or different
    vocabularies), Cancelled.
    """
    source = text or evaluation_text()

    def task(token: CancelToken) -> Generator[Progress, None, ComparisonResult]:
        _check_model(base)
        _check_model(variant)
        request = {"kind": "compare", "base": str(base), "variant": str(variant), "text": str(source),
                   "n_ctx": n_ctx}
        raw = yield from child_task(request, f"{variant.name} against {base.name}")(token)
        return ComparisonResult(**{name: raw[name] for name in ComparisonResult.__dataclass_fields__})

    return task


# -- export ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VariantRow:
    """One row of a variants table.

    Attributes:
        name: the variant ("Q4_K_M", a file name).
        size_bytes: file size in bytes.
        perplexity: on the evaluation text (None when not measured).
        kld_mean: mean KLD against the source (None for the source itself or not measured).
        top1_agreement: 0-1 (None as for ``kld_mean``).
        pp_tps: prompt processing speed, tokens/s (None when not measured).
        tg_tps: token generation speed, tokens/s (None when not measured).
    """

    name: str
    size_bytes: int
    perplexity: float | None = None
    kld_mean: float | None = None
    top1_agreement: float | None = None
    pp_tps: float | None = None
    tg_tps: float | None = None


def _row_dicts(rows: Sequence[VariantRow]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]


def to_json(rows: Sequence[VariantRow]) -> str:
    """The rows as a JSON array of objects (field names of :class:`VariantRow`)."""
    return json.dumps(_row_dicts(rows), indent=2)


def to_csv(rows: Sequence[VariantRow]) -> str:
    """The rows as CSV with a header (empty cells for values not measured)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(VariantRow.__dataclass_fields__), lineterminator="\n")
    writer.writeheader()
    for row in _row_dicts(rows):
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    return out.getvalue()


def to_markdown(rows: Sequence[VariantRow]) -> str:
    """The rows as a Markdown table: size in MiB, perplexity, KLD, top-1 %, pp and tg t/s."""
    def num(value: float | None, digits: int) -> str:
        return "" if value is None else f"{value:.{digits}f}"

    lines = ["| variant | size (MiB) | perplexity | KLD | top-1 (%) | pp (t/s) | tg (t/s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        top1 = None if row.top1_agreement is None else 100 * row.top1_agreement
        lines.append(f"| {row.name} | {row.size_bytes / 2**20:.1f} | {num(row.perplexity, 4)} | "
                     f"{num(row.kld_mean, 5)} | {num(top1, 2)} | {num(row.pp_tps, 1)} | {num(row.tg_tps, 1)} |")
    return "\n".join(lines) + "\n"
