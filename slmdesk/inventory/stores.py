"""Model stores of other tools: where they live per OS, and which artifacts they hold.

Each ``walk_*`` function yields :class:`Found` items (an artifact's canonical path plus its
provenance) without reading headers; :mod:`slmdesk.inventory.scan_plan` does the reading.
Layouts, as those tools write them:

- Hugging Face cache: ``models--org--name/{blobs,refs,snapshots/<commit>/...}``, read with
  ``huggingface_hub.scan_cache_dir`` (``utils/_cache_manager.py``).
- LM Studio: ``<models>/<publisher>/<repo>/<file>.gguf`` (lmstudio-ai/docs, "Download models"
  / "Import models": ``lms import`` places files in that layout).
- GPT4All: a flat folder of ``.gguf`` files in the app data folder (nomic-ai/gpt4all
  ``gpt4all-chat/src/mysettings.cpp``: ``QStandardPaths::AppLocalDataLocation``).
- Ollama: ``<models>/manifests/<host>/<namespace>/<name>/<tag>`` (an OCI image manifest in
  JSON) and ``<models>/blobs/sha256-<hex>``; the layer with media type
  ``application/vnd.ollama.image.model`` is the GGUF file (ollama ``server/images.go``,
  ``server/modelpath.go``; ``OLLAMA_MODELS`` overrides the folder, ``envconfig/config.go``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmdesk.core.tasks import CancelToken
from slmdesk.formats import split
from slmdesk.formats.detect import discover
from slmdesk.inventory.paths import normalize_path
from slmdesk.inventory.records import SourceKind, StoreKind

OLLAMA_MODEL_MEDIA_TYPE = "application/vnd.ollama.image.model"
OLLAMA_DEFAULT_HOST = "registry.ollama.ai"
OLLAMA_DEFAULT_NAMESPACE = "library"
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Found:
    """An artifact a store holds, before its header is read.

    Attributes:
        path: canonical path (GGUF file, first split part, ONNX/HF folder), normalised.
        source_kind: provenance kind recorded with the artifact.
        source_detail: provenance details (JSON-ready).
        known_sha256: the file's SHA-256 when the store names it (Ollama blob digest, an
            LFS blob in the HF cache), else None.
    """

    path: Path
    source_kind: SourceKind
    source_detail: Mapping[str, Any] = field(default_factory=dict, hash=False)
    known_sha256: str | None = None


@dataclass(frozen=True)
class StoreLocation:
    """A folder where a tool keeps models, and its layout."""

    path: Path
    kind: StoreKind


def default_store_locations(
    home: Path, environ: Mapping[str, str] | None = None, system: str | None = None
) -> list[StoreLocation]:
    """The known stores of other tools that exist under ``home`` (or where ``environ`` points).

    ``system`` is ``platform.system()`` ("Linux", "Darwin", "Windows"); ``environ`` defaults to
    ``os.environ``. Tests pass a fake home and an empty environment. Candidates, in order:

    - HF cache: ``HF_HUB_CACHE``, else ``HF_HOME/hub``, else ``XDG_CACHE_HOME/huggingface/hub``
      (not on Windows), else ``~/.cache/huggingface/hub`` (huggingface_hub ``constants.py``).
    - LM Studio: ``~/.lmstudio/models`` (0.3+), ``~/.cache/lm-studio/models`` (older).
    - GPT4All: Linux ``$XDG_DATA_HOME`` or ``~/.local/share`` + ``/nomic.ai/GPT4All``; macOS
      ``~/Library/Application Support/nomic.ai/GPT4All``; Windows
      ``%LOCALAPPDATA%/nomic.ai/GPT4All`` (else ``~/AppData/Local/...``).
    - Ollama: ``OLLAMA_MODELS``, else ``~/.ollama/models``.

    Returns only folders that exist, without duplicates.
    """
    import platform

    env = os.environ if environ is None else environ
    system = system or platform.system()
    candidates: list[StoreLocation] = []

    if env.get("HF_HUB_CACHE"):
        hf = Path(env["HF_HUB_CACHE"])
    elif env.get("HF_HOME"):
        hf = Path(env["HF_HOME"]) / "hub"
    elif env.get("XDG_CACHE_HOME") and system != "Windows":
        hf = Path(env["XDG_CACHE_HOME"]) / "huggingface" / "hub"
    else:
        hf = home / ".cache" / "huggingface" / "hub"
    candidates.append(StoreLocation(hf, "hf_cache"))

    candidates.append(StoreLocation(home / ".lmstudio" / "models", "lmstudio"))
    candidates.append(StoreLocation(home / ".cache" / "lm-studio" / "models", "lmstudio"))

    if system == "Darwin":
        gpt4all = home / "Library" / "Application Support" / "nomic.ai" / "GPT4All"
    elif system == "Windows":
        local = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else home / "AppData" / "Local"
        gpt4all = local / "nomic.ai" / "GPT4All"
    else:
        data = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
        gpt4all = data / "nomic.ai" / "GPT4All"
    candidates.append(StoreLocation(gpt4all, "gpt4all"))

    ollama = Path(env["OLLAMA_MODELS"]) if env.get("OLLAMA_MODELS") else home / ".ollama" / "models"
    candidates.append(StoreLocation(ollama, "ollama"))

    seen: set[Path] = set()
    found = []
    for location in candidates:
        path = normalize_path(location.path)
        if path in seen or not path.is_dir():
            continue
        seen.add(path)
        found.append(StoreLocation(path, location.kind))
    return found


def detect_store_kind(path: Path) -> StoreKind:
    """Guess a folder's layout: ``ollama`` (``manifests/`` + ``blobs/``), ``hf_cache`` (holds
    ``models--*`` folders), else ``folder`` (LM Studio and GPT4All folders are plain folders of
    GGUF files; they are recognised only at their default locations)."""
    if (path / "manifests").is_dir() and (path / "blobs").is_dir():
        return "ollama"
    try:
        with os.scandir(path) as entries:
            if any(e.name.startswith("models--") and e.is_dir() for e in entries):
                return "hf_cache"
    except OSError:
        pass
    return "folder"


Walker = Callable[[Path, CancelToken | None, list[str]], Iterator[Found]]


def walk_folder(root: Path, cancel: CancelToken | None, warnings: list[str]) -> Iterator[Found]:
    """Every artifact below ``root`` (recursive, via ``formats.detect.discover``)."""
    for path in discover(root, cancel):
        yield Found(normalize_path(path), "folder", {"root": str(root)})


def walk_lmstudio(root: Path, cancel: CancelToken | None, warnings: list[str]) -> Iterator[Found]:
    """LM Studio's ``publisher/repo/file.gguf`` tree; provenance {publisher, repo, file_name}."""
    for path in discover(root, cancel):
        path = normalize_path(path)
        parts = path.relative_to(root).parts
        detail: dict[str, Any] = {"file_name": "/".join(parts[2:]) if len(parts) > 2 else path.name}
        if len(parts) >= 3:
            detail = {"publisher": parts[0], "repo": parts[1], **detail}
        yield Found(path, "lmstudio", detail)


