"""Benchmark results as CSV, JSON and Markdown (pure functions; the pane and tests write files).

Local runs (:class:`BenchResult`) and serving runs (:class:`~slmdesk.bench.serving.ServingRun`)
share the CSV writer, the Markdown table and the file writing; each kind has its own columns.
Missing figures are empty CSV cells, JSON ``null`` and "not available" in Markdown, never 0.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from slmdesk.bench.results import BenchResult
from slmdesk.bench.serving import ServingRun
from slmdesk.bench.serving_stats import Distribution
from slmdesk.bench.stats import format_stat
from slmdesk.core.errors import UserError
from slmdesk.core.files import write_text_atomic
from slmdesk.core.units import format_bytes

CSV_COLUMNS = (
    "run_id",
    "created_at",
    "model_name",
    "quantization",
    "model_format",
    "backend",
    "backend_version",
    "n_threads",
    "n_ctx",
    "n_batch",
    "n_ubatch",
    "flash_attn",
    "kv_type",
    "n_gpu_layers",
    "n_prompt",
    "n_gen",
    "n_depth",
    "repetitions",
    "pp_tokens_per_s",
    "pp_stdev",
    "tg_tokens_per_s",
    "tg_stdev",
    "ttft_s",
    "ttft_stdev_s",
    "load_s",
    "peak_rss_bytes",
    "energy_j_per_token",
    "fit_tg_tokens_per_s_bound",
    "model_sha256",
    "model_path",
    "cpu",
)
"""CSV header, in order: one row per result; rates in tokens/s, times in seconds, bytes."""

FORMATS = ("csv", "json", "md")


def _row(result: BenchResult) -> dict[str, Any]:
    s = result.settings
    return {
        "run_id": result.id,
        "created_at": result.created_at.isoformat(),
        "model_name": result.model_name,
        "quantization": result.quantization,
        "model_format": result.model_format,
        "backend": result.backend,
        "backend_version": result.backend_version,
        "n_threads": result.n_threads,
        "n_ctx": result.n_ctx,
        "n_batch": result.n_batch,
        "n_ubatch": result.n_ubatch,
        "flash_attn": result.flash_attn,
        "kv_type": s.kv_type,
        "n_gpu_layers": s.n_gpu_layers,
        "n_prompt": s.n_prompt,
        "n_gen": s.n_gen,
        "n_depth": s.n_depth,
        "repetitions": s.repetitions,
        "pp_tokens_per_s": result.pp.mean if result.pp else None,
        "pp_stdev": result.pp.stdev if result.pp else None,
        "tg_tokens_per_s": result.tg.mean if result.tg else None,
        "tg_stdev": result.tg.stdev if result.tg else None,
        "ttft_s": result.ttft.mean if result.ttft else None,
        "ttft_stdev_s": result.ttft.stdev if result.ttft else None,
        "load_s": result.load_s,
        "peak_rss_bytes": result.peak_rss_bytes,
        "energy_j_per_token": result.energy_j_per_token,
        "fit_tg_tokens_per_s_bound": result.fit_tg_bound,
        "model_sha256": result.model_sha256,
        "model_path": result.model_path,
        "cpu": result.hardware_name,
    }


def _csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of ``rows`` under ``columns``; None becomes an empty cell, floats keep full precision."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()


def to_csv(results: Sequence[BenchResult]) -> str:
    """CSV text with :data:`CSV_COLUMNS`; None becomes an empty cell. Floats keep full
    precision (``repr``), so a file read back gives the same numbers."""
    return _csv(CSV_COLUMNS, (_row(result) for result in results))


def to_json(results: Sequence[BenchResult]) -> str:
    """A JSON array of ``BenchResult.to_json()`` objects (the ``slmdesk bench --json`` shape)."""
    return json.dumps([r.to_json() for r in results], indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results: Sequence[BenchResult]) -> str:
    """A Markdown table in llama-bench's style (``t/s`` as mean ± stdev), one row per result,
    followed by the hardware the runs used."""
    header = ("model", "quant", "backend", "threads", "test", "pp t/s", "tg t/s", "TTFT s", "load s",
              "peak memory", "energy J/token", "fit tg bound t/s")
    rows = []
    for r in results:
        rows.append((
            r.model_name,
            r.quantization or "–",
            f"{r.backend} {r.backend_version}",
            str(r.n_threads),
            r.settings.test_label,
            format_stat(r.pp, 2),
            format_stat(r.tg, 2),
            format_stat(r.ttft, 3),
            f"{r.load_s:.2f}",
            format_bytes(r.peak_rss_bytes),
            "not available" if r.energy_j_per_token is None else f"{r.energy_j_per_token:.4f}",
            "–" if r.fit_tg_bound is None else f"{r.fit_tg_bound:.1f}",
        ))
    lines = _md_table(header, rows)
    machines = sorted({r.hardware_name for r in results})
    if machines:
        lines.append("")
        lines.append("Hardware: " + "; ".join(machines) + ".")
    return "\n".join(lines) + "\n"


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a Markdown table (cells escaped)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in cells) + " |" for cells in rows]
    return lines


# -- serving runs ------------------------------------------------------------------------------

SERVING_FIGURES = ("ttft", "tpot", "itl", "e2el")
"""The latency figures of a serving run, each exported as mean, median, p95, p99 (seconds)."""

SERVING_CSV_COLUMNS = (
    "run_id", "created_at", "url", "model", "endpoint", "concurrency", "request_rate", "num_requests",
    "input_len", "output_len", "dataset", "completed", "failed", "duration_s", "total_input_tokens",
    "total_output_tokens", "request_throughput", "output_throughput", "total_token_throughput",
    *(f"{figure}_{stat}_s" for figure in SERVING_FIGURES for stat in ("mean", "median", "p95", "p99")),
    "errors",
)
"""CSV header of serving runs: one row per run (concurrency level); rates per second, times in seconds."""


def _serving_row(run: ServingRun) -> dict[str, Any]:
    m, s = run.metrics, run.settings
    row: dict[str, Any] = {
        "run_id": run.id, "created_at": run.created_at.isoformat(), "url": s.base_url, "model": s.model,
        "endpoint": s.endpoint, "concurrency": run.concurrency, "request_rate": s.rate_label,
        "num_requests": s.num_requests, "input_len": None if s.dataset else s.input_len, "output_len": s.output_len,
        "dataset": s.dataset or None, "completed": m.completed, "failed": m.failed, "duration_s": m.duration_s,
        "total_input_tokens": m.total_input, "total_output_tokens": m.total_output,
        "request_throughput": m.request_throughput, "output_throughput": m.output_throughput,
        "total_token_throughput": m.total_token_throughput, "errors": " | ".join(m.errors) or None,
    }
    for figure in SERVING_FIGURES:
        dist: Distribution | None = getattr(m, figure)
        for stat in ("mean", "median", "p95", "p99"):
            row[f"{figure}_{stat}_s"] = getattr(dist, stat) if dist else None
    return row


def serving_to_csv(runs: Sequence[ServingRun]) -> str:
    """CSV text with :data:`SERVING_CSV_COLUMNS`."""
    return _csv(SERVING_CSV_COLUMNS, (_serving_row(run) for run in runs))


def serving_to_json(runs: Sequence[ServingRun]) -> str:
    """A JSON array of ``ServingRun.to_json()`` objects (the ``slmdesk serve-bench --json`` shape)."""
    return json.dumps([run.to_json() for run in runs], indent=2, ensure_ascii=False) + "\n"


def _ms(dist: Distribution | None, stat: str) -> str:
    return "–" if dist is None else f"{getattr(dist, stat) * 1000:.1f}"


def serving_to_markdown(runs: Sequence[ServingRun]) -> str:
    """A Markdown table in vLLM's units (ms for latencies), one row per run, then the endpoints."""
    header = ("model", "concurrency", "rate", "ok / failed", "req/s", "output tok/s", "total tok/s",
              "TTFT p50 / p99 ms", "TPOT p50 / p99 ms", "ITL p50 / p99 ms", "E2E p50 / p99 ms")
    rows = []
    for run in runs:
        m = run.metrics
        rows.append((
            run.settings.model, str(run.concurrency), run.settings.rate_label, f"{m.completed} / {m.failed}",
            f"{m.request_throughput:.2f}", f"{m.output_throughput:.1f}", f"{m.total_token_throughput:.1f}",
            *(f"{_ms(getattr(m, f), 'p50')} / {_ms(getattr(m, f), 'p99')}" for f in SERVING_FIGURES),
        ))
    lines = _md_table(header, rows)
    endpoints = sorted({f"{r.settings.base_url} ({r.settings.endpoint}, {r.settings.lengths_label})" for r in runs})
    if endpoints:
        lines += ["", "Endpoint: " + "; ".join(endpoints) + "."]
    errors = sorted({e for r in runs for e in r.metrics.errors})
    if errors:
        lines += ["", "Errors: " + "; ".join(_cell(e) for e in errors) + "."]
    return "\n".join(lines) + "\n"


