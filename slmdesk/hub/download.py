"""The resumable downloader: one file or a split GGUF set from the Hugging Face Hub, with ranged GETs
into ``<target>.incomplete`` (kept across restarts and crashes), retries, an incremental SHA-256
checked against the Hub's LFS hash, and the Hugging Face cache layout (or a folder the user picks).

huggingface_hub 2.4's ``hf_hub_download`` deletes its partial file on any failure and does not
check the SHA-256 of a plain-HTTP download (field-notes 0.7, 0.12, 4.2), so the transfer is ours;
the URL, the file metadata (commit) and the HTTP session (proxies, offline switch, the Network
log's hooks) are huggingface_hub's: ``hf_hub_url``, ``get_hf_file_metadata``, ``get_session``.

Layout in the HF cache (huggingface_hub ``file_download.py``, ``_create_symlink``): the bytes in
``models--org--name/blobs/<sha256>`` (``<sha256>.incomplete`` while downloading), a relative
symlink ``snapshots/<commit>/<file>`` to it, ``refs/<branch>`` holding the commit, and the lock
``.locks/models--org--name/<sha256>.lock`` that huggingface_hub uses for the same blob. In a
folder: ``<dir>/<file>``, ``<dir>/<file>.incomplete`` and ``<dir>/<file>.incomplete.lock``; beside
the partial file a ``.json`` note names the SHA-256 it belongs to, so bytes of another revision are
never resumed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmdesk.core import offline
from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.formats.split import parse_split_name
from slmdesk.hub.errors import HubAccessDenied, HubNotFound, HubOffline, HubUnreachable
from slmdesk.hub.names import UnsafeName, check_repo_path, safe_join
from slmdesk.hub.token import access_denied, hub_token

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "DownloadPlan", "DownloadRefused", "DownloadRequest", "DownloadResult", "HubAccessDenied", "HubNotFound",
    "HubOffline", "HubUnreachable", "PlannedFile", "discard_partial", "download_task", "plan_download",
]

DEFAULT_TIMEOUT_S = 10.0
"""Seconds to wait for a connection, and for the Hub's answer while planning."""

READ_TIMEOUT_S = 30.0
"""Seconds without a byte of the file before the connection counts as dropped (then retried)."""

MAX_RETRIES = 5
"""Failed attempts in a row (no byte gained in between) before a download gives up."""

BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
"""Waits before the 1st, 2nd... retry (seconds); cancel wakes the wait."""

CHUNK_BYTES = 1 << 20
"""Bytes read, written and hashed per step (1 MiB, as curl's and huggingface_hub's buffers are of
that order); the cancel token is checked between steps."""

PROGRESS_EVERY_S = 0.1
"""At most one progress event per this many seconds (the job runner shows ~10 per second)."""

SPEED_WINDOW_S = 3.0
"""Speed (and so the ETA) is measured over the last this many seconds."""


def disk_margin_bytes(download_bytes: int) -> int:
    """Free space (bytes) asked for beyond the bytes still to download: 8 MiB plus 1% of them,
    room for the inventory's write-ahead log, file-system metadata and rounding to blocks."""
    return 8 * (1 << 20) + download_bytes // 100


class DownloadRefused(UserError):
    """Refused before (or instead of) writing: an unsafe name, a split set with a missing part,
    not enough free disk, a file that is not verifiable, the same target already being written."""


class DownloadFailed(UserError):
    """The transfer failed after it started: connection lost after retries, disk full, the bytes
    did not match the Hub's SHA-256."""


@dataclass(frozen=True)
class DownloadRequest:
    """What to download.

    Attributes:
        repo_id: ``owner/name`` of a model repository.
        filename: the file's path in the repository; the first part of a split set
            (``*-00001-of-0000N.gguf``) downloads the whole set.
        revision: a branch, tag or commit.
        target_dir: a folder to download into (``<dir>/<filename>``); None for the Hugging Face
            cache (``HF_HUB_CACHE``, else ``HF_HOME/hub``, as huggingface_hub resolves it).
    """

    repo_id: str
    filename: str
    revision: str = "main"
    target_dir: Path | None = None


