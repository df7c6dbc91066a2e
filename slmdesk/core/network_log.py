"""The Network log: every connection (and host-name lookup) that would leave this computer, one JSON
line each, written by the network guard of every slmdesk process (:mod:`slmdesk.core.netguard`)."""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from slmdesk.paths import AppPaths

log = logging.getLogger(__name__)

LOG_ENV = "SLMDESK_NETWORK_LOG"
"""A file to write the Network log to instead of :data:`LOG_NAME` in the data folder. Child
processes inherit it, so one file collects the attempts of the GUI or CLI process, its engine
processes and its probes (the offline proof test uses it)."""

LOG_NAME = "network-log.jsonl"
"""The log's file name in the data folder."""

MAX_LOG_BYTES = 1_000_000
"""Above this size (bytes) the log is renamed to ``<name>.1`` (replacing an older one) when a
process starts: about 4,000 entries are kept, plus as many in the previous file."""

Action = Literal["connect", "send", "resolve", "guard", "request"]
"""What was attempted: ``connect`` a TCP/UDP socket, ``send`` a datagram to an address,
``resolve`` a host name (a DNS query may leave the computer), ``request`` an HTTP request made
through huggingface_hub's session (:mod:`slmdesk.hub.http`; loopback ones included, with method,
URL, status, bytes and duration). ``guard`` is not an attempt: a process started under the
guard; written only when ``SLMDESK_NETGUARD_TRACE=1``."""

ACTIONS = ("connect", "send", "resolve", "guard", "request")


@dataclass(frozen=True)
class NetworkEvent:
    """One line of the Network log.

    Attributes:
        time: when, ISO 8601 in UTC with milliseconds (``2026-03-01T12:00:00.123Z``).
        action: see :data:`Action`.
        host: the address or host name asked for (``huggingface.co``, ``203.0.113.1``).
        port: its port, None when there is none (a lookup without a service).
        blocked: True when offline mode refused it (the caller got a ``PermissionError``).
        offline: whether offline mode was on in that process.
        process: which slmdesk process (``slmdesk GUI``, ``slmdesk hub search``,
            ``slmdesk engine-host``).
        pid: its process id.
        thread: the name of the thread that asked.
        module: the innermost module outside the standard library that asked (a library's
            transport such as ``httpcore2._backends.sync``, or slmdesk's own code).
        caller: the innermost slmdesk function on the stack (``slmdesk.hub.search.search_models``),
            None when no slmdesk code was involved.
        method: ``request`` only: the HTTP method (``GET``).
        url: ``request`` only: the URL without user, password or query values that may be secrets.
        status: ``request`` only: the HTTP status, None when no answer came (refused, dropped).
        bytes: ``request`` only: body bytes received.
        duration_s: ``request`` only: seconds from sending to the end of the body.
        error: ``request`` only: why it failed without an answer, or why the body stopped early.
    """

    time: str
    action: Action
    host: str
    port: int | None
    blocked: bool
    offline: bool
    process: str
    pid: int
    thread: str
    module: str
    caller: str | None
    method: str | None = None
    url: str | None = None
    status: int | None = None
    bytes: int | None = None
    duration_s: float | None = None
    error: str | None = None

    @property
    def is_attempt(self) -> bool:
        """True for a connection, datagram or lookup; False for a ``guard`` start record."""
        return self.action != "guard"

    @property
    def target(self) -> str:
        """``host:port`` (``[host]:port`` for an IPv6 address), or the host alone without a port."""
        if self.port is None:
            return self.host
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        """The JSON object of its log line (the ``request`` fields only when set, so lines of the
        other actions read as before)."""
        raw = asdict(self)
        for name in _REQUEST_FIELDS:
            if raw[name] is None:
                del raw[name]
        return raw

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> NetworkEvent:
        """Parse one log line's object.

        Raises:
            ValueError: a field is missing or has the wrong type.
        """
        try:
            port = raw["port"]
            caller = raw["caller"]
            event = cls(
                time=str(raw["time"]), action=raw["action"], host=str(raw["host"]),
                port=None if port is None else int(port), blocked=bool(raw["blocked"]),
                offline=bool(raw["offline"]), process=str(raw["process"]), pid=int(raw["pid"]),
                thread=str(raw["thread"]), module=str(raw["module"]), caller=None if caller is None else str(caller),
                method=_optional(raw, "method", str), url=_optional(raw, "url", str),
                status=_optional(raw, "status", int), bytes=_optional(raw, "bytes", int),
                duration_s=_optional(raw, "duration_s", float), error=_optional(raw, "error", str),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a network log entry: {error}") from error
        if event.action not in ACTIONS:
            raise ValueError(f"unknown action {event.action!r}")
        return event


_REQUEST_FIELDS = ("method", "url", "status", "bytes", "duration_s", "error")


def _optional(raw: Mapping[str, Any], name: str, kind: Callable[[Any], Any]) -> Any:
    value = raw.get(name)
    return None if value is None else kind(value)


def log_path(app_paths: AppPaths, environ: Mapping[str, str] | None = None) -> Path:
    """The Network log file: ``SLMDESK_NETWORK_LOG`` (:data:`LOG_ENV`) when set, else
    :data:`LOG_NAME` in the data folder. Nothing is created."""
    env = os.environ if environ is None else environ
    override = env.get(LOG_ENV, "").strip()
    return Path(override).expanduser() if override else app_paths.data / LOG_NAME


def append_event(path: Path, event: NetworkEvent) -> None:
    """Append ``event`` as one line, creating the file and its folder if needed.

    One ``write`` on a file opened with ``O_APPEND``: lines from processes writing at the same
    time do not interleave (each is far below the pipe buffer size POSIX keeps atomic).

    Raises:
        OSError: the file cannot be created or written.
    """
    line = (json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(descriptor, line)
    finally:
        os.close(descriptor)


def read_events(path: Path, limit: int | None = None) -> list[NetworkEvent]:
    """The log's entries, oldest first; with ``limit``, the newest ``limit`` of them. A missing
    file is an empty log; a line that is not an entry (cut short by a crash) is skipped and logged.

    Raises:
        OSError: the file exists but cannot be read.
    """
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    with handle:
        lines = deque(handle, maxlen=limit) if limit is not None else list(handle)
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            events.append(NetworkEvent.from_json(raw))
        except ValueError as error:
            log.warning("network log %s: line %d skipped (%s)", path, number, error)
    return events


def rotate_if_large(path: Path, max_bytes: int = MAX_LOG_BYTES) -> bool:
    """Rename the log to ``<name>.1`` (replacing an older one) when it is larger than
    ``max_bytes``; return True when it was renamed. Errors are logged, never raised: a log that
    cannot be rotated keeps growing, which is better than a process that does not start."""
    try:
        if path.stat().st_size <= max_bytes:
            return False
        os.replace(path, path.with_name(path.name + ".1"))
    except FileNotFoundError:
        return False
    except OSError as error:
        log.warning("network log %s: cannot rotate it (%s)", path, error)
        return False
    return True
