"""``slmdesk onnx-build``: build an ONNX Runtime GenAI model from a GGUF file or a Hugging Face
folder, and the hidden ``onnx-build-child`` that runs one build step in a child process."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, interrupted, open_inventory, print_json
from slmdesk.core.errors import Cancelled, UserError


def add_commands(subparsers: Any) -> None:
    """``onnx-build`` and the hidden ``onnx-build-child``."""
    build = subparsers.add_parser(
        "onnx-build",
        help="build an ONNX Runtime GenAI model (int4/fp32) from a GGUF file or a Hugging Face folder",
        description="Convert a model to an ONNX Runtime GenAI folder with onnxruntime-genai's model builder, "
        "in a child process, offline. A GGUF source is first dequantized into a Hugging Face folder "
        "(transformers). The folder appears only once it loads, and joins the inventory with its "
        "provenance. Needs the onnx-build extra: pip install \"slmdesk[onnx-build]\".",
        epilog="exit status: 0 built; 1 the extra is missing or the build failed; 2 bad arguments; "
        "130 interrupted (nothing is left behind).",
    )
    build.add_argument("source", metavar="ID|GGUF|HF_FOLDER",
                       help="an inventory id, a GGUF file or a Hugging Face model folder")
    build.add_argument("--precision", "-p", default="int4", choices=("int4", "fp16", "fp32"),
                       help="weight precision (default int4; fp16 needs --provider cuda or dml)")
    build.add_argument("--provider", "-e", default="cpu", choices=("cpu", "cuda", "dml"),
                       help="execution provider the model is built for (default cpu)")
    build.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="the folder to create "
                       "(default: slmdesk's models folder, onnx/<name>-<precision>-<provider>)")
    build.add_argument("--overwrite", action="store_true", help="replace DIR if it exists (once the new one loads)")
    build.add_argument("--no-inventory", action="store_true", help="do not add the result to the inventory")
    build.add_argument("--json", action="store_true",
                       help="print one JSON object: path, artifact_id, precision, size_bytes, seconds")
    build.set_defaults(handler=_cmd_onnx_build)

    # The build step child (slmdesk.quantize.onnx_build.child_command), hidden like engine-host.
    child = subparsers.add_parser("onnx-build-child", description="internal: run one ONNX build step")
    child.add_argument("spec", help="the step as a JSON object")
    child.set_defaults(handler=_cmd_child)
    subparsers._choices_actions = [a for a in subparsers._choices_actions if a.dest != "onnx-build-child"]


def _resolve_source(source: str, inventory: Any) -> tuple[Path, int | None]:
    """``(path, inventory artifact id or None)`` of an id or a path."""
    path = Path(source).expanduser()
    if source.isdigit() and not path.exists():
        record = inventory.get_artifact(int(source))
        if record is None:
            raise UserError(f"There is no model with id {source} in the inventory.", "See the ids with `slmdesk list`.")
        return Path(record.path), record.id
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass an inventory id, a GGUF file or a Hugging Face folder.")
    record = inventory.find_by_path(path.absolute())
    return path.absolute(), (record.id if record is not None else None)


def _cmd_onnx_build(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.core.tasks import Progress, run_inline
    from slmdesk.quantize import onnx_build

    interactive = sys.stderr.isatty()
    last: dict[str, Any] = {"step": "", "fraction": -1.0}

    def show(event: Progress) -> None:
        percent = f"{event.fraction * 100:3.0f}%" if event.fraction is not None else "    "
        if interactive:
            print(f"\r{percent} {event.message[:70]:<70}", end="", file=sys.stderr, flush=True)
            return
        # A log, not a redrawn line: a line per step, and within a step per 5% at most.
        step = re.sub(r"\s*\(?\d+(/| of )\d+\)?$", "", event.message)
        fraction = event.fraction if event.fraction is not None else last["fraction"]
        if step != last["step"] or fraction - last["fraction"] >= 0.05:
            last.update(step=step, fraction=fraction)
            print(f"{percent} {event.message}", file=sys.stderr, flush=True)

    app_paths = paths.resolve()
    try:
        with open_inventory() as inventory:
            source, artifact_id = _resolve_source(args.source, inventory)
            plan = onnx_build.prepare(source, args.precision, args.out, models_dir=app_paths.models,
                                      execution_provider=args.provider, overwrite=args.overwrite,
                                      source_artifact_id=artifact_id)
            if not args.json:
                print(f"Building {plan.output} ({plan.precision}, {plan.execution_provider}) from {plan.source}",
                      file=sys.stderr)
            folder = run_inline(onnx_build.build_task(plan), on_progress=show)
            if interactive:
                print(file=sys.stderr)
            record = None if args.no_inventory else onnx_build.register_build(inventory, folder, plan)
    except UserError as error:
        if interactive:
            print(file=sys.stderr)
        return fail(error)
    except (KeyboardInterrupt, Cancelled):
        return interrupted()
    build = onnx_build.read_build_record(folder)
    data: dict[str, Any] = {
        "path": str(folder),
        "artifact_id": record.id if record is not None else None,
        "precision": plan.precision,
        "execution_provider": plan.execution_provider,
        "size_bytes": build.size_bytes if build is not None else onnx_build.folder_bytes(folder),
        "seconds": build.seconds if build is not None else None,
        "source": str(plan.source),
        "source_artifact_id": plan.source_artifact_id,
        "builder_version": build.builder_version if build is not None else onnx_build.builder_version(),
    }
    if args.json:
        print_json(data)
        return 0
    from slmdesk.core.units import format_bytes

    print(f"Built {folder} ({format_bytes(data['size_bytes'])}, {data['seconds']} s)"
          + (f"; inventory id {record.id}." if record is not None else "."))
    return 0


def _cmd_child(args: argparse.Namespace) -> int:
    from slmdesk.quantize.onnx_build import run_child_step

    try:
        spec = json.loads(args.spec)
    except json.JSONDecodeError as error:
        print(f"onnx-build-child: the step is not JSON: {error}", file=sys.stderr)
        return 2
    if not isinstance(spec, dict):
        print("onnx-build-child: the step is not a JSON object", file=sys.stderr)
        return 2
    return run_child_step(spec)
