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


def add_commands(subparsers: Any) -> None:
    """``scan``, ``list`` and ``show``: the inventory at ``paths.resolve().database``."""
    scan = subparsers.add_parser(
        "scan",
        help="adopt models from files or folders (HF cache, Ollama, LM Studio, GPT4All, any folder)",
        description="Add the models in PATH... to the inventory, by reference (nothing is copied). "
        "Known artifacts whose files are gone are marked missing.",
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
    if args.json:
        print_json({"summary": summary.to_json(), "artifacts": [r.to_json() for r in records]})
        return 0
    if records:
        print(_table(records))
    print(
        f"{len(records)} found: {summary.added} new, {summary.updated} updated, {summary.moved} moved, "
        f"{summary.unchanged} unchanged, {summary.corrupt} unreadable; "
        f"{summary.missing} newly missing, {summary.incomplete} incomplete."
    )
    return 0


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
            error = record.error
        else:
            path = Path(target).expanduser()
            if not path.exists():
                raise UserError(f"{path} does not exist.", "Pass a model file or folder, or an inventory id.")
            spec = read_spec(path.absolute())
            data, files, error = _spec_json(spec), [str(f) for f in spec.files], None
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
        if key in ("chat_template", "source"):
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
    if len(files) > 1:
        print(f"{'files':>15}:")
        for f in files:
            print(f"{'':>17}{f}")
    return 0
