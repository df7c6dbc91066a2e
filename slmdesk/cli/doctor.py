"""``slmdesk doctor``: versions, the llama.cpp build and CPU variant, a test generation."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from slmdesk.cli.common import print_json


def add_commands(subparsers: Any) -> None:
    """``doctor``: versions, paths, the engine's CPU variant and a test generation."""
    doctor = subparsers.add_parser(
        "doctor",
        help="check this installation and print what a bug report needs",
        description="Print the versions of slmdesk and its engines, how llama.cpp was built and which "
        "CPU variant it uses here, the data directory and its free space, the inventory's schema "
        "version, and run a short generation with the SmolLM2 starter model in an engine process. "
        "Exits 1 when a check fails.",
    )
    doctor.add_argument("--json", action="store_true",
                        help="print one JSON object (with \"error\" and \"hint\" when a check failed)")
    doctor.add_argument("--no-engine", action="store_true", help="skip the engine checks (no child process)")
    doctor.set_defaults(handler=_cmd_doctor)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.doctor import format_report, run_doctor

    report = run_doctor(paths.resolve(), engine=not args.no_engine)
    if args.json:
        data = report.to_dict()
        failed = [check for check in report.checks if check.ok is False]
        if failed:  # the error object's keys, in the one JSON object doctor prints
            data["error"] = "; ".join(f"{check.name}: {check.detail}" for check in failed)
            data["hint"] = next((check.hint for check in failed if check.hint), None)
            print(f"slmdesk: error: {data['error']}", file=sys.stderr)
            if data["hint"]:
                print(data["hint"], file=sys.stderr)
        print_json(data)
    else:
        print(format_report(report))
    return 0 if report.ok else 1
