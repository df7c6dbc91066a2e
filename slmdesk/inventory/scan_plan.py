"""Scan planning: what a scan found, read and decided, before anything is written.

Walks the stores (:func:`slmdesk.inventory.stores.walk_store`), reads the header of every new
or changed artifact (:func:`slmdesk.formats.detect.read_spec`; a reader error becomes a
``corrupt`` or ``incomplete`` entry), and decides which known artifacts are unchanged, vanished,
moved (same size and SHA-256 at a new path) or regrouped (a split set under another first
part). The plan is written by :mod:`slmdesk.inventory.scan_db`; the task that runs both is in
:mod:`slmdesk.inventory.scanners`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.formats import split
from slmdesk.formats.detect import format_of, read_spec
from slmdesk.inventory.paths import normalize_path
from slmdesk.inventory.records import ScanRootRecord, StoreKind
from slmdesk.inventory.stores import Found, detect_store_kind, walk_store

ScanTarget = Path | str | tuple[Path, StoreKind] | ScanRootRecord
"""What a scan walks: a store root with its kind, a scan-root record, or a bare path (a model
file or folder is adopted as picked by the user; another folder's layout is detected)."""

PROVENANCE_RANK = {"starter": 0, "ollama": 0, "hf_cache": 0, "download": 0, "quantize": 0, "convert": 0,
                   "onnx-build": 0, "lmstudio": 1, "gpt4all": 1, "user": 2, "folder": 3}
"""A store that knows more about a file (repo id, tag) wins over a plain folder walk; so does what
slmdesk itself recorded when it made the file (a download's repo and commit, a quantization's
source), which a later scan of the folder holding it must not replace."""


@dataclass
class KnownArtifact:
    """An artifact the inventory already holds (its row and files), as a scan compares it."""

    id: int
    path: str
    status: str
    size_bytes: int
    mtime_ns: int | None
    sha256: str | None
    source_kind: str
    source_detail: dict[str, Any]
    files: list[tuple[str, int | None]] = field(default_factory=list)
    error: str | None = None
    error_hint: str | None = None


@dataclass
class ReadArtifact:
    """A found artifact after its header was read (spec) or failed to read (error, hint)."""

    found: Found
    mtime_ns: int | None
    spec: ModelSpec | None = None
    error: str | None = None
    error_hint: str | None = None
    status: str = "ok"
    size_bytes: int = 0
    files: list[tuple[str, int | None]] = field(default_factory=list)
    format: str = "gguf"


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


def _split_parts(path: Path) -> tuple[list[Path], list[str]]:
    """(parts present, in order; names of parts missing) of the split set ``path`` is named as
    a part of (llama.cpp naming), or ([], []) for a file that is not a split part."""
    name = split.parse_split_name(path.name)
    if name is None:
        return [], []
    present, missing = [], []
    for number in range(1, name.count + 1):
        part = path.parent / name.part_name(number)
        if part.exists():
            present.append(part)
        else:
            missing.append(part.name)
    return present, missing


def read_artifact(found: Found) -> ReadArtifact:
    """Read one artifact's header; a reader error becomes a corrupt (or incomplete) entry."""
    stat = _stat(found.path)
    item = ReadArtifact(found, stat.st_mtime_ns if stat else None)
    try:
        spec = read_spec(found.path)
    except UserError as error:
        present, missing = _split_parts(found.path) if found.path.is_file() else ([], [])
        item.status = "incomplete" if missing else "corrupt"
        item.error, item.error_hint = error.message, error.hint
        item.format = format_of(found.path) or "gguf"
        if missing:  # keep the parts that are there: a later scan regroups them by file
            item.files = [(str(normalize_path(p)), _size(p)) for p in present]
        else:
            item.files = [(str(found.path), stat.st_size if stat and not found.path.is_dir() else 0)]
        item.size_bytes = sum(size or 0 for _, size in item.files)
        return item
    item.spec = spec
    item.format = spec.format
    item.size_bytes = spec.file_bytes
    files = spec.files or (spec.path,)
    item.files = [(str(normalize_path(f)), _size(f)) for f in files]
    return item


def _size(path: Path) -> int | None:
    stat = _stat(path)
    return stat.st_size if stat else None


def _unchanged(entry: KnownArtifact, stat: os.stat_result) -> bool:
    """Same size and mtime as when last read, every file still there at its size. A corrupt
    entry recorded without a hint (before migration 0007) counts as changed: reading its header
    again stores the reader's hint."""
    if entry.status not in ("ok", "corrupt") or entry.mtime_ns != stat.st_mtime_ns:
        return False
    if entry.status == "corrupt" and entry.error_hint is None:
        return False
    for index, (path, size) in enumerate(entry.files):
        file_stat = stat if index == 0 and path == entry.path else _stat(Path(path))
        if file_stat is None or (size is not None and file_stat.st_size != size):
            return False
    return True


def _vanished_status(entry: KnownArtifact) -> str | None:
    """``missing`` when none of the files is left, ``incomplete`` when some are, else None."""
    paths = [Path(p) for p, _ in entry.files] or [Path(entry.path)]
    present = [p.exists() for p in paths]
    if not any(present):
        return "missing"
    if not all(present):
        return "incomplete"
    return None


def targets_in_order(targets: Iterable[ScanTarget]) -> list[tuple[Path, StoreKind | None]]:
    """(root, kind) pairs, specific stores first; kind None marks a model picked directly."""
    resolved: list[tuple[Path, StoreKind | None]] = []
    for target in targets:
        if isinstance(target, ScanRootRecord):
            resolved.append((normalize_path(target.path), target.kind))
        elif isinstance(target, tuple):
            resolved.append((normalize_path(target[0]), target[1]))
        else:
            path = normalize_path(target)
            if not os.path.lexists(path):
                raise UserError(f"{path} does not exist.", "Check the path and try again.")
            if format_of(path) is not None:
                resolved.append((path, None))
            elif path.is_dir():
                resolved.append((path, detect_store_kind(path)))
            else:
                raise UserError(
                    f"{path} is not a GGUF file, a model folder or a folder to scan.",
                    "Pass a .gguf file, an ONNX/Hugging Face model folder, or a folder of models.",
                )
    return sorted(resolved, key=lambda pair: PROVENANCE_RANK[pair[1] or "user"])


@dataclass
class ScanPlan:
    """What a scan decided, before it writes anything."""

    found: dict[Path, Found]
    existing: dict[str, KnownArtifact]
    warnings: list[str]
    unchanged: list[KnownArtifact] = field(default_factory=list)
    provenance: list[tuple[int, Found]] = field(default_factory=list)
    to_read: list[Found] = field(default_factory=list)
    read: list[ReadArtifact] = field(default_factory=list)
    vanished: dict[int, str] = field(default_factory=dict)
    moved: dict[int, ReadArtifact] = field(default_factory=dict)
    regrouped: dict[int, ReadArtifact] = field(default_factory=dict)


def walk_targets(
    targets: Sequence[tuple[Path, StoreKind | None]], token: CancelToken, warnings: list[str]
) -> Generator[Progress, None, dict[Path, Found]]:
    """Every artifact in the targets, first store to name a path wins (specific stores first)."""
    found: dict[Path, Found] = {}
    for root, kind in targets:
        token.raise_if_cancelled()
        yield Progress(None, f"Looking in {root}")
        if kind is None:
            found.setdefault(root, Found(root, "user", {}))
            continue
        for item in walk_store(root, kind, token, warnings):
            found.setdefault(item.path, item)
            if len(found) % 200 == 0:
                token.raise_if_cancelled()
                yield Progress(None, f"Found {len(found)} models so far in {root}")
    return found


def classify(plan: ScanPlan) -> None:
    """Split what was found into unchanged (same size + mtime: not re-read) and to-read."""
    for path, item in plan.found.items():
        entry = plan.existing.get(str(path))
        stat = _stat(path)
        if stat is None:
            continue  # vanished while we looked
        if entry is None or S_ISDIR(stat.st_mode) or not _unchanged(entry, stat):
            plan.to_read.append(item)
            continue
        plan.unchanged.append(entry)
        differs = (item.source_kind, dict(item.source_detail)) != (entry.source_kind, entry.source_detail)
        if differs and PROVENANCE_RANK[item.source_kind] <= PROVENANCE_RANK.get(entry.source_kind, 3):
            plan.provenance.append((entry.id, item))


def read_headers(plan: ScanPlan, token: CancelToken) -> Generator[Progress, None, None]:
    total = len(plan.to_read)
    for index, item in enumerate(plan.to_read):
        token.raise_if_cancelled()
        if index % 25 == 0:
            yield Progress(index / total, f"Reading {item.path.name} ({index + 1}/{total})")
        plan.read.append(read_artifact(item))


def find_vanished(plan: ScanPlan) -> None:
    """Every known artifact this scan did not find: missing, incomplete, or still there."""
    for path, entry in plan.existing.items():
        if Path(path) in plan.found or entry.status == "missing":
            continue
        status = _vanished_status(entry)
        if status is not None and status != entry.status:
            plan.vanished[entry.id] = status


def match_moves(
    plan: ScanPlan,
    token: CancelToken,
    hash_task: Callable[[Sequence[Path]], Callable[[CancelToken], Generator[Progress, None, str]]],
) -> Generator[Progress, None, None]:
    """A new path whose size, then SHA-256, equal a missing artifact's is that artifact moved.

    Only new artifacts with the size of a missing one that has a recorded hash are hashed
    (the store's own digest is used when it gives one) with ``hash_task(files)``.
    """
    pool: dict[int, list[KnownArtifact]] = {}
    for entry in plan.existing.values():
        status = plan.vanished.get(entry.id, entry.status)
        if status == "missing" and entry.sha256 and Path(entry.path) not in plan.found:
            pool.setdefault(entry.size_bytes, []).append(entry)
    for item in plan.read:
        candidates = pool.get(item.size_bytes)
        if not candidates or item.spec is None or str(item.found.path) in plan.existing:
            continue
        digest = item.found.known_sha256
        if digest is None:
            digest = yield from hash_task([Path(p) for p, _ in item.files])(token)
        match = next((c for c in candidates if c.sha256 == digest), None)
        if match is not None:
            candidates.remove(match)
            plan.moved[match.id] = item
            plan.vanished.pop(match.id, None)


def regroup_split_sets(plan: ScanPlan) -> None:
    """A new artifact sharing a file with a known one that this scan did not find is that
    artifact under another canonical path: a split set whose first part went missing (it is
    then named by its lowest part present) or came back. It keeps its id."""
    by_file: dict[str, KnownArtifact] = {}
    for path, entry in plan.existing.items():
        if Path(path) not in plan.found and entry.id not in plan.moved:
            for file_path, _ in entry.files:
                by_file[file_path] = entry
            by_file[path] = entry
    if not by_file:
        return
    for item in plan.read:
        if str(item.found.path) in plan.existing or any(item is m for m in plan.moved.values()):
            continue
        owners = {by_file[f].id: by_file[f] for f, _ in item.files if f in by_file}
        if len(owners) == 1:
            (entry,) = owners.values()
            if entry.id not in plan.regrouped:
                plan.regrouped[entry.id] = item
                plan.vanished.pop(entry.id, None)
