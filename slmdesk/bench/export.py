"""Benchmark results as CSV, JSON and Markdown (pure functions; the pane and tests write files).

Missing figures are empty CSV cells, JSON ``null`` and "not available" in Markdown, never 0.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slmdesk.bench.results import BenchResult
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


def to_csv(results: Sequence[BenchResult]) -> str:
    """CSV text with :data:`CSV_COLUMNS`; None becomes an empty cell. Floats keep full
    precision (``repr``), so a file read back gives the same numbers."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerow({k: ("" if v is None else v) for k, v in _row(result).items()})
    return buffer.getvalue()


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
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for r in results:
        cells = (
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
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    machines = sorted({r.hardware_name for r in results})
    if machines:
        lines.append("")
        lines.append("Hardware: " + "; ".join(machines) + ".")
    return "\n".join(lines) + "\n"


def render(results: Sequence[BenchResult], fmt: str) -> str:
    """The export text in ``fmt`` ("csv", "json" or "md").

    Raises:
        ValueError: an unknown format.
    """
    if fmt == "csv":
        return to_csv(results)
    if fmt == "json":
        return to_json(results)
    if fmt == "md":
        return to_markdown(results)
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


def write_export(path: Path, results: Sequence[BenchResult], fmt: str | None = None) -> Path:
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
