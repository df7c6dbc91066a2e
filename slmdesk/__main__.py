"""``python -m slmdesk`` and the ``slmdesk`` console script: a headless command, or the GUI."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand, or open the GUI when none is given; return the exit code."""
    from slmdesk.cli import run_headless

    code, args = run_headless(sys.argv[1:] if argv is None else argv)
    if code is not None:
        return code
    from slmdesk.app import run_gui  # deferred: headless commands never load Qt

    return run_gui(smoke_test=args.smoke_test)


def console_main() -> None:
    """The ``slmdesk`` console script."""
    sys.exit(main())


if __name__ == "__main__":
    console_main()