@dataclass(frozen=True)
class PlannedFile:
    """One file of a plan.

    Attributes:
        path_in_repo: its path in the repository.
        size_bytes: its size on the Hub.
        sha256: its SHA-256 as the Hub lists it (the LFS ``oid``), lowercase hex.
        destination: the path it will have: ``snapshots/<commit>/<file>`` in the HF cache (a
            symlink to the blob), ``<dir>/<file>`` in a folder.
        partial_bytes: bytes already on disk (a partial file, or the whole file already there).
        storage: where the bytes are written: the blob in the HF cache, ``destination`` in a folder.
        partial_path: ``<storage>.incomplete``.
        lock_path: the lock file that keeps a second job from writing ``storage``.
    """

    path_in_repo: str
    size_bytes: int
    sha256: str
    destination: Path
    partial_bytes: int
    storage: Path = field(default=Path(), compare=False)
    partial_path: Path = field(default=Path(), compare=False)
    lock_path: Path = field(default=Path(), compare=False)

    @property
    def complete_on_disk(self) -> bool:
        """The whole file is already at ``storage`` (it is re-hashed, not downloaded)."""
        return self.partial_bytes == self.size_bytes and self.storage.is_file()


@dataclass(frozen=True)
class DownloadPlan:
    """What the Hub said and what is already here, before any byte of the file is transferred.

    Attributes:
        request: the request planned.
        commit: the 40-hex commit ``request.revision`` resolved to.
        files: the file, or every part of a split set in order.
        total_bytes: the size of all files.
        partial_bytes: bytes of them already on disk (resumed, not downloaded again).
        destination: the first file's final path (what the inventory records).
        cache_dir: the Hugging Face cache root when downloading there, else None.
        endpoint: the Hub's base URL (``HF_ENDPOINT``).
    """

    request: DownloadRequest
    commit: str
    files: tuple[PlannedFile, ...]
    total_bytes: int
    partial_bytes: int
    destination: Path
    cache_dir: Path | None = None
    endpoint: str = ""


@dataclass(frozen=True)
class DownloadResult:
    """A verified download, as plain data (``inventory.downloads.register_download`` records it).

    Attributes:
        repo_id: the repository.
        revision: the commit downloaded.
        filename: the first file's path in the repository.
        paths: every file's final path, in order (one, or each part of a split set).
        path: the first of them.
        sha256: the first (or only) file's SHA-256.
        sha256s: each file's SHA-256, in the order of ``paths``.
        artifact_sha256: the SHA-256 the inventory records: the file's, or for a split set that
            of the parts concatenated in order (as ``inventory.scanners.verify_task`` hashes it).
        size_bytes: all files together.
        resumed_from_bytes: bytes that were already on disk and not transferred again.
        seconds: wall time of the task.
        cache_dir: the HF cache root when the files are there, else None.
        refs: the branch names that point at ``revision`` in the cache (``refs/<name>``).
    """

    repo_id: str
    revision: str
    filename: str
    paths: tuple[Path, ...]
    path: Path
    sha256: str
    size_bytes: int
    resumed_from_bytes: int
    seconds: float
    sha256s: tuple[str, ...] = ()
    artifact_sha256: str = ""
    cache_dir: Path | None = None
    refs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """``slmdesk download --json``'s object (paths as strings)."""
        return {
            "repo_id": self.repo_id, "revision": self.revision, "filename": self.filename, "path": str(self.path),
            "paths": [str(p) for p in self.paths], "sha256": self.sha256, "sha256s": list(self.sha256s),
            "size_bytes": self.size_bytes, "resumed_from_bytes": self.resumed_from_bytes,
            "seconds": round(self.seconds, 3),
        }


# -- planning ----------------------------------------------------------------------------------------


def _refuse_offline() -> None:
    state = offline.current()
    if state.on:
        raise HubOffline(
            f"{state.describe()} slmdesk does not connect to the Hugging Face Hub, so it cannot download.",
            f"{state.how_to_turn_off()} Models already on this computer keep working.".strip(),
        )


def _cache_root() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _repo_folder(cache: Path, repo_id: str) -> Path:
    return cache / ("models--" + repo_id.replace("/", "--"))


