"""A GGUF file's :class:`~slmdesk.core.model_spec.ModelSpec` on the Hub, before any download: its
header read with HTTP Range requests (a few MB, not the file), cached by repo/commit/file.

The same idea as gguf-parser-go's ``ParseGGUFFileFromHuggingFace`` and huggingface.js's
``@huggingface/gguf`` (field-notes section 1.3): ask for the first :data:`FIRST_RANGE_BYTES`,
parse, and while the header continues ask for the next bytes, growing geometrically, up to
:data:`MAX_REMOTE_HEADER_BYTES`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from slmdesk import paths
from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.gguf import GGUFFormatError, GGUFHeader, GGUFHeaderIncomplete, parse_header, spec_from_headers
from slmdesk.formats.split import parse_split_name, spec_from_split_headers
from slmdesk.hub.errors import check_status, endpoint, hub_call, refuse_if_offline
from slmdesk.hub.repo import COMMIT_RE, check_repo_id, unsafe_path_reason
from slmdesk.hub.search import DEFAULT_TIMEOUT_S
from slmdesk.hub.token import auth_headers, hub_token

log = logging.getLogger(__name__)

FIRST_RANGE_BYTES = 2 * 1024 * 1024
"""The first ranged read: holds the whole header of most small models (SmolLM2 135M: 1.5 MB;
a 150k-token vocabulary takes about 6 MB)."""

MAX_REMOTE_HEADER_BYTES = 64 * 1024 * 1024
"""The most read from one file; a header larger than this is refused (the largest vocabularies,
262k tokens, need about 7 MB)."""

CACHE_FOLDER = "gguf-headers"
"""Under the app's cache folder: ``<owner>/<name>/<commit>/<sha256 of the path>.header``."""

REMOTE_SCHEME = "hf://"
"""The pseudo-path of a remote file: ``hf://owner/name/file.gguf`` (pathlib shows it as
``hf:/owner/name/file.gguf``; its ``name`` is the file's name)."""

_CACHE_MAGIC = b"slmdesk gguf header 1\n"
_CONTENT_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


@dataclass
class _Read:
    """Bytes asked of the Hub during one :func:`read_remote_spec` (for logs and tests)."""

    requests: int = 0
    bytes: int = 0


def remote_path(repo_id: str, path: str) -> Path:
    """The pseudo-path a remote spec carries as ``path``/``files`` (never opened)."""
    return Path(f"{REMOTE_SCHEME}{repo_id}/{path}")


def remote_uri(repo_id: str, path: str) -> str:
    """``hf://owner/name/path``: the remote file as text (what ``--json`` output shows)."""
    return f"{REMOTE_SCHEME}{repo_id}/{path}"


