"""``slmdesk quantize``: a GGUF (or a Hugging Face folder, converted first) to another GGUF type,
and the hidden ``quantize-child`` and ``convert-hf-child`` processes it starts."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, interrupted, open_inventory, print_json
from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline


def add_commands(subparsers: Any) -> None:
    """``quantize`` and the hidden children ``quantize-child``, ``convert-hf-child``."""
    from slmdesk.quantize.types import QUANT_TYPES

    quantize = subparsers.add_parser(
        "quantize",
        help="quantize a GGUF (or a Hugging Face folder) to another type, e.g. Q4_K_M",
        description="Quantize with llama.cpp in a child process (Ctrl-C cancels; no partial file is "
        "left). SOURCE is an inventory id, a GGUF file or a Hugging Face folder (converted to an F16 "
        "GGUF first; needs the onnx-build extra). The output is added to the inventory with its "
        "lineage. Types: " + ", ".join(QUANT_TYPES) + ".",
    )
    quantize.add_argument("source", metavar="SOURCE", help="an inventory id, a GGUF file or a Hugging Face folder")
    quantize.add_argument("--type", required=True, metavar="TYPE", help="target type, e.g. Q4_K_M, Q8_0, IQ4_XS")
    imatrix = quantize.add_mutually_exclusive_group()
    imatrix.add_argument("--imatrix", type=Path, default=None, metavar="FILE",
                         help="an importance matrix (llama-imatrix GGUF); needed by IQ1_*, IQ2_XXS/XS/S, "
                         "IQ3_XXS, Q2_K_S")
    imatrix.add_argument("--calibrate", nargs="?", const="", default=None, metavar="TEXT_FILE",
                         help="compute an importance matrix first, from TEXT_FILE or the built-in text")
    quantize.add_argument("--out", type=Path, default=None, metavar="PATH",
                          help="output GGUF (default: beside the source, named after the type)")
    quantize.add_argument("--allow-requantize", action="store_true",
                          help="accept an already quantized source (quality drops further)")
    quantize.add_argument("--threads", type=int, default=0, help="quantization threads (default: all cores)")
    quantize.add_argument("--json", action="store_true",
                          help="print one JSON object: path, artifact_id, type, size_bytes, seconds")
    quantize.set_defaults(handler=_cmd_quantize)

    # Children started by slmdesk.quantize (self_command, frozen-safe); hidden like engine-host.
    child = subparsers.add_parser("quantize-child", description="internal: run llama_model_quantize")
    child.add_argument("spec")
    child.set_defaults(handler=_cmd_quantize_child)
    convert = subparsers.add_parser("convert-hf-child", description="internal: run convert_hf_to_gguf.py")
    for name in ("converter", "folder", "out", "out_type"):
        convert.add_argument(name)
    convert.set_defaults(handler=_cmd_convert_child)
    hidden = {"quantize-child", "convert-hf-child"}
    subparsers._choices_actions = [a for a in subparsers._choices_actions if a.dest not in hidden]


def _cmd_quantize_child(args: argparse.Namespace) -> int:
    from slmdesk.quantize.child import main

    return main(args.spec)


def _cmd_convert_child(args: argparse.Namespace) -> int:
    from slmdesk.quantize.convert import run_converter

    return run_converter(Path(args.converter), Path(args.folder), Path(args.out), args.out_type)


class _Display:
    """Progress on stderr: one rewritten line on a terminal, phase lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, event: Progress) -> None:
        if self.quiet:
            return
        if self.tty:
            percent = f"{event.fraction * 100:3.0f}%" if event.fraction is not None else "    "
            print(f"\r{percent} {event.message[:70]:<70}", end="", file=sys.stderr, flush=True)
            return
        phase = event.message.split("]")[-1].strip() if event.message.startswith("[") else event.message
        if not event.message.startswith("[") and phase != self.last:
            self.last = phase
            print(phase, file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.tty and not self.quiet:
            print("\r" + " " * 76 + "\r", end="", file=sys.stderr, flush=True)


def _source(target: str, inventory: Any) -> Path:
    path = Path(target).expanduser()
    if target.isdigit() and not path.exists():
        record = inventory.get_artifact(int(target))
        if record is None:
            raise UserError(f"There is no model with id {target} in the inventory.", "See the ids with `slmdesk list`.")
        path = Path(record.path)
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, a Hugging Face folder or an inventory id.")
    return path.absolute()


def _convert_first(folder: Path, out: Path | None, inventory: Any, token: CancelToken,
                   display: _Display) -> Path:
    """Convert a Hugging Face folder to an F16 GGUF (beside ``out``, else in the models folder),
    add it to the inventory with a ``convert`` lineage row; return its path."""
    from slmdesk import paths
    from slmdesk.inventory.lineage import add_lineage
    from slmdesk.inventory.scanners import add_paths
    from slmdesk.quantize.convert import convert_task, prepare_convert

    app_paths = paths.resolve().ensure()
    folder_out = out.parent if out is not None else app_paths.models
    target = folder_out / f"{folder.name}-F16.gguf"
    if target.exists():
        return target
    plan = prepare_convert(folder, target, "F16", app_paths.cache)
    run_inline(convert_task(plan), token, display)
    [record] = add_paths(inventory, [target])
    source = inventory.find_by_path(folder)
    from slmdesk.quantize.gguf_quantize import tool_versions

    add_lineage(inventory, record.id, source.id if source is not None else None, "convert",
                {"type": "F16", "source_path": str(folder), "converter": "convert_hf_to_gguf.py",
                 "tools": tool_versions()})
    return target


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _calibrate(model: Path, text: str, out: Path, token: CancelToken, display: _Display) -> Path:
    try:
        from slmdesk.quantize.imatrix import compute_imatrix_task  # type: ignore[import-not-found,unused-ignore]
    except ImportError as error:
        raise UserError("Computing an importance matrix is not available in this version.",
                        "Pass one with --imatrix FILE.") from error
    result: Path = run_inline(compute_imatrix_task(model, Path(text) if text else None, out), token, display)
    return result


def _cmd_quantize(args: argparse.Namespace) -> int:
    from slmdesk.core.units import format_bytes
    from slmdesk.quantize.convert import is_hf_folder
    from slmdesk.quantize.gguf_quantize import default_output, prepare, quantize_task
    from slmdesk.quantize.types import quant_type

    display = _Display(quiet=args.json)
    token = CancelToken()
    try:
        if quant_type(args.type) is None:
            prepare(Path(args.source), args.type)  # raises the "unknown type" error with the list
        with open_inventory() as inventory:
            source = _source(args.source, inventory)
            if source.is_dir():
                if not is_hf_folder(source):
                    raise UserError(f"{source} is neither a GGUF file nor a Hugging Face model folder.",
                                    "Pass a GGUF file, a Hugging Face folder or an inventory id.")
                source = _convert_first(source, args.out, inventory, token, display)
            imatrix, calibration = args.imatrix, None
            if args.calibrate is not None:
                name = quant_type(args.type)
                out = args.out or default_output(source, name.name if name else args.type)
                imatrix = out.with_name(f"{out.stem}.imatrix.gguf")
                if args.calibrate:
                    calibration = _file_sha256(Path(args.calibrate))
                imatrix = _calibrate(source, args.calibrate, imatrix, token, display)
            plan = prepare(source, args.type, args.out, imatrix=imatrix, calibration_sha256=calibration,
                           allow_requantize=args.allow_requantize, nthread=args.threads)
            for warning in plan.warnings:
                print(f"slmdesk: warning: {warning}", file=sys.stderr)
            result = run_inline(quantize_task(plan, inventory), token, display)
    except UserError as error:
        display.end()
        return fail(error)
    except (KeyboardInterrupt, Cancelled):
        token.cancel()
        display.end()
        return interrupted()
    display.end()
    if args.json:
        print_json(result.to_json())
        return 0
    off = (result.size_bytes - result.predicted_bytes) / result.predicted_bytes * 100 if result.predicted_bytes else 0
    print(f"{result.path}\n{result.type}, {format_bytes(result.size_bytes)} (predicted "
          f"{format_bytes(result.predicted_bytes)}, {off:+.1f}%), quantized in {result.seconds:.1f} s; "
          f"inventory id {result.artifact_id}.")
    return 0

