"""``slmdesk network-log``: the connections slmdesk's processes attempted beyond this computer."""

from __future__ import annotations

import argparse
from typing import Any

from slmdesk.cli.common import fail, print_json
from slmdesk.core.errors import UserError

DEFAULT_LIMIT = 50
"""Entries shown by default, the newest."""


def add_commands(subparsers: Any) -> None:
    """``network-log``: print the Network log (``network-log.jsonl`` in the data folder)."""
    log = subparsers.add_parser(
        "network-log",
        help="show the connections slmdesk attempted beyond this computer (blocked ones in offline mode)",
        description="Print the Network log: every connection and host-name lookup that an slmdesk process (the "
        "app, a command, an engine) attempted beyond this computer, oldest first, with the process and code that "
        "asked. In offline mode each one was blocked. Connections on this computer (the local API server, "
        "loopback) are not listed.",
    )
    log.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                     help=f"the newest N entries (default {DEFAULT_LIMIT}; 0 = all)")
    log.add_argument("--blocked", action="store_true", help="only the attempts offline mode blocked")
    log.add_argument("--json", action="store_true", help="print a JSON object: offline mode, the log file, entries")
    log.set_defaults(handler=_cmd_network_log)


def _cmd_network_log(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.core import offline
    from slmdesk.core.network_log import log_path, read_events

    if args.limit < 0:
        return fail(UserError(f"--limit {args.limit} is negative.", "Give 0 for every entry, or a count."))
    path = log_path(paths.resolve())
    try:
        events = [event for event in read_events(path) if not args.blocked or event.blocked]
    except OSError as error:
        return fail(UserError(f"Cannot read the Network log {path}: {error.strerror or error}.",
                              "Check the file's permissions."))
    if args.limit:
        events = events[-args.limit:]
    state = offline.current()
    if args.json:
        print_json({"offline": state.on, "offline_reason": state.describe(), "log_file": str(path),
                    "entries": [event.to_json() for event in events]})
        return 0
    print(f"{state.describe()} Log: {path}")
    attempts = [event for event in events if event.is_attempt]
    if not events:
        print("No connection beyond this computer was attempted" + (" and blocked." if args.blocked else "."))
        return 0
    header = ("TIME (UTC)", "RESULT", "ACTION", "TARGET", "PROCESS", "ORIGIN")
    rows = [
        (
            event.time.replace("T", " ").rstrip("Z"),
            ("blocked" if event.blocked else "allowed") if event.is_attempt else "-",
            event.action if event.is_attempt else f"guard ({'offline' if event.offline else 'online'})",
            event.target or "-",
            f"{event.process} [{event.pid}]",
            event.caller or event.module,
        )
        for event in events
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    blocked = sum(event.blocked for event in attempts)
    print(f"{len(attempts)} attempt(s) shown, {blocked} blocked.")
    return 0