def plan_download(request: DownloadRequest, timeout_s: float = DEFAULT_TIMEOUT_S) -> DownloadPlan:
    """Ask the Hub what ``request`` means and check it can be done, without transferring the file.

    Two requests: ``HEAD`` of the (first) file's ``resolve`` URL (the commit; access to a gated
    or private repository is checked here) and ``POST .../paths-info/<commit>`` for the sizes and
    LFS SHA-256 of the file or of every part of its split set.

    Returns:
        The plan: commit, files with their destinations and the bytes already on disk.

    Raises:
        HubOffline: offline mode is on; nothing was sent.
        HubUnreachable: no connection, or no answer within ``timeout_s`` seconds.
        HubAccessDenied: 401/403 (the message says what to do; the token is never shown).
        HubNotFound: the repository, revision or file does not exist.
        DownloadRefused: an unsafe file name; a split set with a missing part (named); a file
            the Hub lists without a SHA-256 (not stored with LFS); not enough free disk.
    """
    _refuse_offline()
    try:
        check_repo_path(request.filename)
    except UnsafeName as error:
        raise DownloadRefused(error.message, error.hint) from error
    if request.repo_id.count("/") != 1 or any(not part or part in (".", "..") for part in request.repo_id.split("/")):
        raise DownloadRefused(f"{request.repo_id!r} is not a repository id.", "Give it as owner/name.")
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url

    endpoint = constants.ENDPOINT.rstrip("/")
    token = hub_token()
    split = parse_split_name(request.filename.rsplit("/", 1)[-1])
    folder = request.filename.rsplit("/", 1)[0] + "/" if "/" in request.filename else ""
    names = [request.filename] if split is None else [folder + split.part_name(i) for i in range(1, split.count + 1)]
    with _hub_errors(request, endpoint, token, names[0]):
        metadata = get_hf_file_metadata(
            hf_hub_url(request.repo_id, names[0], revision=request.revision, endpoint=endpoint),
            token=token or False, timeout=timeout_s, endpoint=endpoint,
        )
        commit = metadata.commit_hash or request.revision
        entries = _paths_info(endpoint, request.repo_id, commit, names, token, timeout_s)
    missing = [name for name in names if name not in entries]
    if missing:
        if split is None:
            raise HubNotFound(f"{request.filename} is not in {request.repo_id} at {request.revision}.",
                              "Check the file name (it is case-sensitive).")
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DownloadRefused(
            f"The split set {request.filename} has {split.count} parts, but {listed} "
            f"{'is' if len(missing) == 1 else 'are'} missing from {request.repo_id} at {commit[:12]}; "
            "nothing was downloaded.", "Pick another quantization, or tell the repository's owner.")
    cache = None if request.target_dir is not None else _cache_root()
    files = tuple(_planned(request, cache, commit, name, entries[name]) for name in names)
    total = sum(f.size_bytes for f in files)
    have = sum(f.partial_bytes for f in files)
    _check_free_disk(files, total - have)
    return DownloadPlan(request=request, commit=commit, files=files, total_bytes=total, partial_bytes=have,
                        destination=files[0].destination, cache_dir=cache, endpoint=endpoint)


def _paths_info(endpoint: str, repo_id: str, commit: str, names: list[str], token: str | None,
                timeout_s: float) -> dict[str, dict[str, Any]]:
    """``{path: entry}`` from ``POST /api/models/<repo>/paths-info/<commit>`` (huggingface_hub's
    ``HfApi.get_paths_info`` route, sent here with a timeout: that method has none)."""
    from huggingface_hub import get_session
    from huggingface_hub.utils._headers import build_hf_headers
    from huggingface_hub.utils._http import hf_raise_for_status

    response = get_session().post(
        f"{endpoint}/api/models/{repo_id}/paths-info/{commit}", data={"paths": names, "expand": False},
        headers=build_hf_headers(token=token or False), timeout=timeout_s,
    )
    hf_raise_for_status(response)
    raw = response.json()
    if not isinstance(raw, list):
        raise UserError(f"The Hugging Face Hub at {endpoint} did not answer with a file list.",
                        "If HF_ENDPOINT is set, check that it names a Hub.")
    return {item["path"]: item for item in raw if isinstance(item, dict) and isinstance(item.get("path"), str)}


