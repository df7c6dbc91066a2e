"""``slmdesk scan``, ``list`` and ``show``: the inventory from the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, open_inventory, print_json
from slmdesk.core.errors import UserError
from slmdesk.core.units import format_params

EXIT_UNREADABLE = 3
"""``slmdesk scan``'s exit status when the scan was saved but some files could not be read:
distinct from 1 (nothing was done) so that a script can tell the two apart."""


def add_commands(subparsers: Any) -> None:
    """``scan``, ``list`` and ``show``: the inventory at ``paths.resolve().database``."""
    scan = subparsers.add_parser(
        "scan",
        help="adopt models from files or folders (HF cache, Ollama, LM Studio, GPT4All, any folder)",
        description="Add the models in PATH... to the inventory, by reference (nothing is copied). "
        "Known artifacts whose files are gone are marked missing. Files that cannot be read are "
        "recorded as corrupt or incomplete and listed with the reason on stderr (in --json: "
        "summary.failures).",
        epilog="exit status: 0 every model found was read; 1 the scan could not run (nothing was "
        f"saved); 2 bad arguments; {EXIT_UNREADABLE} the scan was saved, but some files could not be "
        "read (they are listed with the reason).",
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="a model file or folder, or a folder to search")
    scan.add_argument("--json", action="store_true", help="print JSON instead of a table")
    scan.set_defaults(handler=_cmd_scan)

    listing = subparsers.add_parser("list", help="list the models in the inventory")
    listing.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    listing.set_defaults(handler=_cmd_list)

    show = subparsers.add_parser(
        "show",
        help="show one model's header facts (an inventory id, or any model file)",
        description="Show an inventory entry by id, or read a model file or folder directly "
        "(its id is null when it is not in the inventory).",
    )
    show.add_argument("target", metavar="ID|PATH")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    show.set_defaults(handler=_cmd_show)




def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(records: Sequence[Any]) -> str:
    from slmdesk.core.units import format_bytes

    header = ("ID", "STATUS", "FORMAT", "ARCH", "QUANT", "PARAMS", "CTX", "SIZE", "NAME", "SOURCE", "PATH")
    rows = [
        (
            str(r.id),
            r.status,
            r.format,
            r.architecture or "-",
            r.quantization or "-",
            format_params(r.n_params),
            str(r.context_length) if r.context_length else "-",
            format_bytes(r.size_bytes),
            _clip(r.display_name, 32),
            r.source_detail.get("name") or r.source_detail.get("repo_id") or r.source_kind,
            str(r.path),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    return "\n".join(line.rstrip() for line in lines)


def _cmd_scan(args: argparse.Namespace) -> int:
    from slmdesk.core.tasks import run_inline
    from slmdesk.inventory.scanners import scan_task

    try:
        with open_inventory() as inventory:
            summary = run_inline(scan_task(inventory, [Path(p) for p in args.paths]))
            records = inventory.get_artifacts(summary.artifact_ids)
    except UserError as error:
        return fail(error)
    for warning in summary.warnings:
        print(f"slmdesk: warning: {warning}", file=sys.stderr)
    _print_failures(summary.failures)
    status = EXIT_UNREADABLE if summary.failures else 0
    if args.json:
        print_json({"summary": summary.to_json(), "artifacts": [r.to_json() for r in records]})
        return status
    if records:
        print(_table(records))
    print(
        f"{len(records)} found: {summary.added} new, {summary.updated} updated, {summary.moved} moved, "
        f"{summary.unchanged} unchanged, {summary.corrupt} unreadable; "
        f"{summary.missing} newly missing, {summary.incomplete} incomplete."
    )
    return status


def _print_failures(failures: Sequence[Any]) -> None:
    """On stderr: each unreadable file with the reader's message and hint (the words ``slmdesk
    show PATH`` prints), as ``slmdesk: error: PATH: status: message`` and the hint indented."""
    if not failures:
        return
    count = f"{len(failures)} file{'s' if len(failures) > 1 else ''}"
    print(f"slmdesk: error: {count} could not be read (recorded in the inventory):", file=sys.stderr)
    for failure in failures:
        print(f"  {failure.path}: {failure.status}: {failure.message}", file=sys.stderr)
        if failure.hint:
            print(f"    {failure.hint}", file=sys.stderr)


def _cmd_list(args: argparse.Namespace) -> int:
    try:
        with open_inventory() as inventory:
            records = inventory.list_artifacts()
    except UserError as error:
        return fail(error)
    if args.json:
        print_json([r.to_json() for r in records])
    elif records:
        print(_table(records))
    else:
        print("The inventory is empty: add models with `slmdesk scan PATH`.")
    return 0


def _spec_json(spec: Any) -> dict[str, Any]:
    """A file read directly (not in the inventory), with the inventory's JSON field names."""
    return {
        "id": None,
        "path": str(spec.path),
        "format": spec.format,
        "architecture": spec.architecture,
        "quantization": spec.quantization,
        "size_bytes": spec.file_bytes,
        "n_params": spec.n_params,
        "context_length": spec.context_length,
        "n_layer": spec.n_layer,
        "n_head": spec.n_head_max,
        "n_head_kv": spec.n_head_kv_max,
        "n_embd": spec.n_embd,
        "n_vocab": spec.n_vocab,
        "sliding_window": spec.sliding_window,
        "chat_template": spec.chat_template,
        "sha256": None,
        "status": "ok",
        "error": None,
        "error_hint": None,
        "source": None,
    }


def _cmd_show(args: argparse.Namespace) -> int:
    from slmdesk.core.units import format_bytes
    from slmdesk.formats.detect import read_spec

    target: str = args.target
    try:
        with open_inventory() as inventory:
            if target.isdigit() and not Path(target).exists():
                record = inventory.get_artifact(int(target))
                if record is None:
                    raise UserError(
                        f"There is no model with id {target} in the inventory.",
                        "See the ids with `slmdesk list`.",
                    )
            else:
                record = inventory.find_by_path(target)
        if record is not None:
            data = record.to_json()
            files = [str(f) for f in record.files]
            error, hint = record.error, record.error_hint
        else:
            path = Path(target).expanduser()
            if not path.exists():
                raise UserError(f"{path} does not exist.", "Pass a model file or folder, or an inventory id.")
            spec = read_spec(path.absolute())
            data, files, error, hint = _spec_json(spec), [str(f) for f in spec.files], None, None
    except UserError as error_:
        return fail(error_)
    if args.json:
        print_json(data)
        return 0
    labels = {
        "size_bytes": ("size", lambda v: f"{format_bytes(v)} ({v:,} bytes)"),
        "n_params": ("parameters", lambda v: f"{format_params(v)} ({v:,})"),
    }
    for key, value in data.items():
        if key in ("chat_template", "source", "error", "error_hint"):
            continue
        label, render = labels.get(key, (key, str))
        print(f"{label:>15}: {'-' if value is None else render(value)}")
    if data["source"]:
        detail = ", ".join(f"{k}={v}" for k, v in data["source"].items() if k != "kind")
        print(f"{'source':>15}: {data['source']['kind']}" + (f" ({detail})" if detail else ""))
    template = data["chat_template"]
    print(f"{'chat_template':>15}: " + ("-" if not template else f"{len(template):,} characters"))
    if error:
        print(f"{'error':>15}: {error}")
    if hint:
        print(f"{'what to do':>15}: {hint}")
    if len(files) > 1:
        print(f"{'files':>15}:")
        for f in files:
            print(f"{'':>17}{f}")
    return 0
