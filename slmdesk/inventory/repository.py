"""The inventory's repository: open the database, read and change artifacts, models, scan roots.

Every public method returns frozen records (:mod:`slmdesk.inventory.records`); ORM rows never
leave this package. Methods open a short session each, so an :class:`Inventory` can be shared
between threads (the GUI reads while a scan thread writes; SQLite WAL lets readers go on
while one writer commits).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, RowMapping, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from slmdesk.core.errors import UserError
from slmdesk.inventory import db
from slmdesk.inventory.orm import Artifact, ArtifactFile, Model, ScanRoot, utcnow
from slmdesk.inventory.paths import normalize_path
from slmdesk.inventory.records import (
    STORE_KINDS,
    ArtifactRecord,
    ArtifactStatus,
    ModelRecord,
    ScanRootRecord,
    SourceKind,
    StoreKind,
    VerifyResult,
)

_ARTIFACT_COLUMNS = tuple(Artifact.__table__.c)

MISMATCH_HINT = (
    "The file was damaged or replaced since its checksum was recorded: download it again, "
    "or remove it from the library."
)
"""What to do about a SHA-256 mismatch (stored in ``artifact.error_hint``; migration 0007 gave
rows marked before it the same words)."""


def _artifact_record(row: Mapping[str, Any] | RowMapping, files: Sequence[str]) -> ArtifactRecord:
    path = Path(row["path"])
    # Most artifacts are one file: share the Path object (Path() dominates listing 10k rows).
    same = not files or (len(files) == 1 and files[0] == row["path"])
    return ArtifactRecord(
        id=row["id"],
        path=path,
        format=row["format"],
        files=(path,) if same else tuple(Path(f) for f in files),
        status=row["status"],
        size_bytes=row["size_bytes"],
        mtime_ns=row["mtime_ns"],
        source_kind=row["source_kind"],
        source_detail=row["source_detail"] or {},
        sha256=row["sha256"],
        error=row["error"],
        error_hint=row["error_hint"] or None,
        model_id=row["model_id"],
        model_name=row["model_name"],
        name=row["name"],
        architecture=row["architecture"],
        quantization=row["quantization"],
        n_params=row["n_params"],
        context_length=row["context_length"],
        n_layer=row["n_layer"],
        n_head=row["n_head"],
        n_head_kv=row["n_head_kv"],
        n_embd=row["n_embd"],
        n_vocab=row["n_vocab"],
        sliding_window=row["sliding_window"],
        chat_template=row["chat_template"],
        split_count=row["split_count"],
        added_at=row["added_at"],
        verified_at=row["verified_at"],
        seen_at=row["seen_at"],
    )


def _scan_root_record(row: ScanRoot) -> ScanRootRecord:
    return ScanRootRecord(
        id=row.id,
        path=Path(row.path),
        kind=row.kind,  # type: ignore[arg-type]
        is_default=row.is_default,
        enabled=row.enabled,
        added_at=row.added_at,
        last_scanned_at=row.last_scanned_at,
    )


def _model_record(row: Model) -> ModelRecord:
    return ModelRecord(
        id=row.id,
        name=row.name,
        family=row.family,
        architecture=row.architecture,
        publisher=row.publisher,
        n_params=row.n_params,
        license=row.license,
        source_repo=row.source_repo,
    )


class Inventory:
    """The open inventory database. Build it with :func:`open_inventory`; close it at exit."""

    def __init__(self, engine: Engine, db_path: Path) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False)
        self.db_path = db_path

    # -- plumbing (package-internal) -------------------------------------------------------

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction, committed on success (package-internal)."""
        with self._sessions.begin() as session:
            yield session

    @contextlib.contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session whose transaction takes the write lock at once (``BEGIN IMMEDIATE``),
        for a read followed by a write: it waits for another writer instead of failing with
        "database is locked" (see ``db._on_begin``). Package-internal."""
        with self._write_sessions.begin() as session:
            yield session

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (package-internal; used by tests to check pragmas)."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection (the WAL is checkpointed by the last one)."""
        self._engine.dispose()

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- artifacts -------------------------------------------------------------------------

    def _select_artifacts(self) -> Any:
        return (
            select(*_ARTIFACT_COLUMNS, Model.name.label("model_name"), ArtifactFile.path.label("file"))
            .outerjoin(Model, Artifact.model_id == Model.id)
            .outerjoin(ArtifactFile, ArtifactFile.artifact_id == Artifact.id)
            .order_by(Artifact.id, ArtifactFile.position)
        )

    def _records(self, statement: Any) -> list[ArtifactRecord]:
        records: list[ArtifactRecord] = []
        with self._engine.connect() as connection:
            current: RowMapping | None = None
            files: list[str] = []
            for row in connection.execute(statement).mappings():
                if current is None or row["id"] != current["id"]:
                    if current is not None:
                        records.append(_artifact_record(current, files))
                    current, files = row, []
                if row["file"] is not None:
                    files.append(row["file"])
            if current is not None:
                records.append(_artifact_record(current, files))
        return records

    def list_artifacts(self, status: ArtifactStatus | None = None) -> list[ArtifactRecord]:
        """Every artifact (or those with ``status``), by id, in one query (artifact x files)."""
        statement = self._select_artifacts()
        if status is not None:
            statement = statement.where(Artifact.status == status)
        return self._records(statement)

    def get_artifact(self, artifact_id: int) -> ArtifactRecord | None:
        """The artifact with id ``artifact_id``, or None."""
        found = self._records(self._select_artifacts().where(Artifact.id == artifact_id))
        return found[0] if found else None

    def get_artifacts(self, artifact_ids: Iterable[int]) -> list[ArtifactRecord]:
        """The artifacts with these ids (unknown ids are skipped), in the order given."""
        wanted = list(dict.fromkeys(artifact_ids))
        by_id: dict[int, ArtifactRecord] = {}
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            for record in self._records(self._select_artifacts().where(Artifact.id.in_(chunk))):
                by_id[record.id] = record
        return [by_id[i] for i in wanted if i in by_id]

    def find_by_path(self, path: str | os.PathLike[str]) -> ArtifactRecord | None:
        """The artifact whose path, or one of whose files (a later split part), is ``path``
        (normalised with :func:`normalize_path`); None if it is not in the inventory."""
        key = str(normalize_path(path))
        holder = (
            select(ArtifactFile.artifact_id).where(ArtifactFile.path == key).scalar_subquery()
        )
        found = self._records(
            self._select_artifacts().where(or_(Artifact.path == key, Artifact.id.in_(holder)))
        )
        return found[0] if found else None

    def is_empty(self) -> bool:
        """True when the inventory holds no artifact at all (first run: offer the starters)."""
        with self._engine.connect() as connection:
            return connection.execute(select(Artifact.id).limit(1)).first() is None

    def count_artifacts(self) -> int:
        """Number of artifacts, whatever their status."""
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count(Artifact.id))).scalar_one())

    def remove_artifact(self, artifact_id: int) -> bool:
        """Forget an artifact (its files stay on disk). Fit estimates and measurements of it
        go with it; conversations and benchmark runs keep a NULL reference.
        Returns False when there was no such artifact."""
        with self.session() as session:
            result = session.execute(delete(Artifact).where(Artifact.id == artifact_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete_artifact_files(self, artifact_id: int) -> tuple[Path, ...]:
        """Delete an artifact's files from disk, then forget it. The caller asks the user first.

        A GGUF artifact loses its file(s) (every split part); an ONNX/HF artifact loses its
        whole folder. In a Hugging Face cache the snapshot link is removed, and the blob it
        points to too unless another snapshot still links to it. Ollama blobs are refused:
        Ollama's manifests would point at nothing.

        Returns the paths removed (links, files and folders). Raises:
            UserError: unknown id, an Ollama artifact, a path that is a whole home or root
                folder, or a file that cannot be removed (the artifact then stays listed).
        """
        record = self.get_artifact(artifact_id)
        if record is None:
            raise UserError(f"There is no artifact {artifact_id} in the inventory.")
        if record.source_kind == "ollama":
            name = record.source_detail.get("name", record.path.name)
            raise UserError(
                f"{name} belongs to Ollama; deleting its blob would break Ollama.",
                f"Remove it with `ollama rm {name}`, then rescan.",
            )
        targets = [record.path] if record.format != "gguf" else list(record.files)
        for target in targets:
            if target == Path.home() or target.parent == target:
                raise UserError(f"Refusing to delete {target}: it is a home or root folder.")
        blobs: set[Path] = set()
        removed: list[Path] = []
        failures: list[str] = []
        for target in targets:
            if record.source_kind == "hf_cache":
                blobs |= _hf_blobs_behind(target)
            try:
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                else:
                    target.unlink()
                removed.append(target)
            except FileNotFoundError:
                continue
            except OSError as error:
                failures.append(f"{target}: {error.strerror}")
        for blob in sorted(blobs):
            if not _hf_blob_is_linked(blob):
                try:
                    blob.unlink()
                    removed.append(blob)
                except FileNotFoundError:
                    continue
                except OSError as error:
                    failures.append(f"{blob}: {error.strerror}")
        if failures:
            raise UserError(
                "Some files could not be deleted: " + "; ".join(failures) + ".",
                "Check their permissions (or close programs using them), then try again.",
            )
        self.remove_artifact(artifact_id)
        return tuple(removed)

    def set_verified(
        self, artifact_id: int, sha256: str, verified_at: datetime | None = None
    ) -> VerifyResult:
        """Store a freshly computed SHA-256 and compare it with the one recorded before.

        On a match (or when nothing was recorded) the hash and ``verified_at`` are stored and
        a ``corrupt`` status from an earlier mismatch is cleared to ``ok``; on a mismatch the
        recorded (expected) hash is kept, the status becomes ``corrupt``, ``error`` says why and
        ``error_hint`` what to do (:data:`MISMATCH_HINT`).

        Raises:
            UserError: the artifact is no longer in the inventory.
        """
        now = verified_at or utcnow()
        with self.write_session() as session:
            row = session.get(Artifact, artifact_id)
            if row is None:
                raise UserError(f"There is no artifact {artifact_id} in the inventory.")
            expected = row.sha256
            matches = None if expected is None else expected == sha256
            row.verified_at = now
            if matches is False:
                row.status = "corrupt"
                row.error = (
                    f"SHA-256 mismatch: the file hashes to {sha256}, expected {expected}."
                )
                row.error_hint = MISMATCH_HINT
            else:
                row.sha256 = sha256
                if row.status == "corrupt" and row.error and row.error.startswith("SHA-256"):
                    row.status, row.error, row.error_hint = "ok", None, None
            return VerifyResult(artifact_id, sha256, expected, matches, row.status)  # type: ignore[arg-type]

    def set_source(self, artifact_id: int, kind: SourceKind, detail: Mapping[str, Any]) -> None:
        """Record where an artifact came from when the caller knows better than a folder walk
        (a starter model: ``"starter"``, {package, version}). A later scan keeps it: it ranks
        first in ``scan_plan.PROVENANCE_RANK``.

        Raises:
            UserError: the artifact is no longer in the inventory.
        """
        with self.write_session() as session:
            row = session.get(Artifact, artifact_id)
            if row is None:
                raise UserError(f"There is no artifact {artifact_id} in the inventory.")
            row.source_kind, row.source_detail = kind, dict(detail)

    # -- models ----------------------------------------------------------------------------

    def list_models(self) -> list[ModelRecord]:
        """Every model, by id."""
        with self._sessions() as session:
            return [_model_record(m) for m in session.scalars(select(Model).order_by(Model.id))]

    def get_model(self, model_id: int) -> ModelRecord | None:
        """The model with id ``model_id``, or None."""
        with self._sessions() as session:
            row = session.get(Model, model_id)
            return None if row is None else _model_record(row)

    # -- scan roots ------------------------------------------------------------------------

    def list_scan_roots(self, enabled_only: bool = False) -> list[ScanRootRecord]:
        """Every scan root (default store locations first, then user-added), by id."""
        statement = select(ScanRoot).order_by(ScanRoot.is_default.desc(), ScanRoot.id)
        if enabled_only:
            statement = statement.where(ScanRoot.enabled.is_(True))
        with self._sessions() as session:
            return [_scan_root_record(r) for r in session.scalars(statement)]

    def add_scan_root(
        self, path: str | os.PathLike[str], kind: StoreKind = "folder", is_default: bool = False
    ) -> ScanRootRecord:
        """Remember a folder to scan. Idempotent: for a folder already registered, a user
        call (``is_default`` False) re-enables it and sets ``kind``; a default registration
        leaves it as it is (a default the user disabled stays disabled).

        Raises:
            UserError: ``kind`` is not one of the store kinds, or the folder does not exist.
        """
        if kind not in STORE_KINDS:
            raise UserError(f"Unknown store kind {kind!r}.", f"Use one of {', '.join(STORE_KINDS)}.")
        folder = normalize_path(path)
        if not folder.is_dir():
            raise UserError(f"{folder} is not a folder.", "Choose an existing folder to scan.")
        with self.write_session() as session:
            row = session.scalars(select(ScanRoot).where(ScanRoot.path == str(folder))).first()
            if row is None:
                row = ScanRoot(path=str(folder), kind=kind, is_default=is_default, enabled=True)
                session.add(row)
            elif not is_default:
                row.kind, row.enabled, row.is_default = kind, True, False
            session.flush()
            return _scan_root_record(row)

    def get_scan_root(self, root_id: int) -> ScanRootRecord | None:
        """The scan root with id ``root_id``, or None."""
        with self._sessions() as session:
            row = session.get(ScanRoot, root_id)
            return None if row is None else _scan_root_record(row)

    def set_scan_root_enabled(self, root_id: int, enabled: bool) -> ScanRootRecord:
        """Include or skip a root in rescans. Raises UserError for an unknown id."""
        with self.write_session() as session:
            row = session.get(ScanRoot, root_id)
            if row is None:
                raise UserError(f"There is no scan folder {root_id}.")
            row.enabled = enabled
            return _scan_root_record(row)

    def remove_scan_root(self, root_id: int) -> bool:
        """Stop scanning a folder; its artifacts stay in the inventory. False if unknown."""
        with self.session() as session:
            result = session.execute(delete(ScanRoot).where(ScanRoot.id == root_id))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def mark_scan_roots_scanned(self, paths: Iterable[Path], when: datetime) -> None:
        """Set ``last_scanned_at`` of the roots with these paths (package-internal)."""
        keys = [str(p) for p in paths]
        if not keys:
            return
        with self.session() as session:
            session.execute(
                update(ScanRoot).where(ScanRoot.path.in_(keys)).values(last_scanned_at=when)
            )


def _hf_blobs_behind(target: Path) -> set[Path]:
    """Blobs of a Hugging Face cache repo that the link ``target`` (or links in the folder
    ``target``) point to."""
    links = [target] if not target.is_dir() or target.is_symlink() else list(target.rglob("*"))
    blobs = set()
    for link in links:
        if link.is_symlink():
            blob = link.resolve()
            if blob.parent.name == "blobs":
                blobs.add(blob)
    return blobs


def _hf_blob_is_linked(blob: Path) -> bool:
    """True when a snapshot of the blob's repo (``<repo>/snapshots/*``) still links to it."""
    snapshots = blob.parent.parent / "snapshots"
    if not snapshots.is_dir():
        return False
    return any(p.is_symlink() and p.resolve() == blob for p in snapshots.rglob("*"))


def open_inventory(db_path: Path) -> Inventory:
    """Open (creating or migrating to the newest schema first) the inventory at ``db_path``.

    The one entry point at start-up, for the GUI and the CLI. See :func:`db.migrate` for the
    backup taken before a migration.

    Raises:
        InventoryDamaged: the file is not a readable database (a :class:`UserError`; see
            :mod:`slmdesk.inventory.backups` for restoring a backup).
        UserError: the file is from a newer slmdesk, or the migration failed.
    """
    db_path = normalize_path(db_path)
    db.migrate(db_path)
    return Inventory(db.create_sqlite_engine(db_path), db_path)
