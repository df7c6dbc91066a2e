"""The command line: ``slmdesk <command>`` runs the same services as the GUI, headless.

One module per command group (``inventory``, ``engine``, ``fit``, ``bench``, ``doctor``), each
registering its subcommands with a ``handler``. No Qt is imported here (an import-linter
contract checks it); ``__main__`` opens the GUI when no subcommand is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from slmdesk import __version__

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse's parser (subcommand parsers are made of the same class) whose usage errors
    are also printed as a JSON error object on stdout when the command line asks for
    ``--json`` (:func:`slmdesk.cli.common.json_errors`)."""

    def error(self, message: str) -> NoReturn:
        from slmdesk.cli.common import json_errors_wanted, print_error_json

        if json_errors_wanted():
            print_error_json(message, f"See `{self.prog} --help`.")
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; subcommands register a ``handler`` default."""
    parser = _Parser(
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
    from slmdesk.cli import bench, doctor, engine, fit, inventory, serve

    inventory.add_commands(subparsers)
    engine.add_commands(subparsers)
    bench.add_commands(subparsers)
    fit.add_commands(subparsers)
    doctor.add_commands(subparsers)
    serve.add_commands(subparsers)
    return parser


def run_headless(argv: Sequence[str] | None = None) -> tuple[int | None, argparse.Namespace]:
    """Parse ``argv``; run a subcommand if one was given.

    Returns ``(exit code, args)`` for a subcommand, ``(None, args)`` when the GUI should open.
    With ``--json``, every error (a usage error, a :class:`UserError`, an internal error)
    is also printed as one ``{"error": ..., "hint": ...}`` object on stdout; the human text
    stays on stderr and the exit status is non-zero (2 for usage errors, 1 otherwise).

    Raises:
        SystemExit: a usage error or ``--help``/``--version`` (argparse).
    """
    from slmdesk.cli.common import apply_user_settings, fail, json_errors, print_error_json
    from slmdesk.core.errors import UserError

    arguments = list(sys.argv[1:] if argv is None else argv)
    with json_errors("--json" in arguments):
        args = build_parser().parse_args(arguments)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return None, args
    with json_errors(bool(getattr(args, "json", False))):
        try:
            apply_user_settings()  # offline mode holds for every command, not only the inventory's
            return handler(args), args
        except UserError as error:  # one a command did not catch itself
            return fail(error), args
        except Exception as error:
            if getattr(args, "json", False):  # a bug: still one JSON object, then the traceback
                print_error_json(f"Internal error: {type(error).__name__}: {error}",
                                 "Please report this with the output of `slmdesk doctor`.")
            raise