def _is_serving(results: Sequence[BenchResult] | Sequence[ServingRun]) -> bool:
    return bool(results) and all(isinstance(r, ServingRun) for r in results)


def render(results: Sequence[BenchResult] | Sequence[ServingRun], fmt: str) -> str:
    """The export text in ``fmt`` ("csv", "json" or "md") of local or serving runs.

    Raises:
        ValueError: an unknown format.
    """
    if _is_serving(results):
        serving_runs: list[ServingRun] = [r for r in results if isinstance(r, ServingRun)]
        renderers = {"csv": serving_to_csv, "json": serving_to_json, "md": serving_to_markdown}
        if fmt in renderers:
            return renderers[fmt](serving_runs)
        raise ValueError(f"unknown export format {fmt!r}")
    local = [r for r in results if isinstance(r, BenchResult)]
    if fmt == "csv":
        return to_csv(local)
    if fmt == "json":
        return to_json(local)
    if fmt == "md":
        return to_markdown(local)
    raise ValueError(f"unknown export format {fmt!r}")


def format_for(path: Path) -> str:
    """The export format a file name asks for (``.csv``, ``.json``, ``.md``/``.markdown``).

    Raises:
        UserError: another suffix.
    """
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "markdown":
        suffix = "md"
    if suffix not in FORMATS:
        raise UserError(f"Cannot export to {path.name}: unknown file type.", "Use a .csv, .json or .md file name.")
    return suffix


def write_export(path: Path, results: Sequence[BenchResult] | Sequence[ServingRun], fmt: str | None = None) -> Path:
    """Write ``results`` to ``path`` (format from the suffix unless ``fmt`` is given), through a
    temporary file renamed into place. Returns ``path``.

    Raises:
        UserError: unknown format, or the file cannot be written.
    """
    text = render(results, fmt or format_for(path))
    try:
        write_text_atomic(path, text, newline="")
    except OSError as error:
        raise UserError(f"Cannot write {path}: {error.strerror}.", "Choose another folder.") from error
    return path
