"""Scanning: adopt model files where they are, keep the inventory in step with the disk.

A scan is a task (``core.tasks``): it walks the stores (``stores.walk_store``), reads the
header of every new or changed artifact (``formats.detect.read_spec``), notices vanished
files (``missing``, history kept) and moved ones (same size and SHA-256 at a new path: the
row keeps its id), and writes everything in one transaction at the end, so a cancelled scan
changes nothing. Files whose header cannot be read are recorded as ``corrupt`` with the
reader's message; the scan goes on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.formats import split
from slmdesk.formats.checksum import sha256_task
from slmdesk.formats.detect import format_of, read_spec
from slmdesk.inventory.orm import Artifact, ArtifactFile, Model, utcnow
from slmdesk.inventory.records import ArtifactRecord, ScanRootRecord, ScanSummary, StoreKind
from slmdesk.inventory.repository import Inventory, normalize_path
from slmdesk.inventory.stores import (
    Found,
    default_store_locations,
    detect_store_kind,
    walk_store,
)

ScanTarget = Path | str | tuple[Path, StoreKind] | ScanRootRecord
"""What a scan walks: a store root with its kind, a scan-root record, or a bare path (a model
file or folder is adopted as picked by the user; another folder's layout is detected)."""

_PROVENANCE_RANK = {"ollama": 0, "hf_cache": 0, "lmstudio": 1, "gpt4all": 1, "user": 2, "folder": 3}
"""A store that knows more about a file (repo id, tag) wins over a plain folder walk."""

_CHUNK = 500
"""Rows per ``IN (...)`` list: below SQLite's bound-parameter limit (32766 since 3.32)."""


@dataclass
class _Existing:
    id: int
    path: str
    status: str
    size_bytes: int
    mtime_ns: int | None
    sha256: str | None
    source_kind: str
    source_detail: dict[str, Any]
    files: list[tuple[str, int | None]] = field(default_factory=list)


@dataclass
class _Read:
    """A found artifact after its header was read (spec) or failed to read (error)."""

    found: Found
    mtime_ns: int | None
    spec: ModelSpec | None = None
    error: str | None = None
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


def _read(found: Found) -> _Read:
    """Read one artifact's header; a reader error becomes a corrupt (or incomplete) entry."""
    stat = _stat(found.path)
    item = _Read(found, stat.st_mtime_ns if stat else None)
    try:
        spec = read_spec(found.path)
    except UserError as error:
        present, missing = _split_parts(found.path) if found.path.is_file() else ([], [])
        item.status = "incomplete" if missing else "corrupt"
        item.error = error.message
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


def _metadata(spec: ModelSpec, *keys: str) -> str | None:
    values = dict(spec.metadata)
    for key in keys:
        if values.get(key):
            return values[key]
    return None


def _header_columns(item: _Read) -> dict[str, Any]:
    spec = item.spec
    columns: dict[str, Any] = {
        "format": item.format,
        "status": item.status,
        "error": item.error,
        "size_bytes": item.size_bytes,
        "mtime_ns": item.mtime_ns,
    }
    if spec is None:
        columns.update(
            name=None, architecture=None, quantization=None, n_params=None,
            context_length=None, n_layer=None, n_head=None, n_head_kv=None, n_embd=None,
            n_vocab=None, sliding_window=None, chat_template=None, split_count=1,
        )
        return columns
    columns.update(
        name=spec.name,
        architecture=spec.architecture,
        quantization=spec.quantization,
        n_params=spec.n_params,
        context_length=spec.context_length,
        n_layer=spec.n_layer,
        n_head=spec.n_head_max,
        n_head_kv=spec.n_head_kv_max,
        n_embd=spec.n_embd,
        n_vocab=spec.n_vocab,
        sliding_window=spec.sliding_window,
        chat_template=spec.chat_template,
        split_count=spec.split_count,
    )
    return columns


def _model_facts(item: _Read) -> dict[str, Any] | None:
    """What the artifact says about its model (None for unreadable files)."""
    spec = item.spec
    if spec is None:
        return None
    detail = item.found.source_detail
    repo_id = detail.get("repo_id")
    if repo_id is None and "publisher" in detail and "repo" in detail:
        repo_id = f"{detail['publisher']}/{detail['repo']}"
    publisher = _metadata(spec, "general.organization", "general.author")
    if publisher is None and repo_id:
        publisher = str(repo_id).split("/")[0]
    return {
        "name": spec.name or item.found.path.stem,
        "architecture": spec.architecture,
        "family": _metadata(spec, "general.basename"),
        "publisher": publisher,
        "n_params": spec.n_params,
        "license": _metadata(spec, "general.license", "license"),
        "source_repo": repo_id,
    }


def _model_ids(session: Session, items: Sequence[_Read]) -> dict[tuple[str, str | None], int]:
    """Find or create the model of each readable item, keyed by (name, architecture)."""
    facts = {}
    for item in items:
        model = _model_facts(item)
        if model is not None:
            facts.setdefault((model["name"], model["architecture"]), model)
    ids: dict[tuple[str, str | None], int] = {}
    names = sorted({name for name, _ in facts})
    for start in range(0, len(names), _CHUNK):
        rows = session.execute(
            select(Model.id, Model.name, Model.architecture).where(
                Model.name.in_(names[start : start + _CHUNK])
            )
        )
        for model_id, name, architecture in rows:
            ids.setdefault((name, architecture), model_id)
    new = [model for key, model in facts.items() if key not in ids]
    if new:
        now = utcnow()
        rows = session.execute(
            insert(Model).returning(Model.id, Model.name, Model.architecture, sort_by_parameter_order=True),
            [{**model, "created_at": now} for model in new],
        )
        for model_id, name, architecture in rows:
            ids[(name, architecture)] = model_id
    return ids


def _load_existing(session: Session) -> dict[str, _Existing]:
    existing: dict[str, _Existing] = {}
    rows = session.execute(
        select(
            Artifact.id, Artifact.path, Artifact.status, Artifact.size_bytes, Artifact.mtime_ns,
            Artifact.sha256, Artifact.source_kind, Artifact.source_detail, ArtifactFile.path,
            ArtifactFile.size_bytes,
        )
        .outerjoin(ArtifactFile, ArtifactFile.artifact_id == Artifact.id)
        .order_by(Artifact.id, ArtifactFile.position)
    )
    for aid, path, status, size, mtime, sha, kind, detail, file_path, file_size in rows:
        entry = existing.get(path)
        if entry is None:
            entry = existing[path] = _Existing(aid, path, status, size, mtime, sha, kind, detail or {})
        if file_path is not None:
            entry.files.append((file_path, file_size))
    return existing


def _unchanged(entry: _Existing, stat: os.stat_result) -> bool:
    """Same size and mtime as when last read, every file still there at its size."""
    if entry.status not in ("ok", "corrupt") or entry.mtime_ns != stat.st_mtime_ns:
        return False
    for index, (path, size) in enumerate(entry.files):
        file_stat = stat if index == 0 and path == entry.path else _stat(Path(path))
        if file_stat is None or (size is not None and file_stat.st_size != size):
            return False
    return True


def _vanished_status(entry: _Existing) -> str | None:
    """``missing`` when none of the files is left, ``incomplete`` when some are, else None."""
    paths = [Path(p) for p, _ in entry.files] or [Path(entry.path)]
    present = [p.exists() for p in paths]
    if not any(present):
        return "missing"
    if not all(present):
        return "incomplete"
    return None


def _targets_in_order(targets: Iterable[ScanTarget]) -> list[tuple[Path, StoreKind | None]]:
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
    return sorted(resolved, key=lambda pair: _PROVENANCE_RANK[pair[1] or "user"])


def _hash_task(files: Sequence[Path]) -> Callable[[CancelToken], Generator[Progress, None, str]]:
    return sha256_task(list(files))


@dataclass
class _Plan:
    """What a scan decided, before it writes anything."""

    found: dict[Path, Found]
    existing: dict[str, _Existing]
    warnings: list[str]
    unchanged: list[_Existing] = field(default_factory=list)
    provenance: list[tuple[int, Found]] = field(default_factory=list)
    to_read: list[Found] = field(default_factory=list)
    read: list[_Read] = field(default_factory=list)
    vanished: dict[int, str] = field(default_factory=dict)
    moved: dict[int, _Read] = field(default_factory=dict)
    regrouped: dict[int, _Read] = field(default_factory=dict)


def _walk(
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


def _classify(plan: _Plan) -> None:
    """Split what was found into unchanged (same size + mtime: not re-read) and to-read."""
    for path, item in plan.found.items():
        entry = plan.existing.get(str(path))
        stat = _stat(path)
        if stat is None:
            continue  # vanished while we looked
        if entry is None or path.is_dir() or not _unchanged(entry, stat):
            plan.to_read.append(item)
            continue
        plan.unchanged.append(entry)
        differs = (item.source_kind, dict(item.source_detail)) != (entry.source_kind, entry.source_detail)
        if differs and _PROVENANCE_RANK[item.source_kind] <= _PROVENANCE_RANK.get(entry.source_kind, 3):
            plan.provenance.append((entry.id, item))


def _read_headers(plan: _Plan, token: CancelToken) -> Generator[Progress, None, None]:
    total = len(plan.to_read)
    for index, item in enumerate(plan.to_read):
        token.raise_if_cancelled()
        if index % 25 == 0:
            yield Progress(index / total, f"Reading {item.path.name} ({index + 1}/{total})")
        plan.read.append(_read(item))


def _find_vanished(plan: _Plan) -> None:
    """Every known artifact this scan did not find: missing, incomplete, or still there."""
    for path, entry in plan.existing.items():
        if Path(path) in plan.found or entry.status == "missing":
            continue
        status = _vanished_status(entry)
        if status is not None and status != entry.status:
            plan.vanished[entry.id] = status


def _match_moves(plan: _Plan, token: CancelToken) -> Generator[Progress, None, None]:
    """A new path whose size, then SHA-256, equal a missing artifact's is that artifact moved.

    Only new artifacts with the size of a missing one that has a recorded hash are hashed
    (the store's own digest is used when it gives one).
    """
    pool: dict[int, list[_Existing]] = {}
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
            digest = yield from _hash_task([Path(p) for p, _ in item.files])(token)
        match = next((c for c in candidates if c.sha256 == digest), None)
        if match is not None:
            candidates.remove(match)
            plan.moved[match.id] = item
            plan.vanished.pop(match.id, None)


def _regroup_split_sets(plan: _Plan) -> None:
    """A new artifact sharing a file with a known one that this scan did not find is that
    artifact under another canonical path: a split set whose first part went missing (it is
    then named by its lowest part present) or came back. It keeps its id."""
    by_file: dict[str, _Existing] = {}
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


def _file_rows(artifact_id: int, item: _Read) -> list[dict[str, Any]]:
    return [
        {"artifact_id": artifact_id, "position": position, "path": path, "size_bytes": size}
        for position, (path, size) in enumerate(item.files)
    ]


def _write(session: Session, plan: _Plan, now: Any) -> tuple[int, int, dict[Path, int]]:
    """Apply the plan in the caller's transaction; return (added, updated, path -> id)."""
    model_ids = _model_ids(session, plan.read)

    def model_id(item: _Read) -> int | None:
        facts = _model_facts(item)
        return None if facts is None else model_ids.get((facts["name"], facts["architecture"]))

    seen_ids: dict[Path, int] = {}
    moved_to = {id(item): artifact_id for artifact_id, item in plan.moved.items()}
    regrouped_to = {id(item): artifact_id for artifact_id, item in plan.regrouped.items()}
    inserts: list[_Read] = []
    updates: list[tuple[int, _Read, dict[str, Any]]] = []
    for item in plan.read:
        artifact_id = moved_to.get(id(item))
        entry = plan.existing.get(str(item.found.path))
        if artifact_id is not None:
            # Hashing proved the bytes equal: the file is verified at its new place.
            values = {
                "path": str(item.found.path),
                "verified_at": now,
                "source_kind": item.found.source_kind,
                "source_detail": dict(item.found.source_detail),
            }
            updates.append((artifact_id, item, values))
        elif id(item) in regrouped_to:
            artifact_id = regrouped_to[id(item)]
            values = {"path": str(item.found.path)}
            before = next(e for e in plan.existing.values() if e.id == artifact_id)
            if before.size_bytes != item.size_bytes:
                values.update(sha256=None, verified_at=None)
            updates.append((artifact_id, item, values))
        elif entry is None:
            inserts.append(item)
        else:
            values: dict[str, Any] = {}
            if (entry.size_bytes, entry.mtime_ns) != (item.size_bytes, item.mtime_ns):
                values.update(sha256=item.found.known_sha256, verified_at=None)  # new content
            elif item.found.known_sha256:
                values["sha256"] = item.found.known_sha256
            if _PROVENANCE_RANK[item.found.source_kind] <= _PROVENANCE_RANK.get(entry.source_kind, 3):
                values.update(
                    source_kind=item.found.source_kind, source_detail=dict(item.found.source_detail)
                )
            updates.append((entry.id, item, values))

    if inserts:
        rows = [
            {
                **_header_columns(item),
                "path": str(item.found.path),
                "model_id": model_id(item),
                "sha256": item.found.known_sha256,
                "source_kind": item.found.source_kind,
                "source_detail": dict(item.found.source_detail),
                "added_at": now,
                "seen_at": now,
            }
            for item in inserts
        ]
        new_ids = session.execute(
            insert(Artifact).returning(Artifact.id, sort_by_parameter_order=True), rows
        ).scalars().all()
        pairs = list(zip(new_ids, inserts, strict=True))
        session.execute(insert(ArtifactFile), [r for i, item in pairs for r in _file_rows(i, item)])
        seen_ids.update((item.found.path, i) for i, item in pairs)

    if updates:
        # ORM bulk UPDATE by primary key: one executemany per distinct set of columns.
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for artifact_id, item, values in updates:
            row = {"id": artifact_id, **_header_columns(item), **values, "model_id": model_id(item), "seen_at": now}
            by_columns.setdefault(tuple(sorted(row)), []).append(row)
            seen_ids[item.found.path] = artifact_id
        for rows_alike in by_columns.values():
            session.execute(update(Artifact), rows_alike)
        ids = [artifact_id for artifact_id, _, _ in updates]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            session.execute(delete(ArtifactFile).where(ArtifactFile.artifact_id.in_(chunk)))
        session.execute(insert(ArtifactFile), [r for i, item, _ in updates for r in _file_rows(i, item)])

    if plan.vanished:
        session.execute(update(Artifact), [{"id": i, "status": s} for i, s in plan.vanished.items()])
    unchanged_ids = [entry.id for entry in plan.unchanged]
    for start in range(0, len(unchanged_ids), _CHUNK):
        chunk = unchanged_ids[start : start + _CHUNK]
        session.execute(update(Artifact).where(Artifact.id.in_(chunk)).values(seen_at=now))
    if plan.provenance:
        session.execute(
            update(Artifact),
            [
                {"id": i, "source_kind": f.source_kind, "source_detail": dict(f.source_detail)}
                for i, f in plan.provenance
            ],
        )
    seen_ids.update((Path(entry.path), entry.id) for entry in plan.unchanged)
    return len(inserts), len(updates) - len(plan.moved), seen_ids


def _ingest(
    inventory: Inventory,
    targets: Sequence[tuple[Path, StoreKind | None]],
    token: CancelToken,
    mark_missing: bool,
) -> Generator[Progress, None, ScanSummary]:
    """The scan itself (see the module docstring): plan while reading, then write once."""
    warnings: list[str] = []
    found = yield from _walk(targets, token, warnings)
    with inventory.session() as session:
        existing = _load_existing(session)
    plan = _Plan(found, existing, warnings)
    _classify(plan)
    yield from _read_headers(plan, token)
    if mark_missing:
        _find_vanished(plan)
    yield from _match_moves(plan, token)
    _regroup_split_sets(plan)

    token.raise_if_cancelled()
    yield Progress(1.0, "Saving the inventory")
    now = utcnow()
    with inventory.session() as session:
        added, updated, seen_ids = _write(session, plan, now)
    inventory.mark_scan_roots_scanned([root for root, kind in targets if kind is not None], now)
    statuses = list(plan.vanished.values())
    return ScanSummary(
        added=added,
        updated=updated,
        moved=len(plan.moved),
        missing=statuses.count("missing"),
        incomplete=statuses.count("incomplete"),
        corrupt=sum(item.status == "corrupt" for item in plan.read),
        unchanged=len(plan.unchanged),
        artifact_ids=tuple(seen_ids[p] for p in found if p in seen_ids),
        warnings=tuple(warnings),
    )


def scan_task(
    inventory: Inventory, targets: Iterable[ScanTarget], mark_missing: bool = True
) -> Callable[[CancelToken], Generator[Progress, None, ScanSummary]]:
    """A task that scans ``targets`` into ``inventory`` and returns a :class:`ScanSummary`.

    ``targets``: store roots with their kind, scan-root records, or bare paths (a GGUF
    file or model folder is adopted as ``user``; another folder's layout is guessed with
    :func:`stores.detect_store_kind`). With ``mark_missing`` every known artifact not found
    by this scan is checked on disk and marked ``missing`` (or ``incomplete``) if its files
    are gone, and may then be matched to a moved file. Nothing is written until the end, in
    one transaction; cancelling (``Cancelled``) leaves the inventory as it was.

    Progress: fraction None while walking folders, then the share of headers read, then
    bytes hashed for move candidates.

    Raises:
        UserError: a bare path that is neither a model nor a folder (before any work).
        Cancelled: the token was cancelled.
    """
    resolved = _targets_in_order(targets)

    def task(token: CancelToken) -> Generator[Progress, None, ScanSummary]:
        return (yield from _ingest(inventory, resolved, token, mark_missing))

    return task


def rescan_task(
    inventory: Inventory,
) -> Callable[[CancelToken], Generator[Progress, None, ScanSummary]]:
    """A task that scans every enabled scan root (see :func:`scan_task`)."""
    return scan_task(inventory, inventory.list_scan_roots(enabled_only=True))


def add_paths(
    inventory: Inventory, paths: Iterable[str | os.PathLike[str]], token: CancelToken | None = None
) -> list[ArtifactRecord]:
    """Adopt files or folders the user picked; return their records (in the order found).

    A GGUF file or model folder is recorded with source ``user``; any other folder is scanned
    (layout detected). Unreadable files are recorded as ``corrupt``. Other artifacts are not
    touched (no missing check). Blocks while reading headers: run it off the GUI thread.

    Raises:
        UserError: a path that is neither a model nor a folder.
    """
    resolved = _targets_in_order([Path(os.fspath(p)) for p in paths])
    summary = run_inline(lambda t: _ingest(inventory, resolved, t, mark_missing=False), token)
    return inventory.get_artifacts(summary.artifact_ids)


def verify_task(
    inventory: Inventory, artifact_id: int
) -> Callable[[CancelToken], Generator[Progress, None, Any]]:
    """A task that hashes every file of an artifact (in order, as one stream) and stores the
    result: see :meth:`Inventory.set_verified` (a mismatch with the recorded SHA-256 marks the
    artifact ``corrupt``). Returns a :class:`~slmdesk.inventory.records.VerifyResult`.

    Raises:
        UserError: unknown artifact, or a file is missing/unreadable.
        Cancelled: the token was cancelled (nothing is stored).
    """

    def task(token: CancelToken) -> Generator[Progress, None, Any]:
        record = inventory.get_artifact(artifact_id)
        if record is None:
            raise UserError(f"There is no artifact {artifact_id} in the inventory.")
        digest = yield from sha256_task(list(record.files))(token)
        return inventory.set_verified(artifact_id, digest)

    return task


def ensure_default_scan_roots(
    inventory: Inventory,
    home: Path,
    environ: Mapping[str, str] | None = None,
    system: str | None = None,
    extra: Iterable[Path] = (),
) -> list[ScanRootRecord]:
    """Register the other tools' stores found under ``home`` (and ``extra`` folders, e.g.
    slmdesk's own models folder, as plain folders) as default scan roots. Roots already
    registered keep their settings (a default the user disabled stays disabled). Returns
    every scan root."""
    for location in default_store_locations(home, environ, system):
        inventory.add_scan_root(location.path, location.kind, is_default=True)
    for folder in extra:
        if folder.is_dir():
            inventory.add_scan_root(folder, "folder", is_default=True)
    return inventory.list_scan_roots()