def walk_gpt4all(root: Path, cancel: CancelToken | None, warnings: list[str]) -> Iterator[Found]:
    """GPT4All's folder of GGUF files; provenance {file_name}."""
    for path in discover(root, cancel):
        path = normalize_path(path)
        yield Found(path, "gpt4all", {"file_name": str(path.relative_to(root))})


def walk_hf_cache(root: Path, cancel: CancelToken | None, warnings: list[str]) -> Iterator[Found]:
    """Artifacts in the snapshots of a Hugging Face cache (model repos only).

    Provenance: {repo_id, revision (commit hash), refs, file_name (path in the repo; "" for
    a model folder that is the whole snapshot)}. A
    single-file artifact whose blob is named by a 64-hex LFS oid gets it as ``known_sha256``
    (the Hub names LFS blobs by their SHA-256: ``file_download.py``, ``blob_path``).
    Problems ``scan_cache_dir`` reports (a broken repo folder) are added to ``warnings``.
    """
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(root)
    except CacheNotFound as error:
        warnings.append(f"{root}: not a Hugging Face cache ({error})")
        return
    for problem in info.warnings:
        warnings.append(f"{root}: {problem}")
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in sorted(repo.revisions, key=lambda r: r.commit_hash):
            snapshot = normalize_path(revision.snapshot_path)
            for path in discover(snapshot, cancel):
                path = normalize_path(path)
                detail = {
                    "repo_id": repo.repo_id,
                    "revision": revision.commit_hash,
                    "refs": sorted(revision.refs),
                    # A folder artifact at the snapshot's root is the whole repo: "".
                    "file_name": "" if path == snapshot else path.relative_to(snapshot).as_posix(),
                }
                known = None
                # One blob is the whole artifact only for an unsplit GGUF file: the digest of
                # a split set covers the concatenated parts.
                if path.is_symlink() and not path.is_dir() and not split.is_split_part(path):
                    blob = path.resolve().name
                    known = blob if _SHA256_HEX.match(blob) else None
                yield Found(path, "hf_cache", detail, known)


