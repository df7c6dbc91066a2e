"""File names from a Hub listing checked before they become paths on this computer: a name that
would leave the target folder (``../x.gguf``, ``/abs.gguf``, ``a\\b.gguf``, ``C:x``, NUL) is
refused."""

from __future__ import annotations

import os
import re
from pathlib import Path

from slmdesk.core.errors import UserError

_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeName(UserError):
    """A file name from the Hub that cannot be written safely below the target folder."""


def check_repo_path(name: str) -> str:
    """Return ``name`` (a path in a Hub repository, ``/``-separated) when it is safe to join
    below a local folder.

    Refused: an empty name, a name with a NUL or another control character, a backslash
    (a separator on Windows), a leading ``/`` (absolute), a drive letter (``C:``), an empty,
    ``.`` or ``..`` component, or a component ending in a dot or space (Windows drops them).

    Raises:
        UnsafeName: the name, quoted with ``repr``, and why.
    """
    why = _problem(name)
    if why is not None:
        raise UnsafeName(f"The Hub lists a file named {name!r}, which slmdesk refuses to write: {why}.",
                         "Report this repository to its owner; pick another file.")
    return name


def _problem(name: str) -> str | None:
    if not name:
        return "the name is empty"
    if _CONTROL.search(name):
        return "it contains a control character (NUL, newline...)"
    if "\\" in name:
        return "it contains a backslash, a folder separator on Windows"
    if name.startswith("/"):
        return "it is an absolute path"
    if _DRIVE.match(name):
        return "it starts with a drive letter"
    for part in name.split("/"):
        if part in ("", ".", ".."):
            return "it has an empty, '.' or '..' folder component that would leave the target folder"
        if part != part.rstrip(". "):
            return "a component ends in a dot or a space"
    return None


def safe_join(root: Path, name: str) -> Path:
    """``root / name`` for a checked ``name`` (:func:`check_repo_path`), verified to stay below ``root``.

    Raises:
        UnsafeName: the name is refused, or it would still leave ``root``.
    """
    path = root.joinpath(*check_repo_path(name).split("/"))
    # Lexically (the file itself may be a symlink, as in the HF cache's snapshots).
    if not Path(os.path.normpath(path)).is_relative_to(os.path.normpath(root)):
        raise UnsafeName(f"The Hub lists a file named {name!r}, which would be written outside {root}.",
                         "Report this repository to its owner; pick another file.")
    return path
