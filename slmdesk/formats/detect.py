"""What a path holds (GGUF file, split set, ONNX GenAI folder, HF folder), one reader for all,
and a cheap recursive walk that finds every artifact under a folder once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.tasks import CancelToken
from slmdesk.formats import gguf, hf_folder, onnx_genai, split

FormatName = Literal["gguf", "onnx", "hf"]

_GGUF_SUFFIX = ".gguf"
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "blobs"})
"""Never descended into. ``blobs`` holds the Hugging Face cache's content-addressed files,
which ``snapshots/`` already exposes under their real names."""


class NotAModelError(UserError):
    """The path is not something slmdesk can read as a model."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(
            message,
            hint or "Choose a .gguf file, the first part of a split GGUF set, an ONNX Runtime "
            "GenAI folder (with genai_config.json) or a Hugging Face folder (config.json + .safetensors).",
        )


def _folder_format(path: Path) -> FormatName | None:
    if onnx_genai.is_onnx_folder(path):
        return "onnx"
    if hf_folder.is_hf_folder(path):
        return "hf"
    return None


def format_of(path: Path) -> FormatName | None:
    """The artifact format at ``path`` from names alone (no file is opened):

    - a file ending in ``.gguf`` -> "gguf";
    - a folder with ``genai_config.json`` -> "onnx";
    - a folder with ``config.json`` and a ``.safetensors`` file -> "hf";
    - anything else (missing paths included) -> None.
    """
    try:
        if path.is_dir():
            return _folder_format(path)
    except OSError:
        return None
    return "gguf" if path.name.lower().endswith(_GGUF_SUFFIX) else None


def _has_gguf_magic(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == gguf.MAGIC
    except OSError:
        return False


def read_spec(path: Path) -> ModelSpec:
    """Read the artifact at ``path`` into a :class:`ModelSpec` (headers only).

    - a ``.gguf`` file (or a file without the suffix that starts with ``GGUF``, like an
      Ollama blob): read alone, unless it is named or declared as a split part;
    - any part of a split set (``name-00002-of-00003.gguf``): the whole set;
    - an ONNX GenAI folder, or a file inside one (``model.onnx``, ``genai_config.json``);
    - a Hugging Face folder, or a file inside one (``config.json``, a ``.safetensors`` shard).

    Raises:
        NotAModelError: the path does not exist or is none of the above.
        gguf.GGUFFormatError: a GGUF file is damaged (the message names the byte offset).
        split.SplitSetError: a split set is incomplete or inconsistent (names the part).
        onnx_genai.OnnxFolderError, hf_folder.HFFolderError: a folder is incomplete.
        UserError: a file cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise NotAModelError(f"{path} does not exist.", "It may have been moved or deleted.")
    if path.is_dir():
        kind = _folder_format(path)
        if kind == "onnx":
            return onnx_genai.read_onnx_folder(path)
        if kind == "hf":
            return hf_folder.read_hf_folder(path)
        ggufs = sorted(p.name for p in path.glob("*.gguf"))
        found = f" It holds {len(ggufs)} GGUF file(s), e.g. {ggufs[0]}: choose one." if ggufs else ""
        raise NotAModelError(f"{path.name} is not a model folder.{found}")
    if split.parse_split_name(path.name) is not None:
        return split.read_split_set(path)
    if path.name.lower().endswith(_GGUF_SUFFIX) or _has_gguf_magic(path):
        spec = gguf.read_gguf(path)
        if spec.split_count > 1:
            raise split.SplitSetError(
                f"{path.name} is part {spec.split_no + 1} of a {spec.split_count}-part split GGUF set, "
                "but its name does not follow the name-00001-of-0000N.gguf pattern.",
                "Rename the parts back to the names they were published with.",
            )
        return spec
    parent_kind = _folder_format(path.parent)
    if parent_kind is not None:
        return read_spec(path.parent)
    raise NotAModelError(f"{path.name} is not a model file.")


def discover(root: Path, cancel: CancelToken | None = None) -> Iterator[Path]:
    """Yield every artifact under ``root`` once, recursively, in a stable order.

    Yields a GGUF file; for a split set, its first part (or its lowest-numbered part present,
    so that :func:`read_spec` can report the missing ones); an ONNX GenAI or Hugging Face
    folder (not descended into). Uses :func:`os.scandir` only: no file is opened. Hidden
    folders (``.git``, ``.locks``...) and ``blobs`` are skipped; symlinked folders are followed
    once (a visited set of device/inode pairs stops cycles). Unreadable folders are skipped.

    ``root`` itself may be a GGUF file or a model folder. Checks ``cancel`` once per folder.

    Raises:
        Cancelled: ``cancel`` was cancelled.
    """
    root = Path(root)
    if not root.is_dir():
        if format_of(root) == "gguf":
            yield root
        return
    visited: set[tuple[int, int]] = set()
    stack: list[Path] = [root]
    while stack:
        if cancel is not None:
            cancel.raise_if_cancelled()
        folder = stack.pop()
        try:
            stat = folder.stat()
        except OSError:
            continue
        key = (stat.st_dev, stat.st_ino)
        if key in visited:
            continue
        visited.add(key)
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        names = {entry.name for entry in entries}
        if "genai_config.json" in names or (
            "config.json" in names and any(n.endswith(".safetensors") for n in names)
        ):
            yield folder
            continue
        subfolders: list[Path] = []
        split_sets: dict[tuple[str, int], int] = {}
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if not name.startswith(".") and name not in _SKIP_DIRS:
                    subfolders.append(Path(entry.path))
                continue
            if not name.lower().endswith(_GGUF_SUFFIX):
                continue
            part = split.parse_split_name(name)
            if part is None:
                yield Path(entry.path)
                continue
            group = (part.prefix, part.count)
            if group not in split_sets or part.number < split_sets[group]:
                split_sets[group] = part.number
        for (prefix, count), number in sorted(split_sets.items()):
            yield folder / split.split_part_name(prefix, number, count)
        # Depth-first in name order: push in reverse so the first name is visited first.
        stack.extend(reversed(subfolders))
