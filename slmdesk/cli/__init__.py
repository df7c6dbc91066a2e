"""The command line: ``slmdesk <command>`` runs the same services as the GUI, headless.

One module per command group (``inventory``, ``engine``, ``fit``, ``bench``, ``doctor``, ``serve``,
``hub``, ``network``), each registering its subcommands with a ``handler``. No Qt is imported here
(an import-linter contract checks it); ``__main__`` opens the GUI when no subcommand is given.
Every command, the hidden engine and probe children included, starts under the network guard
with offline mode applied (:func:`slmdesk.core.offline.apply_network_policy`) before its handler
runs; ``--offline`` is accepted before or after any command name.
"""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("--offline", action="store_true", help=OFFLINE_HELP)
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the main window, run the event loop briefly, close it; exit 0 unless anything failed",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from slmdesk.cli import (
        bench,
        catalog,
        deploy,
        doctor,
        download,
        engine,
        fit,
        hub,
        inventory,
        network,
        onnx_build,
        quality,
        quantize,
        remote,
        serve,
        serve_bench,
    )

    catalog.add_commands(subparsers)
    quantize.add_commands(subparsers)
    onnx_build.add_commands(subparsers)
    inventory.add_commands(subparsers)
    engine.add_commands(subparsers)
    bench.add_commands(subparsers)
    fit.add_commands(subparsers)
    doctor.add_commands(subparsers)
    serve.add_commands(subparsers)
    hub.add_commands(subparsers)
    download.add_commands(subparsers)
    network.add_commands(subparsers)
    quality.add_commands(subparsers)
    serve_bench.add_commands(subparsers)
    remote.add_commands(subparsers)
    deploy.add_commands(subparsers)
    _add_offline_option(parser)
    return parser


OFFLINE_HELP = ("offline mode for this run, whatever Settings say (like SLMDESK_OFFLINE=1): no connection leaves "
                "this computer; the Hub is refused, local models and the loopback server keep working")


def _add_offline_option(parser: argparse.ArgumentParser) -> None:
    """``--offline`` on every subcommand too (``slmdesk scan --offline ...``), at any depth. The
    subcommands' default is SUPPRESS: a subparser's default would overwrite ``slmdesk --offline``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub.add_argument("--offline", action="store_true", default=argparse.SUPPRESS, help=OFFLINE_HELP)
                _add_offline_option(sub)


def process_name(args: argparse.Namespace) -> str:
    """The command's name in the Network log: ``slmdesk scan``, ``slmdesk hub search``."""
    return " ".join(str(part) for part in ("slmdesk", args.command, getattr(args, "subcommand", None)) if part)


def run_headless(argv: Sequence[str] | None = None) -> tuple[int | None, argparse.Namespace]:
    """Parse ``argv``; run a subcommand if one was given.

    Returns ``(exit code, args)`` for a subcommand, ``(None, args)`` when the GUI should open.
    ``--offline`` sets ``SLMDESK_OFFLINE=1`` in this process's environment (the GUI and children
    inherit it); a subcommand then runs with offline mode applied and the network guard on.
    With ``--json``, every error (a usage error, a :class:`UserError`, an internal error)
    is also printed as one ``{"error": ..., "hint": ...}`` object on stdout; the human text
    stays on stderr and the exit status is non-zero (2 for usage errors, 1 otherwise).

    Raises:
        SystemExit: a usage error or ``--help``/``--version`` (argparse).
    """
    from slmdesk.cli.common import apply_user_settings, fail, json_errors, print_error_json
    from slmdesk.core.errors import UserError
    from slmdesk.core.offline import OFFLINE_ENV

    arguments = list(sys.argv[1:] if argv is None else argv)
    with json_errors("--json" in arguments):
        args = build_parser().parse_args(arguments)
    if args.offline:  # for this run and every child it starts (the GUI's too)
        os.environ[OFFLINE_ENV] = "1"
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return None, args
    with json_errors(bool(getattr(args, "json", False))):
        try:
            # Offline mode and the network guard hold for every command, before it does anything.
            apply_user_settings(process_name(args))
            return handler(args), args
        except UserError as error:  # one a command did not catch itself
            return fail(error), args
        except Exception as error:
            if getattr(args, "json", False):  # a bug: still one JSON object, then the traceback
                print_error_json(f"Internal error: {type(error).__name__}: {error}",
                                 "Please report this with the output of `slmdesk doctor`.")
            raise