def ollama_name(relative: tuple[str, ...]) -> str:
    """``name:tag`` for a manifest at ``<host>/<namespace>/<name>/<tag>`` under ``manifests/``,
    dropping the default host and the ``library`` namespace as ``ollama list`` does
    (``registry.ollama.ai/library/llama3/latest`` -> ``llama3:latest``,
    ``hf.co/org/repo/Q4_K_M`` -> ``hf.co/org/repo:Q4_K_M``)."""
    *parts, tag = relative
    if len(parts) == 3 and parts[0] == OLLAMA_DEFAULT_HOST:
        parts = parts[1:]
        if parts[0] == OLLAMA_DEFAULT_NAMESPACE:
            parts = parts[1:]
    return f"{'/'.join(parts)}:{tag}"


def walk_ollama(root: Path, cancel: CancelToken | None, warnings: list[str]) -> Iterator[Found]:
    """The GGUF blobs of an Ollama store, one per blob even when several tags share it.

    Provenance: {name ("name:tag", the first in sort order), names (every tag), digest
    ("sha256:<hex>")}; the digest is the blob's SHA-256, so it becomes ``known_sha256``.
    Manifests that are not JSON, lack a model layer or point at a missing blob are reported
    in ``warnings`` and skipped.
    """
    manifests = root / "manifests"
    names_by_blob: dict[Path, list[str]] = {}
    digests: dict[Path, str] = {}
    for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
        if cancel is not None:
            cancel.raise_if_cancelled()
        relative = manifest.relative_to(manifests).parts
        name = ollama_name(relative)
        try:
            layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
            digest = next(
                layer["digest"] for layer in layers if layer.get("mediaType") == OLLAMA_MODEL_MEDIA_TYPE
            )
        except (OSError, ValueError, AttributeError, KeyError, TypeError, StopIteration):
            warnings.append(f"{manifest}: not an Ollama model manifest (no model layer)")
            continue
        algorithm, _, hex_digest = str(digest).partition(":")
        if algorithm != "sha256" or not _SHA256_HEX.match(hex_digest):
            warnings.append(f"{manifest}: unexpected digest {digest!r}")
            continue
        blob = normalize_path(root / "blobs" / f"sha256-{hex_digest}")
        if not blob.is_file():
            warnings.append(f"{name}: its model blob {blob.name} is missing")
            continue
        names_by_blob.setdefault(blob, []).append(name)
        digests[blob] = hex_digest
    for blob, names in names_by_blob.items():
        names = sorted(names)
        detail = {"name": names[0], "names": names, "digest": f"sha256:{digests[blob]}"}
        yield Found(blob, "ollama", detail, digests[blob])


WALKERS: dict[StoreKind, Walker] = {
    "folder": walk_folder,
    "hf_cache": walk_hf_cache,
    "lmstudio": walk_lmstudio,
    "gpt4all": walk_gpt4all,
    "ollama": walk_ollama,
}
"""How each store kind is walked."""


def walk_store(
    root: Path, kind: StoreKind, cancel: CancelToken | None, warnings: list[str]
) -> Iterator[Found]:
    """The artifacts in the store ``root`` of layout ``kind``; an unreadable or missing root
    adds a warning and yields nothing."""
    if not root.is_dir():
        warnings.append(f"{root}: folder not found")
        return
    try:
        yield from WALKERS[kind](root, cancel, warnings)
    except PermissionError as error:
        warnings.append(f"{root}: {error.strerror} ({error.filename})")
