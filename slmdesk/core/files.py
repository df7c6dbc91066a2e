"""Atomic file writes (a reader never sees half a file, and a failed write leaves the old one) and
file names that every desktop system accepts."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def write_text_atomic(path: Path, text: str, newline: str | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` through ``<name>.tmp`` renamed into place with
    ``os.replace`` (atomic on POSIX and Windows), creating the parent folder.

    Raises:
        OSError: the folder or file cannot be written (the temporary file is removed).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(text, encoding="utf-8", newline=newline)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def write_private_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` readable and writable by its owner only (mode 0600, exact
    whatever the umask), atomically through ``<name>.new``; creates the parent folder. For secrets:
    the local server's key file, remote connections' keys without a keyring.

    Raises:
        OSError: the folder or file cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, 0o600)  # the umask may only narrow it; make it exact
        os.write(descriptor, text.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)


def write_json_atomic(path: Path, data: Any, **dumps: Any) -> None:
    """:func:`write_text_atomic` of ``json.dumps(data, **dumps)``. Raises OSError."""
    write_text_atomic(path, json.dumps(data, **dumps))


WINDOWS_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
)
"""Device names Windows refuses as a file name, with or without an extension
(https://learn.microsoft.com/windows/win32/fileio/naming-a-file)."""

_NOT_IN_FILE_NAMES = frozenset('<>:"/\\|?*') | {chr(code) for code in range(32)}


def safe_file_name(name: str, suffix: str = "", max_chars: int = 80, fallback: str = "untitled") -> str:
    """``name`` made into a file name every desktop system accepts, with ``suffix`` (".md")
    appended: the characters Windows forbids (``< > : " / \\ | ? *`` and control characters)
    become spaces, runs of blank space one space, leading blanks and trailing dots and blanks
    (which Windows drops) go, the name is cut to ``max_chars`` characters, a reserved device
    name (``CON``, ``nul.txt``, ``COM1``...: :data:`WINDOWS_RESERVED_NAMES`) gets a leading
    ``_``, and ``fallback`` stands in for a name with nothing left."""
    cleaned = "".join(" " if char in _NOT_IN_FILE_NAMES else char for char in name)
    stem = " ".join(cleaned.split())[:max_chars].rstrip(". ") or fallback
    if stem.split(".")[0].rstrip(" ").upper() in WINDOWS_RESERVED_NAMES:
        stem = "_" + stem
    return stem + suffix
