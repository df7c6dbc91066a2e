"""``slmdesk download REPO_ID FILENAME``: download (or resume) a file or a split set from the
Hugging Face Hub, verify its SHA-256 and add it to the inventory."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, interrupted, print_json
from slmdesk.core.errors import Cancelled, UserError


def add_commands(subparsers: Any) -> None:
    """``download REPO_ID FILENAME [--revision REV] [--dir DIR] [--discard] [--json]``."""
    parser = subparsers.add_parser(
        "download",
        help="download a model file (or a whole split set) from the Hugging Face Hub into the inventory",
        description="Download FILENAME of REPO_ID from the Hugging Face Hub (HF_ENDPOINT when set) into the "
        "Hugging Face cache (HF_HUB_CACHE / HF_HOME) or --dir, resuming a partial download, verify its SHA-256 "
        "against the Hub's and add it to the inventory. The first part of a split set downloads every part. "
        "Ctrl-C keeps the partial file; the same command resumes it. Gated and private repositories use the "
        "token of `hf auth login` or HF_TOKEN.",
        epilog="exit status: 0 downloaded and verified; 1 refused or failed (the reason on stderr); "
        "2 bad arguments; 130 interrupted (the partial file is kept).",
    )
    parser.add_argument("repo_id", metavar="REPO_ID", help="the repository, owner/name")
    parser.add_argument("filename", metavar="FILENAME", help="the file's path in the repository")
    parser.add_argument("--revision", default="main", metavar="REV", help="branch, tag or commit (default main)")
    parser.add_argument("--dir", type=Path, default=None, metavar="DIR",
                        help="download into DIR instead of the Hugging Face cache")
    parser.add_argument("--discard", action="store_true",
                        help="delete the partial file of this download instead of downloading")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (path, sha256, size_bytes, artifact_id, resumed_from_bytes...)")
    parser.set_defaults(handler=_cmd_download)


def _cmd_download(args: argparse.Namespace) -> int:
    from slmdesk.hub.download import DownloadRequest, discard_partial, download_task, plan_download

    request = DownloadRequest(args.repo_id, args.filename, args.revision, args.dir)
    plan = None
    try:
        plan = plan_download(request)
        if args.discard:
            removed = discard_partial(plan)
            print(f"Removed {_mb(removed)} of partial download.", file=sys.stderr)
            return 0
        _say_plan(plan)
        result = _run(download_task(plan))
        from slmdesk.cli.common import open_inventory
        from slmdesk.inventory.downloads import register_download

        inventory = open_inventory()
        try:
            record = register_download(inventory, result)
        finally:
            inventory.close()
    except UserError as error:
        return fail(error)
    except (KeyboardInterrupt, Cancelled):
        if plan is not None and not args.discard:
            kept = sum(f.partial_path.stat().st_size for f in plan.files if f.partial_path.exists())
            print(f"\nslmdesk: the partial download ({_mb(kept)}) is kept; run the same command again to resume, "
                  "or add --discard to delete it.", file=sys.stderr)
        return interrupted()
    print(f"Verified SHA-256 {result.sha256}; added to the inventory as artifact {record.id}: {result.path}",
          file=sys.stderr)
    if args.json:
        print_json({**result.to_json(), "artifact_id": record.id})
    else:
        print(result.path)
    return 0


def _say_plan(plan: Any) -> None:
    parts = f" ({len(plan.files)} parts)" if len(plan.files) > 1 else ""
    resume = f", resuming from {_mb(plan.partial_bytes)}" if plan.partial_bytes else ""
    print(f"Downloading {plan.request.filename}{parts} of {plan.request.repo_id} at {plan.commit[:12]}: "
          f"{_mb(plan.total_bytes)}{resume}", file=sys.stderr)


def _run(task: Any) -> Any:
    """Run the task inline; progress on stderr (a rewritten line on a terminal, else one line
    every 5 s)."""
    from slmdesk.core.tasks import run_inline

    tty = sys.stderr.isatty()
    last = [0.0]

    def show(event: Any) -> None:
        now = time.monotonic()
        if now - last[0] < (0.5 if tty else 5.0):
            return
        last[0] = now
        percent = f"{event.fraction * 100:5.1f}%" if event.fraction is not None else ""
        line = f"{percent} {_mb(event.bytes_done or 0)} {event.message}"
        print(("\r" + line.ljust(78)) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    result = run_inline(task, on_progress=show)
    if tty:
        print(file=sys.stderr)
    return result


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
