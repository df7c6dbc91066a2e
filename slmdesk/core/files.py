"""Atomic file writes: a reader never sees half a file, and a failed write leaves the old one."""

from __future__ import annotations

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


def write_json_atomic(path: Path, data: Any, **dumps: Any) -> None:
    """:func:`write_text_atomic` of ``json.dumps(data, **dumps)``. Raises OSError."""
    write_text_atomic(path, json.dumps(data, **dumps))
