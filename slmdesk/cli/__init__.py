"""The command line: ``slmdesk <command>`` runs the same services as the GUI, headless.

One module per command group (``inventory``, ``engine``, ``fit``, ``bench``, ``doctor``), each
registering its subcommands with a ``handler``. No Qt is imported here (an import-linter
contract checks it); ``__main__`` opens the GUI when no subcommand is given.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from slmdesk import __version__

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; subcommands register a ``handler`` default."""
    parser = argparse.ArgumentParser(
        prog="slmdesk",
        description="Find, fit, download, quantize, chat with and benchmark small language models locally.",
    )
    parser.add_argument("--version", action="version", version=f"slmdesk {__version__}")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the main window, run the event loop briefly, close it; exit 0 unless anything failed",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from slmdesk.cli import bench, doctor, engine, fit, inventory

    inventory.add_commands(subparsers)
    engine.add_commands(subparsers)
    bench.add_commands(subparsers)
    fit.add_commands(subparsers)
    doctor.add_commands(subparsers)
    return parser


def run_headless(argv: Sequence[str] | None = None) -> tuple[int | None, argparse.Namespace]:
    """Parse ``argv``; run a subcommand if one was given.

    Returns ``(exit code, args)`` for a subcommand, ``(None, args)`` when the GUI should open.
    """
    args = build_parser().parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return None, args
    from slmdesk.cli.common import apply_user_settings

    apply_user_settings()  # offline mode holds for every command, not only the inventory's
    return handler(args), args
