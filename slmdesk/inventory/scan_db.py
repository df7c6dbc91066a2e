"""A scan's SQL: load what the inventory knows, then write a scan plan in the caller's transaction.

Rows go in with bulk INSERT/UPDATE statements; ``IN`` lists are cut into chunks of
:data:`_CHUNK`. The plan comes from :mod:`slmdesk.inventory.scan_plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.naming import spec_display_name
from slmdesk.inventory.orm import Artifact, ArtifactFile, Model, utcnow
from slmdesk.inventory.scan_plan import PROVENANCE_RANK, KnownArtifact, ReadArtifact, ScanPlan

_CHUNK = 500
"""Rows per ``IN (...)`` list: below SQLite's bound-parameter limit (32766 since 3.32)."""


def _metadata(spec: ModelSpec, *keys: str) -> str | None:
    values = dict(spec.metadata)
    for key in keys:
        if values.get(key):
            return values[key]
    return None


def _header_columns(item: ReadArtifact) -> dict[str, Any]:
    spec = item.spec
    columns: dict[str, Any] = {
        "format": item.format,
        "status": item.status,
        "error": item.error,
        "error_hint": item.error_hint,
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
        name=spec_display_name(spec),
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


def _model_facts(item: ReadArtifact) -> dict[str, Any] | None:
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
        "name": spec_display_name(spec),
        "architecture": spec.architecture,
        "family": _metadata(spec, "general.basename"),
        "publisher": publisher,
        "n_params": spec.n_params,
        "license": _metadata(spec, "general.license", "license"),
        "source_repo": repo_id,
    }


def _model_ids(session: Session, items: Sequence[ReadArtifact]) -> dict[int, int]:
    """Find or create the model of each readable item, keyed by (name, architecture); return
    ``id(item) -> model id`` (unreadable items are left out)."""
    item_facts = {id(item): model for item in items if (model := _model_facts(item)) is not None}
    facts: dict[tuple[str, str | None], dict[str, Any]] = {}
    for model in item_facts.values():
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
    return {key: ids[(model["name"], model["architecture"])] for key, model in item_facts.items()}


def load_existing(session: Session) -> dict[str, KnownArtifact]:
    existing: dict[str, KnownArtifact] = {}
    rows = session.execute(
        select(
            Artifact.id, Artifact.path, Artifact.status, Artifact.size_bytes, Artifact.mtime_ns,
            Artifact.sha256, Artifact.source_kind, Artifact.source_detail, Artifact.error,
            Artifact.error_hint, ArtifactFile.path, ArtifactFile.size_bytes,
        )
        .outerjoin(ArtifactFile, ArtifactFile.artifact_id == Artifact.id)
        .order_by(Artifact.id, ArtifactFile.position)
    )
    for aid, path, status, size, mtime, sha, kind, detail, error, hint, file_path, file_size in rows:
        entry = existing.get(path)
        if entry is None:
            entry = existing[path] = KnownArtifact(
                aid, path, status, size, mtime, sha, kind, detail or {}, error=error, error_hint=hint
            )
        if file_path is not None:
            entry.files.append((file_path, file_size))
    return existing


def _file_rows(artifact_id: int, item: ReadArtifact) -> list[dict[str, Any]]:
    return [
        {"artifact_id": artifact_id, "position": position, "path": path, "size_bytes": size}
        for position, (path, size) in enumerate(item.files)
    ]


def write_plan(session: Session, plan: ScanPlan, now: Any) -> tuple[int, int, dict[Path, int]]:
    """Apply the plan in the caller's transaction; return (added, updated, path -> id)."""
    model_ids = _model_ids(session, plan.read)

    def model_id(item: ReadArtifact) -> int | None:
        return model_ids.get(id(item))

    seen_ids: dict[Path, int] = {}
    moved_to = {id(item): artifact_id for artifact_id, item in plan.moved.items()}
    regrouped_to = {id(item): artifact_id for artifact_id, item in plan.regrouped.items()}
    inserts: list[ReadArtifact] = []
    updates: list[tuple[int, ReadArtifact, dict[str, Any]]] = []
    for item in plan.read:
        artifact_id = moved_to.get(id(item))
        entry = plan.existing.get(str(item.found.path))
        if artifact_id is not None:
            # Hashing proved the bytes equal: the file is verified at its new place.
            values: dict[str, Any] = {
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
            values = {}
            if (entry.size_bytes, entry.mtime_ns) != (item.size_bytes, item.mtime_ns):
                values.update(sha256=item.found.known_sha256, verified_at=None)  # new content
            elif item.found.known_sha256:
                values["sha256"] = item.found.known_sha256
            if PROVENANCE_RANK[item.found.source_kind] <= PROVENANCE_RANK.get(entry.source_kind, 3):
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