def read_remote_spec(repo_id: str, path: str, commit: str, size_bytes: int | None = None,
                     timeout_s: float = DEFAULT_TIMEOUT_S) -> ModelSpec:
    """The :class:`ModelSpec` of a GGUF file (or a whole split set) on the Hub, from its header.

    Each part's header comes from the cache (no request) or from ranged ``GET
    {HF_ENDPOINT}/{repo_id}/resolve/{commit}/{path}`` requests with ``Range: bytes=a-b``: first
    :data:`FIRST_RANGE_BYTES`, then, while the header continues, up to the size the parser asks
    for (at least 4x; :class:`~slmdesk.formats.gguf.GGUFHeaderIncomplete`), at most
    :data:`MAX_REMOTE_HEADER_BYTES`. A server that ignores ``Range`` is read only as far as
    needed, then the connection is closed. The token of :func:`slmdesk.hub.token.hub_token` is
    sent when there is one. A part read from the Hub is cached under the app's cache folder;
    a cache entry that does not parse is ignored and read again. Safe to call from a worker thread.

    Args:
        repo_id: ``owner/name``.
        path: the GGUF file in the repository; for a split set, any part (every part's header
            is read, and the spec covers the whole set, as :func:`slmdesk.formats.split.read_split_set`).
        commit: the 40-hex commit (``RepoListing.commit``): the cache key, and the bytes cannot
            change under it.
        size_bytes: the size from the listing (``RepoItem.size_bytes``), checked against the Hub's
            answer; for a split set, the whole set's total or the size of the part ``path``.
        timeout_s: seconds to wait for the connection and for each read.

    Returns:
        The spec; ``path`` and ``files`` are pseudo-paths (:func:`remote_path`), ``file_bytes``
        the real total size.

    Raises:
        HubOffline: offline mode is on and a header is not in the cache; nothing was attempted.
        HubUnreachable: no connection, or no answer within ``timeout_s``.
        HubAccessDenied: a gated or private repository without access (the message says what to do).
        HubNotFound: no such repository, commit or file.
        GGUFFormatError: the file is not a readable GGUF file, or its header exceeds the cap.
        SplitSetError: the parts of a split set do not agree.
        UserError: a malformed repository id, commit or file name; a wrong answer to a Range request.
    """
    check_repo_id(repo_id)
    if not COMMIT_RE.match(commit):
        raise ValueError(f"commit must be 40 lowercase hex digits, not {commit!r}")
    reason = unsafe_path_reason(path)
    if reason is not None or not path.lower().endswith(".gguf"):
        raise UserError(f"{path!r} in {repo_id} cannot be read as a GGUF file: {reason or 'it is not a .gguf file'}.")
    pure = PurePosixPath(path)
    split = parse_split_name(pure.name)
    names = [path] if split is None else [
        str(pure.with_name(split.part_name(n))) for n in range(1, split.count + 1)]
    cache = _HeaderCache(paths.resolve().cache / CACHE_FOLDER)
    token: str | None = None
    asked = False
    read = _Read()
    headers: list[GGUFHeader] = []
    for name in names:
        header = cache.get(repo_id, commit, name)
        if header is None:
            if not asked:
                refuse_if_offline("read that model's header")
                token, asked = hub_token(), True
            header, raw = _fetch_header(repo_id, commit, name, size_bytes if split is None else None, token,
                                        timeout_s, read)
            cache.put(repo_id, commit, name, header.file_size, raw)
        headers.append(header)
    if read.requests:
        log.info("read the GGUF header of %s/%s in %d ranged requests, %d bytes", repo_id, path, read.requests,
                 read.bytes)
    pseudo = [remote_path(repo_id, name) for name in names]
    if split is None:
        if size_bytes is not None and headers[0].file_size != size_bytes:  # a cached header
            raise UserError(f"The Hub says {path} in {repo_id} has {headers[0].file_size} bytes, but its listing "
                            f"said {size_bytes}.", "List the repository again.")
        return spec_from_headers(pseudo[0], (pseudo[0],), (headers[0],))
    spec = spec_from_split_headers(pseudo, headers)
    if size_bytes is not None and size_bytes not in (spec.file_bytes, headers[names.index(path)].file_size):
        raise UserError(f"The Hub says the {len(names)} parts of {path} in {repo_id} have {spec.file_bytes} bytes, "
                        f"but its listing said {size_bytes}.", "List the repository again.")
    return spec


def _fetch_header(repo_id: str, commit: str, path: str, size_bytes: int | None, token: str | None,
                  timeout_s: float, read: _Read) -> tuple[GGUFHeader, bytes]:
    """``(header, the bytes it was parsed from, up to the tensor data)`` by ranged reads."""
    url = f"{endpoint()}/{repo_id}/resolve/{commit}/{urllib.parse.quote(path)}"
    shown = remote_path(repo_id, path)
    data = b""
    size = size_bytes
    if size is not None and size < 1:
        raise GGUFFormatError("the file is empty", 0, shown)
    want = FIRST_RANGE_BYTES if size is None else min(size, FIRST_RANGE_BYTES)
    while True:
        chunk, total = _ranged_get(url, repo_id, path, len(data), want, token, timeout_s)
        read.requests += 1
        read.bytes += len(chunk)
        if size is not None and total != size:
            raise UserError(f"The Hub says {path} in {repo_id} has {total} bytes, but its listing said {size}.",
                            "List the repository again.")
        size = total
        data += chunk
        try:
            header = parse_header(data, size, shown)
        except GGUFHeaderIncomplete as error:
            if len(data) >= min(size, MAX_REMOTE_HEADER_BYTES):
                raise GGUFFormatError(f"the header is larger than {MAX_REMOTE_HEADER_BYTES // 2**20} MiB "
                                      "(slmdesk reads at most that much of a file on the Hub)",
                                      len(data), shown) from error
            want = min(size, max(error.needed_bytes, 2 * len(data)), MAX_REMOTE_HEADER_BYTES)
            continue
        return header, data[:header.data_offset]


