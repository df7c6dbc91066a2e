"""``slmdesk hub search``: the Hugging Face Hub from the command line (refused in offline mode)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from slmdesk.cli.common import fail, interrupted, print_json
from slmdesk.core.errors import UserError


def add_commands(subparsers: Any) -> None:
    """``hub search QUERY``: models on the Hugging Face Hub (``HF_ENDPOINT`` when set)."""
    from slmdesk.hub.search import DEFAULT_LIMIT, DEFAULT_TIMEOUT_S

    hub = subparsers.add_parser(
        "hub",
        help="the Hugging Face Hub: search models (needs the network; refused in offline mode)",
        description="Commands that talk to the Hugging Face Hub (HF_ENDPOINT when set). In offline mode they "
        "refuse at once, without any connection.",
    )
    commands = hub.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    search = commands.add_parser(
        "search",
        help="search the Hub's models by name, the most downloaded first",
        description="Search the Hugging Face Hub's models whose name contains QUERY, the most downloaded first. "
        "One request, no retries; in offline mode nothing is sent and the command fails saying so.",
        epilog="exit status: 0 the search ran (even with no result); 1 offline mode is on, the Hub could not be "
        "reached or answered with an error; 2 bad arguments.",
    )
    search.add_argument("query", metavar="QUERY", help="words from the model's name (smollm2, gemma gguf...)")
    search.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                        help=f"at most N models (default {DEFAULT_LIMIT})")
    search.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=f"how long to wait for the Hub (default {DEFAULT_TIMEOUT_S:g} s)")
    search.add_argument("--json", action="store_true", help="print a JSON array of models")
    search.set_defaults(handler=_cmd_search)


def _cmd_search(args: argparse.Namespace) -> int:
    from slmdesk.hub.search import search_models

    try:
        models = search_models(args.query, limit=args.limit, timeout_s=args.timeout)
    except UserError as error:
        return fail(error)
    except KeyboardInterrupt:
        return interrupted()
    if args.json:
        print_json([model.to_json() for model in models])
        return 0
    if not models:
        print(f"No model on the Hub matches {args.query!r}.", file=sys.stderr)
        return 0
    print(_table(models))
    return 0


def _table(models: list[Any]) -> str:
    """Repository, downloads, likes, library, task, last change: one row per model."""
    header = ("REPOSITORY", "DOWNLOADS", "LIKES", "LIBRARY", "TASK", "UPDATED")
    rows = [
        (
            model.repo_id + (" (gated)" if model.gated else ""),
            "-" if model.downloads is None else f"{model.downloads:,}",
            "-" if model.likes is None else f"{model.likes:,}",
            model.library or "-",
            model.pipeline_tag or "-",
            (model.last_modified or "-")[:10],
        )
        for model in models
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in [header, *rows])
