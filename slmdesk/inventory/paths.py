"""The one form the inventory stores paths in (a leaf module: it imports nothing from inventory)."""

from __future__ import annotations

import os
from pathlib import Path


def normalize_path(path: str | os.PathLike[str]) -> Path:
    """The form paths are stored in: absolute, ``~`` expanded, ``..`` folded, symlinks kept.

    Symlinks are deliberately not resolved: a Hugging Face cache file is the snapshot link
    (``snapshots/<commit>/model.gguf``), not the content-addressed blob it points to.
    """
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))