def _planned(request: DownloadRequest, cache: Path | None, commit: str, name: str,
             entry: dict[str, Any]) -> PlannedFile:
    try:
        check_repo_path(str(entry.get("path", "")))
    except UnsafeName as error:
        raise DownloadRefused(error.message, error.hint) from error
    lfs = entry.get("lfs") if isinstance(entry.get("lfs"), dict) else None
    sha256 = str((lfs or {}).get("oid") or (lfs or {}).get("sha256") or "").lower()
    size = entry.get("size")
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256) or not isinstance(size, int):
        raise DownloadRefused(
            f"The Hub lists {name} in {request.repo_id} without a SHA-256 (it is not stored with Git LFS), "
            "so slmdesk cannot verify it.", "Model files (GGUF, ONNX weights) are always LFS files; pick one.")
    try:
        if cache is None:
            assert request.target_dir is not None
            root = Path(os.path.abspath(request.target_dir.expanduser()))
            destination = safe_join(root, name)
            storage = destination
            partial_path = destination.with_name(destination.name + ".incomplete")
            lock_path = partial_path.with_name(partial_path.name + ".lock")
        else:
            repo_folder = _repo_folder(cache, request.repo_id)
            destination = safe_join(repo_folder / "snapshots" / commit, name)
            storage = repo_folder / "blobs" / sha256
            partial_path = storage.with_name(sha256 + ".incomplete")
            lock_path = cache / ".locks" / repo_folder.name / f"{sha256}.lock"
    except UnsafeName as error:
        raise DownloadRefused(error.message, error.hint) from error
    if storage.is_file() and storage.stat().st_size == size:
        have = size
    else:
        have = _resumable_bytes(partial_path, sha256, size)
    return PlannedFile(path_in_repo=name, size_bytes=size, sha256=sha256, destination=destination,
                       partial_bytes=have, storage=storage, partial_path=partial_path, lock_path=lock_path)


def _note_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".json")


