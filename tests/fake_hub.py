"""A local Hugging Face Hub on 127.0.0.1 for tests and benchmarks: the routes huggingface_hub 2.4
and slmdesk use, real bytes (files from disk or memory), and the faults a download must survive.

Routes (field-notes section 4.4; the Hub's own answers for the header names):

- ``GET /api/models``: search (``search``, repeated or comma-separated ``filter``, ``author``,
  ``sort`` descending, ``limit`` per page, ``cursor``), paged with ``Link: <...>; rel="next"``.
- ``GET /api/models/{repo}`` and ``/api/models/{repo}/revision/{rev}``: one repository
  (``sha``, ``siblings`` with sizes and LFS when ``blobs=true``, ``cardData.license``, ``gated``).
- ``GET /api/models/{repo}/tree/{rev}[/{path}]``: files and folders (``recursive``).
- ``POST /api/models/{repo}/paths-info/{rev}``: the entries for the ``paths`` asked.
- ``HEAD|GET /{repo}/resolve/{rev}/{path}``: the file, with ``X-Repo-Commit``, ``ETag``
  (``X-Linked-Etag`` / ``X-Linked-Size`` for LFS files: the SHA-256 and size), ``Accept-Ranges``;
  ``Range: bytes=a-[b]`` answered with ``206`` and ``Content-Range``.
- ``GET /api/agent-harnesses``: an empty registry (huggingface_hub asks for it once a day).

Access: a ``gated`` repository lists its metadata to anyone and answers ``401`` to a file
request without a token, ``403`` with the wrong one (``X-Error-Code: GatedRepo``); a ``private``
one answers ``401`` (``RepoNotFound``) to everything without the right token. Missing repos,
revisions and files answer ``404`` with ``X-Error-Code`` ``RepoNotFound`` /
``RevisionNotFound`` / ``EntryNotFound``.

Faults, per file (:class:`FakeFile`): ``drop_at`` (close the connection once the body reaches
that byte offset, ``drop_times`` times), ``ignore_range`` (``200`` and the whole body to a
Range request), ``wrong_content_range`` (``206`` whose ``Content-Range`` and bytes start
elsewhere than asked), ``corrupt`` (the right size, 64 wrong bytes in the middle), ``status``
(answer that status), ``rate_bytes_per_s`` (throttle). Every request is recorded in
:attr:`FakeHub.requests`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


@dataclass
class FakeFile:
    """One file of a repository: its bytes come from ``data`` or from the file at ``source``."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    lfs: bool = True
    drop_at: int | None = None
    drop_times: int = 1
    ignore_range: bool = False
    wrong_content_range: bool = False
    corrupt: bool = False
    status: int | None = None
    rate_bytes_per_s: float | None = None
    _sha256: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.data is None) == (self.source is None):
            raise ValueError("give exactly one of data and source")

    @property
    def size(self) -> int:
        """Bytes of the true file."""
        return len(self.data) if self.data is not None else self.source.stat().st_size  # type: ignore[union-attr]

    @property
    def sha256(self) -> str:
        """SHA-256 of the true bytes (what the Hub lists as the LFS ``oid``)."""
        if self._sha256 is None:
            digest = hashlib.sha256()
            for chunk in self.read(0, self.size, true_bytes=True):
                digest.update(chunk)
            self._sha256 = digest.hexdigest()
        return self._sha256

    @property
    def git_oid(self) -> str:
        """A stable 40-hex blob id (the Hub's git object id; not checked by clients)."""
        return hashlib.sha1(f"{self.path}:{self.sha256}".encode()).hexdigest()

    def read(self, start: int, end: int, true_bytes: bool = False) -> Iterator[bytes]:
        """Bytes ``[start, end)``; with ``corrupt`` (and not ``true_bytes``) 64 bytes in the middle
        of the file are flipped."""
        flip_at = self.size // 2
        position = start
        if self.data is not None:
            chunks: Iterable[bytes] = (self.data[i:min(i + CHUNK, end)] for i in range(start, end, CHUNK))
        else:
            chunks = _file_chunks(self.source, start, end)  # type: ignore[arg-type]
        for chunk in chunks:
            if self.corrupt and not true_bytes and position < flip_at + 64 and position + len(chunk) > flip_at:
                buffer = bytearray(chunk)
                for i in range(max(flip_at, position), min(flip_at + 64, position + len(chunk))):
                    buffer[i - position] ^= 0xFF
                chunk = bytes(buffer)
            position += len(chunk)
            yield chunk

    def entry(self) -> dict[str, Any]:
        """The tree / paths-info entry for this file."""
        item: dict[str, Any] = {"type": "file", "oid": self.git_oid, "size": self.size, "path": self.path}
        if self.lfs:
            item["lfs"] = {"oid": self.sha256, "size": self.size, "pointerSize": 134}
        return item


