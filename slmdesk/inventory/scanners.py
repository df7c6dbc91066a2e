"""Scanning: adopt model files where they are, keep the inventory in step with the disk.

A scan is a task (``core.tasks``): it walks the stores (``stores.walk_store``), reads the
header of every new or changed artifact (``formats.detect.read_spec``), notices vanished
files (``missing``, history kept) and moved ones (same size and SHA-256 at a new path: the
row keeps its id), and writes everything in one transaction at the end, so a cancelled scan
changes nothing. Files whose header cannot be read are recorded as ``corrupt`` (or
``incomplete``: a split set short of a part) with the reader's message and hint; the scan goes
on and lists them in :attr:`ScanSummary.failures`.

This module holds the tasks; the planning is in :mod:`slmdesk.inventory.scan_plan` and the
SQL in :mod:`slmdesk.inventory.scan_db`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.formats.checksum import sha256_task
from slmdesk.inventory.orm import utcnow
from slmdesk.inventory.records import (
    ArtifactRecord,
    ArtifactStatus,
    ScanFailure,
    ScanRootRecord,
    ScanSummary,
    StoreKind,
)
from slmdesk.inventory.repository import Inventory
from slmdesk.inventory.scan_db import load_existing, write_plan
from slmdesk.inventory.scan_plan import (
    ScanPlan,
    ScanTarget,
    classify,
    find_vanished,
    match_moves,
    read_headers,
    regroup_split_sets,
    targets_in_order,
    walk_targets,
)
from slmdesk.inventory.stores import default_store_locations


def _hash_task(files: Sequence[Path]) -> Callable[[CancelToken], Generator[Progress, None, str]]:
    return sha256_task(list(files))


def _ingest(
    inventory: Inventory,
    targets: Sequence[tuple[Path, StoreKind | None]],
    token: CancelToken,
    mark_missing: bool,
) -> Generator[Progress, None, ScanSummary]:
    """The scan itself (see the module docstring): plan while reading, then write once."""
    warnings: list[str] = []
    found = yield from walk_targets(targets, token, warnings)
    with inventory.session() as session:
        existing = load_existing(session)
    plan = ScanPlan(found, existing, warnings)
    classify(plan)
    yield from read_headers(plan, token)
    if mark_missing:
        find_vanished(plan)
    yield from match_moves(plan, token, _hash_task)
    regroup_split_sets(plan)

    token.raise_if_cancelled()
    yield Progress(1.0, "Saving the inventory")
    now = utcnow()
    with inventory.write_session() as session:
        added, updated, seen_ids = write_plan(session, plan, now)
    inventory.mark_scan_roots_scanned([root for root, kind in targets if kind is not None], now)
    statuses = list(plan.vanished.values())
    failures = _failures(plan)
    return ScanSummary(
        added=added,
        updated=updated,
        moved=len(plan.moved),
        missing=statuses.count("missing"),
        incomplete=statuses.count("incomplete") + sum(f.status == "incomplete" for f in failures),
        corrupt=sum(f.status == "corrupt" for f in failures),
        unchanged=len(plan.unchanged),
        artifact_ids=tuple(seen_ids[p] for p in found if p in seen_ids),
        warnings=tuple(warnings),
        failures=failures,
    )


def _failures(plan: ScanPlan) -> tuple[ScanFailure, ...]:
    """Every artifact this scan found that cannot be read, in the order found: the headers
    read now, and the corrupt ones left unchanged since an earlier scan (with the reason
    recorded then)."""
    by_path: dict[Path, ScanFailure] = {}
    for item in plan.read:
        if item.status != "ok":
            status = cast(ArtifactStatus, item.status)
            by_path[item.found.path] = ScanFailure(item.found.path, status, item.error or "", item.error_hint or "")
    for entry in plan.unchanged:
        if entry.status == "corrupt":
            path = Path(entry.path)
            by_path[path] = ScanFailure(path, "corrupt", entry.error or "", entry.error_hint or "")
    return tuple(by_path[path] for path in plan.found if path in by_path)


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
    resolved = targets_in_order(targets)

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
    resolved = targets_in_order([Path(os.fspath(p)) for p in paths])
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
