"""How slmdesk starts a child process of itself, from source and frozen alike."""

from __future__ import annotations

import sys
from pathlib import Path


def self_command(*args: str) -> list[str]:
    """The argv that runs ``slmdesk ARGS...`` as a child process of this program.

    From source: ``[python, "-m", "slmdesk", *args]``. Frozen by PyInstaller (``sys.frozen``):
    ``[the app executable, *args]``; the app's entry point parses the subcommand like any other.
    On Windows the frozen GUI executable is windowed (it has no standard streams), so children
    run from its console twin ``slmdesk-cli.exe`` (``packaging/slmdesk.spec``) when present.
    """
    if getattr(sys, "frozen", False):
        executable = Path(sys.executable)
        if sys.platform == "win32":
            console = executable.with_name(f"{executable.stem}-cli{executable.suffix}")
            if not executable.stem.endswith("-cli") and console.is_file():
                executable = console
        return [str(executable), *args]
    return [sys.executable, "-m", "slmdesk", *args]