def _ranged_get(url: str, repo_id: str, path: str, start: int, end: int, token: str | None,
                timeout_s: float) -> tuple[bytes, int]:
    """Bytes ``[start, end)`` of the file at ``url`` and the file's total size, from one
    ``Range: bytes=start-(end-1)`` request (fewer bytes when the file ends first).

    Raises:
        HubOffline, HubUnreachable, HubAccessDenied, HubNotFound: see :mod:`slmdesk.hub.errors`.
        UserError: a ``Content-Range`` that does not start where asked, or no size given.
    """
    from huggingface_hub import get_session

    wrong = UserError(f"The Hugging Face Hub answered a request for bytes {start}-{end - 1} of {path} in "
                      f"{repo_id} with other bytes.", "Try again later; if HF_ENDPOINT is set, check that it "
                      "names a Hub (or the proxy in between).")
    headers = {"Range": f"bytes={start}-{end - 1}", **auth_headers(token)}
    with hub_call(timeout_s, "read that model's header"), \
            get_session().stream("GET", url, headers=headers, timeout=timeout_s) as response:
        check_status(response, f"the header read of {path}", repo_id, token_sent=token is not None, path=path)
        skip = 0
        if response.status_code == 206:
            match = _CONTENT_RANGE_RE.match(response.headers.get("Content-Range", "").strip())
            if match is None or int(match[1]) != start:
                raise wrong
            total = int(match[3])
        else:  # the whole file from byte 0 (Range ignored): read only as far as needed
            length = response.headers.get("Content-Length") or response.headers.get("X-Linked-Size") or ""
            if not length.isdigit():
                raise wrong
            total, skip = int(length), start
        limit = min(end, total) - start
        out = bytearray()
        for piece in response.iter_bytes():
            if skip:
                dropped = min(skip, len(piece))
                piece, skip = piece[dropped:], skip - dropped
            out += piece[:limit - len(out)]
            if len(out) >= limit:
                break
    return bytes(out), total


class _HeaderCache:
    """Header bytes of remote GGUF files on disk, one file per repo/commit/path.

    A file holds :data:`_CACHE_MAGIC`, one JSON line (repo, commit, path, file size) and the
    bytes the header was parsed from. An entry that cannot be read or parsed is a miss; writes
    are atomic (a temporary file renamed into place) and best effort.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, repo_id: str, commit: str, path: str) -> Path:
        owner, name = repo_id.split("/")
        digest = hashlib.sha256(path.encode()).hexdigest()[:32]
        return self.root / owner / name / commit / f"{digest}.header"

    def get(self, repo_id: str, commit: str, path: str) -> GGUFHeader | None:
        target = self.file(repo_id, commit, path)
        try:
            blob = target.read_bytes()
        except OSError:
            return None
        try:
            if not blob.startswith(_CACHE_MAGIC):
                raise ValueError("no magic")
            line_end = blob.index(b"\n", len(_CACHE_MAGIC))
            meta = json.loads(blob[len(_CACHE_MAGIC):line_end])
            if meta != {"repo": repo_id, "commit": commit, "path": path, "size": meta.get("size")} \
                    or not isinstance(meta["size"], int):
                raise ValueError("another file's entry")
            return parse_header(blob[line_end + 1:], meta["size"], remote_path(repo_id, path))
        except (ValueError, GGUFFormatError) as error:  # GGUFHeaderIncomplete too: read it again
            log.warning("ignoring the damaged header cache entry %s: %s", target, error)
            return None

    def put(self, repo_id: str, commit: str, path: str, size: int, raw: bytes) -> None:
        target = self.file(repo_id, commit, path)
        meta = json.dumps({"repo": repo_id, "commit": commit, "path": path, "size": size}).encode()
        temporary = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(_CACHE_MAGIC + meta + b"\n" + raw)
            os.replace(temporary, target)
        except OSError as error:
            log.warning("cannot cache the GGUF header of %s/%s: %s", repo_id, path, error)
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)


__all__ = [
    "CACHE_FOLDER",
    "FIRST_RANGE_BYTES",
    "MAX_REMOTE_HEADER_BYTES",
    "REMOTE_SCHEME",
    "read_remote_spec",
    "remote_path",
    "remote_uri",
]