def _resumable_bytes(partial: Path, sha256: str, size: int) -> int:
    """Bytes of ``partial`` that belong to the file with ``sha256`` (0 when the note beside it
    names another file, or the partial is longer than the file)."""
    try:
        have = partial.stat().st_size
    except OSError:
        return 0
    try:
        note = json.loads(_note_path(partial).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        note = None
    if not isinstance(note, dict) or note.get("sha256") != sha256 or have > size:
        return 0
    return have


def _check_free_disk(files: tuple[PlannedFile, ...], remaining: int) -> None:
    if remaining <= 0:
        return
    folder = files[0].storage.parent
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    needed = remaining + disk_margin_bytes(remaining)
    if free < needed:
        raise DownloadRefused(
            f"Not enough free disk space in {probe}: the download needs {_size(needed)} "
            f"({_size(remaining)} plus a margin) and {_size(free)} is free; nothing was downloaded.",
            "Free some space, or download to another folder (--dir, or HF_HOME for the Hugging Face cache).")


@contextlib.contextmanager
def _hub_errors(request: DownloadRequest, endpoint: str, token: str | None, name: str) -> Iterator[None]:
    """Turn huggingface_hub's and httpx2's errors into the UserErrors :func:`plan_download` documents."""
    import httpx2
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        yield
    except OfflineModeIsEnabled as error:
        raise HubOffline("HF_HUB_OFFLINE is set in the environment, so huggingface_hub refuses to connect to the Hub.",
                         "Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE to download.") from error
    except GatedRepoError as error:
        raise access_denied(request.repo_id, _status(error) or 401, _code(error), token is not None) from None
    except RepositoryNotFoundError as error:
        if _status(error) in (401, 403):
            raise access_denied(request.repo_id, _status(error) or 401, _code(error), token is not None) from None
        raise HubNotFound(f"There is no repository {request.repo_id} on the Hub at {endpoint}.",
                          "Check the owner/name spelling.") from None
    except RevisionNotFoundError:
        raise HubNotFound(f"{request.repo_id} has no revision {request.revision!r}.",
                          "Use a branch name, tag or commit the repository has (main by default).") from None
    except EntryNotFoundError:
        raise HubNotFound(f"{name} is not in {request.repo_id} at {request.revision}.",
                          "Check the file name (it is case-sensitive).") from None
    except HfHubHTTPError as error:
        status = _status(error)
        if status in (401, 403):
            raise access_denied(request.repo_id, status, _code(error), token is not None) from None
        if status == 404:
            raise HubNotFound(f"{name} is not in {request.repo_id} at {request.revision}.",
                              "Check the repository and file names.") from None
        raise HubUnreachable(f"The Hugging Face Hub at {endpoint} answered {status} about {request.repo_id}.",
                             "Try again later.") from None
    except httpx2.TimeoutException as error:
        raise HubUnreachable(f"The Hugging Face Hub at {endpoint} did not answer in time.",
                             _NETWORK_HINT) from error
    except (httpx2.TransportError, OSError) as error:
        raise HubUnreachable(f"Cannot reach the Hugging Face Hub at {endpoint}: {error or type(error).__name__}.",
                             _NETWORK_HINT) from error
    except ValueError as error:
        raise UserError(f"The Hugging Face Hub at {endpoint} answered with something that is not JSON.",
                        "If HF_ENDPOINT is set, check that it names a Hub.") from error


_NETWORK_HINT = ("Check the internet connection and any proxy (HTTPS_PROXY); a partial download is kept and "
                 "resumes next time.")


def _code(error: Exception) -> str:
    """The Hub's ``X-Error-Code`` of a failed response (``GatedRepo``...), or ""."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    return str(headers.get("X-Error-Code", "")) if headers is not None else ""


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


# -- downloading -------------------------------------------------------------------------------------


def download_task(plan: DownloadPlan) -> Callable[[CancelToken], Generator[Progress, None, DownloadResult]]:
    """A task that downloads (or resumes) every file of ``plan``, verifies each against the
    Hub's SHA-256 and puts it in place.

    Progress: ``Progress.of_bytes(done, total, message)`` with ``done`` counting bytes already on
    disk; the message names the file, the speed and the time left (``"model.gguf: 12.3 MB/s,
    0:42 left"``). Bytes already on disk are hashed first (``"checking ... already downloaded"``),
    so that verification needs no second pass. On cancel the partial file stays (a pause):
    :func:`discard_partial` removes it. Safe to run beside other downloads of other files; a second
    job on the same file is refused.

    Returns:
        The :class:`DownloadResult`.

    Raises:
        Cancelled: the token was cancelled; the partial file is kept.
        DownloadRefused: another job is writing the same file.
        HubAccessDenied, HubNotFound, HubUnreachable: as in :func:`plan_download` (the
            connection failed :data:`MAX_RETRIES` times in a row; the partial file is kept).
        DownloadFailed: the bytes did not match the SHA-256 (they are deleted); the disk filled
            up (the partial file is kept, cut back to the bytes that were written whole and hashed).
    """

    def task(token: CancelToken) -> Generator[Progress, None, DownloadResult]:
        return (yield from _Downloader(plan, token).run())

    return task


def discard_partial(plan: DownloadPlan) -> int:
    """Delete the partial files of ``plan`` (and their notes); return the bytes removed. Finished
    files are kept. Refused while a job writes them.

    Raises:
        DownloadRefused: a job is downloading one of them now.
    """
    removed = 0
    with _locked(plan):
        for f in plan.files:
            try:
                removed += f.partial_path.stat().st_size
                f.partial_path.unlink()
            except FileNotFoundError:
                pass
            with contextlib.suppress(FileNotFoundError):
                _note_path(f.partial_path).unlink()
    return removed


@contextlib.contextmanager
def _locked(plan: DownloadPlan) -> Iterator[None]:
    """Hold every file's lock (non-blocking), or refuse."""
    from filelock import FileLock, Timeout

    locks = []
    try:
        for f in plan.files:
            f.lock_path.parent.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(f.lock_path), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                raise DownloadRefused(
                    f"{f.path_in_repo} of {plan.request.repo_id} is already being downloaded by another job "
                    f"(lock {f.lock_path}).", "Wait for that download to finish, or cancel it.") from None
            locks.append(lock)
        yield
    finally:
        for lock in reversed(locks):
            lock.release()


class _Speed:
    """Bytes per second over the last :data:`SPEED_WINDOW_S` seconds."""

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, now: float, done: int) -> None:
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[0][0] > SPEED_WINDOW_S:
            self._samples.popleft()

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else None


class _Restart(Exception):
    """The server sent bytes from another offset than asked: start the file again from zero."""


class _Downloader:
    def __init__(self, plan: DownloadPlan, token: CancelToken) -> None:
        self.plan = plan
        self.token = token
        self.done = 0
        self.started = time.monotonic()
        self.last_event = 0.0
        self.speed = _Speed()
        self.resumed = 0
        self.headers: dict[str, str] = {}
        # The split set's SHA-256 (the parts concatenated), fed as bytes arrive; None once a part
        # had to start again (it cannot forget bytes), then :meth:`_hash_set` reads the files.
        self.combined: Any = hashlib.sha256() if len(plan.files) > 1 else None

    def _feed(self, hasher: Any, data: bytes) -> None:
        hasher.update(data)
        if self.combined is not None:
            self.combined.update(data)

    def _hash_set(self) -> Generator[Progress, None, str]:
        combined = hashlib.sha256()
        for f in self.plan.files:
            yield from self._hash_existing(f.storage, f.size_bytes, combined, f, count=False)
        return combined.hexdigest()

    def run(self) -> Generator[Progress, None, DownloadResult]:
        plan = self.plan
        from huggingface_hub.utils._headers import build_hf_headers

        if offline.current().on:
            _refuse_offline()
        self.headers = build_hf_headers(token=hub_token() or False)
        self.headers["Accept-Encoding"] = "identity"
        digests = []
        with _locked(plan):
            for f in plan.files:
                digest = yield from self._file(f)
                digests.append(digest)
            for f in plan.files:
                self._place(f)
            if len(digests) == 1:
                artifact = digests[0]
            elif self.combined is not None:
                artifact = self.combined.hexdigest()
            else:  # a part restarted: its bytes were fed twice, so hash the set again (rare)
                artifact = yield from self._hash_set()
        yield Progress.of_bytes(plan.total_bytes, plan.total_bytes, "Verified")
        return DownloadResult(
            repo_id=plan.request.repo_id, revision=plan.commit, filename=plan.files[0].path_in_repo,
            paths=tuple(f.destination for f in plan.files), path=plan.destination, sha256=digests[0],
            size_bytes=plan.total_bytes, resumed_from_bytes=self.resumed, seconds=time.monotonic() - self.started,
            sha256s=tuple(digests), artifact_sha256=artifact, cache_dir=plan.cache_dir, refs=self._refs(),
        )

    def _refs(self) -> tuple[str, ...]:
        revision = self.plan.request.revision
        return () if self.plan.cache_dir is None or revision == self.plan.commit else (revision,)

    # -- one file --------------------------------------------------------------------------------
    def _file(self, f: PlannedFile) -> Generator[Progress, None, str]:
        """Download (or resume, or re-check) ``f`` into its storage path; return its SHA-256."""
        f.storage.parent.mkdir(parents=True, exist_ok=True)
        if f.storage.is_file() and f.storage.stat().st_size == f.size_bytes:
            hasher = hashlib.sha256()
            yield from self._hash_existing(f.storage, f.size_bytes, hasher, f)
            if hasher.hexdigest() == f.sha256:
                self.resumed += f.size_bytes
                return f.sha256
            if self.plan.cache_dir is None:
                raise DownloadFailed(
                    f"{f.storage} already exists with other content than {f.path_in_repo} of "
                    f"{self.plan.request.repo_id} at {self.plan.commit[:12]}; it was left as it is.",
                    "Move it away or pick another folder (--dir), then download again.")
            f.storage.unlink()  # a damaged blob in the cache: its name promises other bytes
            self.done -= f.size_bytes
            self.combined = None
        have = _resumable_bytes(f.partial_path, f.sha256, f.size_bytes)
        note = _note_path(f.partial_path)
        note.write_text(json.dumps({"sha256": f.sha256, "size": f.size_bytes, "repo_id": self.plan.request.repo_id,
                                    "revision": self.plan.commit, "path_in_repo": f.path_in_repo}), encoding="utf-8")
        mode = "r+b" if f.partial_path.exists() else "w+b"
        with f.partial_path.open(mode, buffering=0) as out:
            out.truncate(have)
            hasher = hashlib.sha256()
            start_done = self.done
            if have:
                yield from self._hash_existing(f.partial_path, have, hasher, f)
                self.resumed += have
            position = have
            failures = 0
            restarts = 0
            while position < f.size_bytes:
                self.token.raise_if_cancelled()
                try:
                    position = yield from self._transfer(f, out, position, hasher)
                    failures = 0
                except _Restart:
                    restarts += 1
                    if restarts > 2:
                        raise DownloadFailed(
                            f"The Hub keeps sending {f.path_in_repo} from other offsets than asked; "
                            "nothing of it was kept.", "Try again later.") from None
                    out.seek(0)
                    out.truncate(0)
                    self.done = start_done
                    hasher = hashlib.sha256()
                    self.combined = None
                    position = 0
                    self.resumed -= min(self.resumed, have)
                    have = 0
                except _Retryable as error:
                    gained = error.position > position
                    position = error.position
                    failures = 0 if gained else failures + 1
                    if failures >= MAX_RETRIES:
                        raise HubUnreachable(
                            f"The download of {f.path_in_repo} failed {failures} times in a row ({error}); "
                            f"{_size(position)} of {_size(f.size_bytes)} are kept in {f.partial_path}.",
                            "Check the connection and download again: it resumes from there.") from None
                    wait = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                    yield self._event(f, f"connection lost ({error}); retrying in {wait:g} s")
                    if self.token.wait(wait):
                        raise Cancelled("cancelled") from None
            digest = hasher.hexdigest()
            if digest != f.sha256:
                out.close()
                f.partial_path.unlink(missing_ok=True)
                note.unlink(missing_ok=True)
                raise DownloadFailed(
                    f"{f.path_in_repo} of {self.plan.request.repo_id} arrived with the right size but the wrong "
                    f"content: its SHA-256 is {digest}, the Hub lists {f.sha256}. The downloaded bytes were "
                    "deleted and nothing was added to the inventory.",
                    "Download it again; if this repeats, a proxy or the mirror in HF_ENDPOINT alters files.")
            os.fsync(out.fileno())
        os.replace(f.partial_path, f.storage)
        note.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(f.storage, 0o666 & ~umask)
        return digest

    def _hash_existing(self, path: Path, length: int, hasher: Any, f: PlannedFile,
                       count: bool = True) -> Generator[Progress, None, None]:
        """Hash the first ``length`` bytes of ``path`` (into the set's hash too, and counted as
        done, unless ``count`` is False: the set re-hashed at the end)."""
        with path.open("rb") as handle:
            remaining = length
            while remaining > 0:
                self.token.raise_if_cancelled()
                chunk = handle.read(min(8 * CHUNK_BYTES, remaining))
                if not chunk:
                    break
                if count:
                    self._feed(hasher, chunk)
                    self.done += len(chunk)
                else:
                    hasher.update(chunk)
                remaining -= len(chunk)
                now = time.monotonic()
                if now - self.last_event >= PROGRESS_EVERY_S:
                    self.last_event = now
                    yield Progress.of_bytes(self.done, self.plan.total_bytes,
                                            f"{f.path_in_repo}: checking the {_size(length)} already downloaded")

    def _transfer(self, f: PlannedFile, out: Any, position: int, hasher: Any) -> Generator[Progress, None, int]:
        """One GET from ``position`` to the end; returns the new position (the end of the file).

        Raises:
            _Retryable: the connection failed or dropped (with the position reached).
            _Restart: the server sent another range than asked.
        """
        import httpx2
        from huggingface_hub import get_session, hf_hub_url

        url = hf_hub_url(self.plan.request.repo_id, f.path_in_repo, revision=self.plan.commit,
                         endpoint=self.plan.endpoint)
        out.seek(position)  # truncate() does not move the file position; resumed bytes go after the kept ones
        headers = dict(self.headers)
        if position:
            headers["Range"] = f"bytes={position}-"
        timeout = httpx2.Timeout(DEFAULT_TIMEOUT_S, read=READ_TIMEOUT_S)
        try:
            with get_session().stream("GET", url, headers=headers, timeout=timeout) as response:
                self._check_status(response, f, position)
                if position and response.status_code == 200:
                    raise _Restart()  # the whole file again: drop what we have, keep nothing mixed
                if position and not _content_range_ok(response.headers.get("Content-Range"), position,
                                                      f.size_bytes):
                    raise _Restart()
                for chunk in response.iter_raw():  # as the socket delivers it: no re-chunking copy
                    self.token.raise_if_cancelled()
                    if position + len(chunk) > f.size_bytes:
                        raise _Restart()
                    _write_all(out, chunk, position, f, self.plan)
                    self._feed(hasher, chunk)
                    position += len(chunk)
                    self.done += len(chunk)
                    now = time.monotonic()
                    if now - self.last_event >= PROGRESS_EVERY_S:
                        yield self._event(f)
        except _Restart:
            if position == 0:  # a fresh request that still is wrong
                raise DownloadFailed(f"The Hub sent more bytes of {f.path_in_repo} than its size "
                                     f"({_size(f.size_bytes)}); nothing of it was kept.",
                                     "Try again later.") from None
            raise
        except httpx2.TransportError as error:
            raise _Retryable(position, str(error) or type(error).__name__) from error
        if position < f.size_bytes:
            raise _Retryable(position, "the connection ended early")
        return position

    def _check_status(self, response: httpx2.Response, f: PlannedFile, position: int) -> None:
        status = response.status_code
        if status in (200, 206):
            return
        request = self.plan.request
        if status in (401, 403):
            raise access_denied(request.repo_id, status, response.headers.get("X-Error-Code", ""),
                                "authorization" in {k.lower() for k in self.headers})
        if status == 404:
            raise HubNotFound(f"{f.path_in_repo} is no longer in {request.repo_id} at {self.plan.commit[:12]}.",
                              "Plan the download again.")
        if status == 416 and position:
            raise _Restart()
        raise _Retryable(position, f"the Hub answered {status}")

    def _event(self, f: PlannedFile, note: str = "") -> Progress:
        now = time.monotonic()
        self.last_event = now
        self.speed.add(now, self.done)
        rate = self.speed.rate()
        total = self.plan.total_bytes
        if note:
            message = f"{f.path_in_repo}: {note}"
        elif rate:
            message = f"{f.path_in_repo}: {rate / 1e6:.1f} MB/s, {_clock((total - self.done) / rate)} left"
        else:
            message = f"{f.path_in_repo}: starting"
        return Progress.of_bytes(self.done, total, message)

    # -- placing --------------------------------------------------------------------------------
    def _place(self, f: PlannedFile) -> None:
        """In the HF cache: the snapshot symlink and ``refs/<branch>``, as huggingface_hub writes them."""
        if self.plan.cache_dir is None:
            return
        link = f.destination
        link.parent.mkdir(parents=True, exist_ok=True)
        target = os.path.relpath(f.storage, link.parent)
        if link.is_symlink() or link.exists():
            if link.is_symlink() and os.readlink(link) == target:
                return
            link.unlink()
        try:
            os.symlink(target, link)
        except OSError:  # no symlinks (Windows without developer mode): a copy, as huggingface_hub does
            shutil.copy2(f.storage, link)
        for ref in self._refs():
            ref_path = _repo_folder(self.plan.cache_dir, self.plan.request.repo_id) / "refs" / ref
            ref_path.parent.mkdir(parents=True, exist_ok=True)
            ref_path.write_text(self.plan.commit, encoding="utf-8")


class _Retryable(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position


def _write_all(out: Any, chunk: bytes, position: int, f: PlannedFile, plan: DownloadPlan) -> None:
    """Write ``chunk`` at ``position`` whole; on a full disk cut the file back to ``position`` (the
    bytes hashed so far) and say so."""
    view = memoryview(chunk)
    try:
        while view:
            written = out.write(view)
            view = view[written:]
    except OSError as error:
        with contextlib.suppress(OSError):
            out.truncate(position)
            out.seek(position)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DownloadFailed(
                f"The disk is full: {f.path_in_repo} stopped at {_size(position)} of {_size(f.size_bytes)}. "
                f"The partial file {f.partial_path} is kept; the download resumes from there.",
                "Free some space and download again, or discard the partial file "
                "(`slmdesk download ... --discard`).") from None
        raise DownloadFailed(f"Cannot write {f.partial_path}: {error.strerror or error}.",
                             "Check the folder's permissions and the disk.") from None


def _content_range_ok(value: str | None, position: int, size: int) -> bool:
    """Whether ``Content-Range: bytes a-b/total`` starts at ``position`` of a file of ``size`` bytes."""
    if not value:
        return False
    unit, _, rest = value.strip().partition(" ")
    span, _, total = rest.partition("/")
    start, _, end = span.partition("-")
    try:
        return (unit == "bytes" and int(start) == position and int(end) == size - 1
                and (total == "*" or int(total) == size))
    except ValueError:
        return False


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