def _file_chunks(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as handle:
        handle.seek(start)
        remaining = end - start
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


@dataclass
class FakeRepo:
    """One model repository."""

    repo_id: str
    files: list[FakeFile] = field(default_factory=list)
    sha: str = ""
    license: str | None = "apache-2.0"
    gated: bool = False
    private: bool = False
    token: str | None = None
    tags: list[str] = field(default_factory=list)
    library_name: str | None = None
    pipeline_tag: str | None = "text-generation"
    downloads: int = 0
    likes: int = 0
    last_modified: str = "2026-01-01T00:00:00.000Z"
    created_at: str = "2025-01-01T00:00:00.000Z"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.sha:
            self.sha = hashlib.sha1(self.repo_id.encode()).hexdigest()

    def file(self, path: str) -> FakeFile | None:
        """The file at ``path``, or None."""
        return next((f for f in self.files if f.path == path), None)

    def summary(self, blobs: bool = False) -> dict[str, Any]:
        """The ``/api/models`` object (and, with siblings, ``/api/models/{repo}``)."""
        siblings = []
        for f in self.files:
            sibling: dict[str, Any] = {"rfilename": f.path}
            if blobs:
                sibling.update(size=f.size, blobId=f.git_oid)
                if f.lfs:
                    sibling["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
            siblings.append(sibling)
        return {
            "_id": self.sha[:24], "id": self.repo_id, "modelId": self.repo_id, "author": self.repo_id.split("/")[0],
            "sha": self.sha, "downloads": self.downloads, "likes": self.likes, "tags": list(self.tags),
            "library_name": self.library_name, "pipeline_tag": self.pipeline_tag,
            "lastModified": self.last_modified, "createdAt": self.created_at,
            "gated": "manual" if self.gated else False, "private": self.private, "disabled": False,
            "cardData": {"license": self.license} if self.license else {}, "siblings": siblings, **self.extra,
        }


@dataclass(frozen=True)
class Recorded:
    """One request the fake Hub received."""

    method: str
    path: str
    headers: dict[str, str]


class FakeHub:
    """The server. Use as a context manager, or :meth:`start` / :meth:`stop`.

    ``endpoint`` is the base URL to give huggingface_hub (``HF_ENDPOINT`` or
    ``huggingface_hub.constants.ENDPOINT``).
    """

    def __init__(self, repos: Iterable[FakeRepo] = (), page_size: int = 1000) -> None:
        self.repos: dict[str, FakeRepo] = {repo.repo_id: repo for repo in repos}
        self.page_size = page_size
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def add(self, repo: FakeRepo) -> FakeRepo:
        """Add (or replace) a repository; returns it."""
        self.repos[repo.repo_id] = repo
        return repo

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "start the fake Hub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(_Handler):
            fake = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(Recorded(method, path, headers))

    def asked(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        """The recorded requests, filtered by method and a substring of the path."""
        with self._lock:
            return [r for r in self.requests if (method is None or r.method == method) and contains in r.path]

    def resolve_url(self, repo_id: str, path: str, revision: str = "main") -> str:
        """The download URL of a file."""
        return f"{self.endpoint}/{repo_id}/resolve/{revision}/{urllib.parse.quote(path)}"


_REPO = r"(?P<repo>[^/]+/[^/]+)"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeHub

    def log_message(self, *_args: object) -> None:
        pass

    # -- plumbing -------------------------------------------------------------------------------
    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(raw)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def _token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def _repo(self, repo_id: str, files: bool = False) -> FakeRepo | None:
        """The repository if this request may see it (else the error is sent, None returned)."""
        repo = self.fake.repos.get(repo_id)
        if repo is None or (repo.private and self._token() != repo.token):
            self._error(401 if self._token() is None else 404, "RepoNotFound", f"Repository Not Found for {repo_id}")
            return None
        if files and repo.gated and self._token() != repo.token:
            status = 401 if self._token() is None else 403
            self._error(status, "GatedRepo", f"Access to model {repo_id} is restricted.")
            return None
        return repo

    def _revision_ok(self, repo: FakeRepo, revision: str) -> bool:
        if urllib.parse.unquote(revision) in ("main", repo.sha):
            return True
        self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return False

    def _dispatch(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        self.fake.record(self.command, self.path, dict(self.headers.items()))
        query = urllib.parse.parse_qs(url.query)
        route = url.path
        if route == "/api/agent-harnesses":
            # The Hub's registry object: huggingface_hub 2.4's detect_agent() calls .get on it
            # (a list made every request that builds headers fail, and was cached for a day).
            return self._json(200, {"standardEnvVars": [], "harnesses": {}})
        if route == "/api/models":
            return self._search(query)
        if m := re.fullmatch(rf"/api/models/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", route):
            return self._tree(m["repo"], m["rev"], urllib.parse.unquote(m["path"] or ""), query)
        if m := re.fullmatch(rf"/api/models/{_REPO}/paths-info/(?P<rev>[^/]+)", route):
            return self._paths_info(m["repo"], m["rev"])
        if m := re.fullmatch(rf"/api/models/{_REPO}(?:/revision/(?P<rev>[^/]+))?", route):
            return self._model(m["repo"], m["rev"] or "main", query)
        if m := re.fullmatch(rf"/{_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", route):
            return self._resolve(m["repo"], m["rev"], urllib.parse.unquote(m["path"]))
        return self._error(404, "NotFound", f"No route for {route}")

    do_GET = _dispatch  # noqa: N815 - the name http.server looks up
    do_HEAD = _dispatch  # noqa: N815 - the name http.server looks up

    def do_POST(self) -> None:
        self._dispatch()

    # -- API ----------------------------------------------------------------------------------
    def _search(self, query: dict[str, list[str]]) -> None:
        words = (query.get("search") or [""])[0].lower()
        filters = [f for value in query.get("filter", []) for f in value.split(",") if f]
        author = (query.get("author") or [None])[0]
        sort = (query.get("sort") or [None])[0]
        limit = int((query.get("limit") or [self.fake.page_size])[0])
        cursor = int((query.get("cursor") or ["0"])[0])
        found = [
            repo for repo in self.fake.repos.values()
            if not repo.private and words in repo.repo_id.lower()
            and (author is None or repo.repo_id.split("/")[0] == author)
            and all(f in repo.tags or f == repo.library_name for f in filters)
        ]
        keys = {"downloads": "downloads", "likes": "likes", "last_modified": "last_modified", "lastModified":
                "last_modified", "created_at": "created_at", "createdAt": "created_at", "trending_score": "downloads"}
        if sort in keys:
            found.sort(key=lambda repo: getattr(repo, keys[sort]), reverse=True)
        page_size = min(limit, self.fake.page_size)
        page = found[cursor:cursor + page_size]
        headers = {}
        if cursor + page_size < len(found):
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = [str(cursor + page_size)]
            next_url = f"{self.fake.endpoint}/api/models?{urllib.parse.urlencode(params, doseq=True)}"
            headers["Link"] = f'<{next_url}>; rel="next"'
        self._json(200, [repo.summary() for repo in page], headers)

    def _model(self, repo_id: str, revision: str, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id)
        if repo is None or not self._revision_ok(repo, revision):
            return
        blobs = (query.get("blobs") or ["false"])[0].lower() == "true"
        self._json(200, repo.summary(blobs=blobs))

    def _tree(self, repo_id: str, revision: str, folder: str, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id)
        if repo is None or not self._revision_ok(repo, revision):
            return
        recursive = (query.get("recursive") or ["false"])[0].lower() == "true"
        prefix = f"{folder.rstrip('/')}/" if folder else ""
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for f in repo.files:
            if not f.path.startswith(prefix):
                continue
            rest = f.path[len(prefix):]
            if "/" in rest and not recursive:
                folders.add(prefix + rest.split("/")[0])
                continue
            if recursive:
                parts = rest.split("/")[:-1]
                folders.update(prefix + "/".join(parts[:i + 1]) for i in range(len(parts)))
            entries.append(f.entry())
        if folder and not entries and not folders:
            self._error(404, "EntryNotFound", f"{folder} does not exist on {revision}")
            return
        dirs = [{"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d}
                for d in sorted(folders)]
        self._json(200, dirs + entries)

    def _paths_info(self, repo_id: str, revision: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            asked = json.loads(body or "{}").get("paths", [])
        else:
            asked = urllib.parse.parse_qs(body).get("paths", [])
        repo = self._repo(repo_id)
        if repo is None or not self._revision_ok(repo, revision):
            return
        self._json(200, [f.entry() for path in asked if (f := repo.file(path)) is not None])

    # -- files --------------------------------------------------------------------------------
    def _resolve(self, repo_id: str, revision: str, path: str) -> None:
        repo = self._repo(repo_id, files=True)
        if repo is None or not self._revision_ok(repo, revision):
            return
        f = repo.file(path)
        if f is None:
            self._error(404, "EntryNotFound", f"{path} does not exist on {revision}")
            return
        if f.status is not None:
            self._error(f.status, "Fault", f"fake Hub answers {f.status} for {path}")
            return
        size = f.size
        start, end = 0, size
        status = 200
        wanted = self.headers.get("Range")
        if wanted and not f.ignore_range:
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if m is None or int(m[1]) >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = int(m[1])
            end = min(size, int(m[2]) + 1) if m[2] else size
            status = 206
        if status == 206 and f.wrong_content_range:
            start = max(0, start - 1024)  # bytes and header both start elsewhere than asked
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("X-Repo-Commit", repo.sha)
        if f.lfs:
            self.send_header("ETag", f'"{f.sha256}"')
            self.send_header("X-Linked-Etag", f'"{f.sha256}"')
            self.send_header("X-Linked-Size", str(size))
        else:
            self.send_header("ETag", f'"{f.git_oid}"')
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        self._send_body(f, start, end)

    def _send_body(self, f: FakeFile, start: int, end: int) -> None:
        drop = f.drop_at if f.drop_at is not None and f.drop_times != 0 and start <= f.drop_at < end else None
        stop = drop if drop is not None else end
        sent_at = time.monotonic()
        sent = 0
        try:
            for chunk in f.read(start, stop):
                for i in range(0, len(chunk), 64 * 1024):
                    piece = chunk[i:i + 64 * 1024]
                    self.wfile.write(piece)
                    sent += len(piece)
                    if f.rate_bytes_per_s:
                        ahead = sent / f.rate_bytes_per_s - (time.monotonic() - sent_at)
                        if ahead > 0:
                            time.sleep(ahead)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        if drop is not None:
            if f.drop_times > 0:
                f.drop_times -= 1
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


def gguf_repo(repo_id: str, gguf: Path, **options: Any) -> FakeRepo:
    """A GGUF repository serving ``gguf`` from disk, plus a README and a small config."""
    files = [FakeFile(gguf.name, source=gguf), FakeFile("README.md", data=b"# test model\n", lfs=False)]
    return FakeRepo(repo_id, files=files, tags=["gguf", "text-generation"], library_name="gguf", **options)


def point_at(hub: FakeHub, monkeypatch: Any) -> None:
    """For one test: offline mode off (the test rig exports ``HF_HUB_OFFLINE=1``), ``HF_TOKEN``
    unset and huggingface_hub's endpoint set to ``hub`` (``monkeypatch``: pytest's fixture)."""
    from huggingface_hub import constants

    from slmdesk.core import offline

    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, "HF_TOKEN",
                 "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)
