"""Frozen records that the inventory hands out; ORM rows never leave ``slmdesk.inventory``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from slmdesk.core.model_spec import ArtifactFormat

ArtifactStatus = Literal["ok", "missing", "incomplete", "corrupt"]
"""``ok``: present and readable; ``missing``: gone from its path (the row is kept as history);
``incomplete``: some parts of a split set (or of a folder) are gone; ``corrupt``: the header
cannot be read, or the SHA-256 does not match the one recorded."""

SourceKind = Literal["folder", "hf_cache", "lmstudio", "gpt4all", "ollama", "user", "starter", "download",
                     "quantize", "convert", "onnx-build"]
"""Where an artifact was adopted from: a scanned folder, one of the four known stores, or a
file the user picked (``user``); or what slmdesk made: a download into a folder outside the
Hugging Face cache (``download``), a quantization, an HF-to-GGUF conversion or an ONNX build
(their lineage rows say from what)."""

StoreKind = Literal["folder", "hf_cache", "lmstudio", "gpt4all", "ollama"]
"""The layout of a scan root, which decides how it is walked and what provenance is kept."""

STORE_KINDS: tuple[StoreKind, ...] = ("folder", "hf_cache", "lmstudio", "gpt4all", "ollama")
ARTIFACT_STATUSES: tuple[ArtifactStatus, ...] = ("ok", "missing", "incomplete", "corrupt")
ARTIFACT_FORMATS: tuple[ArtifactFormat, ...] = ("gguf", "onnx", "hf")
LOADABLE_FORMATS: tuple[ArtifactFormat, ...] = ("gguf", "onnx")
"""Formats the engines load: llama.cpp (GGUF) and ONNX Runtime GenAI."""

JSON_FIELDS: tuple[str, ...] = (
    "id", "path", "format", "architecture", "quantization", "size_bytes", "n_params",
    "context_length", "n_layer", "n_head", "n_head_kv", "n_embd", "n_vocab", "sliding_window",
    "chat_template", "sha256", "status", "error", "error_hint", "source",
)
"""Field names of the CLI's JSON output for one artifact: part of the command-line interface."""


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class ArtifactRecord:
    """One loadable artifact in the inventory (a GGUF file, a split GGUF set, a model folder).

    Attributes:
        id: database id, stable across moves (a moved file keeps its id).
        path: the GGUF file, the first part of a split set, or the ONNX/HF folder.
        format: "gguf", "onnx" or "hf".
        files: every file of the artifact in order (split parts, weight files); at least
            ``path`` for a single GGUF file.
        status: "ok", "missing", "incomplete" or "corrupt" (see :data:`ArtifactStatus`).
        size_bytes: total bytes on disk of ``files`` (Python int: files exceed 2**31 bytes).
        mtime_ns: modification time of ``path`` when last read, nanoseconds since the epoch.
        source_kind: where it was adopted from (:data:`SourceKind`).
        source_detail: provenance, by kind: ``hf_cache`` {repo_id, revision, file_name, refs},
            ``ollama`` {name ("name:tag"), names, digest}, ``lmstudio`` {publisher, repo,
            file_name}, ``starter`` {package, version}; empty for plain folders. Read-only.
        sha256: lowercase hex SHA-256 of the concatenated files, when known (hashed by
            :func:`~slmdesk.inventory.scanners.verify_task`, or given by the store, e.g. the
            Ollama blob digest), else None.
        error: why the artifact is corrupt or incomplete (the reader's message, or the
            SHA-256 mismatch), else None.
        error_hint: what the user can do about ``error`` (the reader's hint), else None.
        model_id / model_name: the model this artifact belongs to, if any.
        name: the display name (:mod:`slmdesk.formats.naming`), None for unreadable files.
        architecture, quantization, n_params, context_length, n_layer, n_head,
        n_head_kv, n_embd, n_vocab, sliding_window, chat_template, split_count: header facts
        as read by ``slmdesk.formats`` (see :class:`~slmdesk.core.model_spec.ModelSpec`);
        ``n_head``/``n_head_kv`` are the largest per-layer values. None when unknown.
        added_at / verified_at / seen_at: UTC times of adoption, of the last SHA-256 check,
        of the last scan that found the file.
    """

    id: int
    path: Path
    format: ArtifactFormat
    files: tuple[Path, ...]
    status: ArtifactStatus
    size_bytes: int
    mtime_ns: int | None
    source_kind: str
    source_detail: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)
    sha256: str | None = None
    error: str | None = None
    error_hint: str | None = None
    model_id: int | None = None
    model_name: str | None = None
    name: str | None = None
    architecture: str | None = None
    quantization: str | None = None
    n_params: int | None = None
    context_length: int | None = None
    n_layer: int | None = None
    n_head: int | None = None
    n_head_kv: int | None = None
    n_embd: int | None = None
    n_vocab: int | None = None
    sliding_window: int | None = None
    chat_template: str | None = None
    split_count: int = 1
    added_at: datetime | None = None
    verified_at: datetime | None = None
    seen_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_detail", _frozen_mapping(self.source_detail))

    @property
    def loadable(self) -> bool:
        """The engines can load it: present and whole (status "ok"), and a GGUF or an ONNX
        GenAI model (an HF folder needs converting first)."""
        return self.status == "ok" and self.format in LOADABLE_FORMATS

    @property
    def display_name(self) -> str:
        """The name by the one display-name rule (:mod:`slmdesk.formats.naming`, stored when
        the header was read), else the file or folder name (unreadable files)."""
        return self.name or self.path.name

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON object (keys in :data:`JSON_FIELDS` order; ``source`` is
        ``{"kind": ..., **detail}``)."""
        return {
            "id": self.id,
            "path": str(self.path),
            "format": self.format,
            "architecture": self.architecture,
            "quantization": self.quantization,
            "size_bytes": self.size_bytes,
            "n_params": self.n_params,
            "context_length": self.context_length,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_head_kv": self.n_head_kv,
            "n_embd": self.n_embd,
            "n_vocab": self.n_vocab,
            "sliding_window": self.sliding_window,
            "chat_template": self.chat_template,
            "sha256": self.sha256,
            "status": self.status,
            "error": self.error,
            "error_hint": self.error_hint,
            "source": {"kind": self.source_kind, **self.source_detail},
        }


@dataclass(frozen=True)
class ModelRecord:
    """A model: what several artifacts (quantizations, formats) are versions of.

    Attributes:
        id: database id.
        name: display name by the rule of :mod:`slmdesk.formats.naming`.
        family: model family ("SmolLM2", "gemma-3"), from ``general.basename`` when known.
        architecture: ``general.architecture`` / ``model_type``.
        publisher: organisation or author (``general.organization``, the HF repo owner).
        n_params: parameter count, when known.
        license: SPDX id or name from the header (``general.license``), when known.
        source_repo: Hugging Face repo id ("org/name") when known.
    """

    id: int
    name: str
    family: str | None = None
    architecture: str | None = None
    publisher: str | None = None
    n_params: int | None = None
    license: str | None = None
    source_repo: str | None = None


@dataclass(frozen=True)
class ScanRootRecord:
    """A place the scanner walks: a default store location or a folder the user added.

    Attributes:
        id: database id.
        path: the folder.
        kind: its layout (:data:`StoreKind`).
        is_default: True for a store location slmdesk found by itself (not user-added).
        enabled: False hides it from rescans without forgetting it.
        added_at / last_scanned_at: UTC times.
    """

    id: int
    path: Path
    kind: StoreKind
    is_default: bool
    enabled: bool
    added_at: datetime | None = None
    last_scanned_at: datetime | None = None


@dataclass(frozen=True)
class ScanFailure:
    """An artifact a scan found but could not read, and why.

    Attributes:
        path: the GGUF file, the first part present of a split set, or the model folder.
        status: "corrupt" (the header cannot be read) or "incomplete" (parts are missing).
        message: what the reader found (the same words ``slmdesk show PATH`` prints).
        hint: what to do about it ("" when the reader gave none).
    """

    path: Path
    status: ArtifactStatus
    message: str
    hint: str = ""

    def to_json(self) -> dict[str, Any]:
        """``{"path", "status", "error", "hint"}`` (the artifact JSON's field names)."""
        return {"path": str(self.path), "status": self.status, "error": self.message, "hint": self.hint or None}


@dataclass(frozen=True)
class ScanSummary:
    """What one scan changed, in counts of artifacts, and every artifact it saw.

    Attributes:
        added: artifacts new to the inventory.
        updated: known artifacts whose file changed (re-read) or came back from ``missing``.
        moved: known (missing) artifacts found again at a new path by size + SHA-256.
        missing: artifacts newly marked missing (gone from their path).
        incomplete: artifacts seen in this scan with some of their files missing (a split
            set short of a part), plus known artifacts not found whose files are partly gone.
        corrupt: artifacts seen in this scan whose header could not be read (re-read now or
            left unchanged since an earlier scan found them unreadable).
        unchanged: artifacts found where they were, same size and mtime (not re-read).
        artifact_ids: ids of every artifact found by this scan, in discovery order.
        warnings: roots that could not be read, with the reason (the scan went on).
        failures: every artifact seen in this scan that cannot be read (``corrupt`` or
            ``incomplete``), with the reader's message and hint, in discovery order.
    """

    added: int = 0
    updated: int = 0
    moved: int = 0
    missing: int = 0
    incomplete: int = 0
    corrupt: int = 0
    unchanged: int = 0
    artifact_ids: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    failures: tuple[ScanFailure, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Counts, warnings and failures as a JSON-ready dict (no ids)."""
        return {
            "added": self.added,
            "updated": self.updated,
            "moved": self.moved,
            "missing": self.missing,
            "incomplete": self.incomplete,
            "corrupt": self.corrupt,
            "unchanged": self.unchanged,
            "warnings": list(self.warnings),
            "failures": [failure.to_json() for failure in self.failures],
        }


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of hashing an artifact.

    Attributes:
        artifact_id: the artifact.
        sha256: the digest just computed (lowercase hex).
        expected: the digest recorded before (None when there was none).
        matches: True when ``expected`` equals ``sha256``; None when nothing was recorded.
        status: the artifact's status afterwards ("corrupt" on a mismatch).
    """

    artifact_id: int
    sha256: str
    expected: str | None
    matches: bool | None
    status: ArtifactStatus
