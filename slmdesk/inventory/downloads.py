"""A verified download into the inventory: the artifact, its provenance and its SHA-256. The
download arrives as plain data (``slmdesk.hub.download.DownloadResult`` or anything with its
fields): hub/ and inventory/ are siblings and do not import each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from slmdesk.core.errors import UserError
from slmdesk.inventory.records import ArtifactRecord, SourceKind
from slmdesk.inventory.repository import Inventory
from slmdesk.inventory.scanners import add_paths


class DownloadedFiles(Protocol):
    """What :func:`register_download` reads of a download (``hub.download.DownloadResult``)."""

    repo_id: str
    revision: str
    filename: str
    path: Path
    sha256: str
    artifact_sha256: str
    cache_dir: Path | None
    refs: tuple[str, ...]


def provenance(result: DownloadedFiles) -> tuple[SourceKind, dict[str, Any]]:
    """``(kind, detail)`` recorded for a download.

    In the Hugging Face cache: ``hf_cache`` with the keys ``stores.walk_hf_cache`` records
    ({repo_id, revision, refs, file_name}), so a later scan of the cache finds it unchanged. In a
    folder: ``download`` with {repo_id, revision, file_name}.
    """
    if result.cache_dir is not None:
        return "hf_cache", {"repo_id": result.repo_id, "revision": result.revision, "refs": sorted(result.refs),
                            "file_name": result.filename}
    return "download", {"repo_id": result.repo_id, "revision": result.revision, "file_name": result.filename}


def register_download(inventory: Inventory, result: DownloadedFiles) -> ArtifactRecord:
    """Add a verified download to the inventory and return its record: the artifact (one for a
    whole split set), its provenance (:func:`provenance`) and its SHA-256 marked verified (for a
    split set, of the parts concatenated, as ``scanners.verify_task`` hashes it). Reads the
    header: run it off the GUI thread.

    Raises:
        UserError: the file is no longer there or is not a model slmdesk reads.
    """
    records = add_paths(inventory, [result.path])
    if not records:
        raise UserError(f"{result.path} was downloaded but is not a model slmdesk can read.",
                        "Check that the file is a GGUF file or the first part of a split set.")
    record = records[0]
    kind, detail = provenance(result)
    inventory.set_source(record.id, kind, detail)
    inventory.set_verified(record.id, result.artifact_sha256 or result.sha256)
    updated = inventory.get_artifact(record.id)
    assert updated is not None
    return updated
