"""How slmdesk starts a child process of itself, from source and frozen alike."""

from __future__ import annotations

import sys


def self_command(*args: str) -> list[str]:
    """The argv that runs ``slmdesk ARGS...`` as a child process of this program.

    From source: ``[python, "-m", "slmdesk", *args]``. Frozen by PyInstaller (``sys.frozen``):
    ``[the app executable, *args]``; the app's entry point parses the subcommand like any other.
    """
    if getattr(sys, "frozen", False):
        return [sys.executable, *args]
    return [sys.executable, "-m", "slmdesk", *args]
