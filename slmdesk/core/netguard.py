"""The network guard: an audit hook that sees every socket connection and host-name lookup this
process makes, logs those that would leave the computer, and blocks them in offline mode.

Python raises an audit event (PEP 578) before each ``socket.connect``/``connect_ex``,
``sendto``/``sendmsg`` to an address, ``getaddrinfo`` and ``gethostbyname``, in every thread and
whatever library asks (huggingface_hub's httpx, urllib3, asyncio). The hook is added once per
process with :func:`install` and cannot be removed (``sys.addaudithook``); what it does follows
the current :class:`NetGuard`, which :func:`install`, :func:`set_offline` and :func:`deactivate`
replace.

Allowed and never logged: loopback addresses (127.0.0.0/8, ::1, IPv4-mapped 127.x), the
unspecified address (0.0.0.0, ::: it means this computer), the names ``localhost`` and
``*.localhost``, lookups of numeric addresses (no query leaves the computer), and every socket
family other than IPv4/IPv6 (AF_UNIX: D-Bus, the keyring; AF_NETLINK).

Limits: native code that opens sockets itself (not through Python's ``socket`` module) is not
seen; no slmdesk dependency does so today (ONNX Runtime GenAI's telemetry is turned off by
``ORT_DISABLE_TELEMETRY`` and its API instead). A host name given straight to
``socket.connect`` is resolved by C code before the event, so its lookup is not seen, only the
connection (HTTP clients call ``getaddrinfo`` first).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

from slmdesk.core.network_log import Action, NetworkEvent, append_event

log = logging.getLogger(__name__)

TRACE_ENV = "SLMDESK_NETGUARD_TRACE"
"""``1``: each process also writes a ``guard`` entry to the Network log when its guard starts
(process, pid, offline mode), so that a test or a support session can see that every process,
engine children included, ran guarded."""

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
"""Host names that mean this computer (``/etc/hosts`` conventions); ``*.localhost`` too (RFC 6761)."""

_WATCHED = frozenset({
    "socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname",
})
"""The audit events the hook looks at (CPython's "Audit events table"); every other event returns at once."""

_INET_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})


class NetworkBlocked(PermissionError):
    """A connection or lookup that would leave this computer, refused because offline mode is on.
    A ``PermissionError`` (``errno.EACCES``): HTTP clients report it as a connection error."""

    def __init__(self, action: str, target: str) -> None:
        what = "look up" if action == "resolve" else "connect to"
        super().__init__(
            errno.EACCES,
            f"slmdesk offline mode blocked an attempt to {what} {target}: nothing leaves this computer while "
            "offline mode is on (the attempt is listed in the Network log)",
        )
        self.action = action
        self.target = target


def is_local_host(host: object) -> bool:
    """Whether ``host`` (an address or host name, str or bytes; None or empty for "any") stays on
    this computer: a loopback or unspecified address, ``localhost`` or a ``*.localhost`` name."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().rstrip(".").lower()
    if not name or name in LOCAL_NAMES or name.endswith(".localhost"):
        return True
    address = _ip_address(name)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.partition("%")[0])  # "fe80::1%eth0": drop the zone
    except ValueError:
        return None


def _target(event: str, args: tuple[Any, ...]) -> tuple[Action, str, int | None] | None:
    """``(action, host, port)`` for an audit event that would leave the computer, None otherwise."""
    if event in ("socket.getaddrinfo", "socket.gethostbyname"):
        host = args[0] if args else None
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if not isinstance(host, str) or is_local_host(host) or _ip_address(host) is not None:
            return None  # a numeric address resolves locally; its connection is checked
        port = args[1] if event == "socket.getaddrinfo" and len(args) > 1 else None
        return "resolve", host, _port(port)
    sock, address = (args[0], args[1]) if len(args) >= 2 else (None, None)
    if getattr(sock, "family", None) not in _INET_FAMILIES or not isinstance(address, tuple) or not address:
        return None  # AF_UNIX, AF_NETLINK...; sendmsg on a connected socket has no address
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if is_local_host(host):
        return None
    action: Action = "connect" if event == "socket.connect" else "send"
    return action, str(host), _port(address[1] if len(address) > 1 else None)


def _port(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, bytes | str):
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        if text.isdigit():
            return int(text)
        try:
            return socket.getservbyname(text)  # "https" -> 443; reads /etc/services, no network
        except OSError:
            return None
    return None


def _origin(depth: int) -> tuple[str, str | None]:
    """``(module, caller)`` for :class:`NetworkEvent`, from the stack above this module."""
    frame: FrameType | None = sys._getframe(depth)
    module: str | None = None
    caller: str | None = None
    first = "?"
    while frame is not None and (module is None or caller is None):
        name = str(frame.f_globals.get("__name__", "?"))
        if name != __name__:
            if first == "?":
                first = name
            if module is None and name.partition(".")[0] not in sys.stdlib_module_names:
                module = name
            if caller is None and name.startswith("slmdesk."):
                caller = f"{name}.{frame.f_code.co_qualname}"
        frame = frame.f_back
    return module or first, caller


@dataclass(frozen=True)
class NetGuard:
    """What the hook does in this process.

    Attributes:
        offline: block (raise :class:`NetworkBlocked`) what would leave the computer; else allow it.
        process: the process's name in the log (``slmdesk GUI``, ``slmdesk serve``).
        log_file: the Network log (:func:`slmdesk.core.network_log.log_path`); None logs nothing.
    """

    offline: bool
    process: str
    log_file: Path | None

    def check(self, event: str, args: tuple[Any, ...], depth: int = 1) -> None:
        """Look at one audit event: log an attempt to leave the computer, and in offline mode
        refuse it. ``depth``: how many frames up the stack the code that asked is (1: the caller).

        Raises:
            NetworkBlocked: offline mode is on and the event would leave the computer.
        """
        target = _target(event, args)
        if target is None:
            return
        action, host, port = target
        module, caller = _origin(depth + 1)
        self.record(NetworkEvent(
            time=_now(), action=action, host=host, port=port, blocked=self.offline, offline=self.offline,
            process=self.process, pid=os.getpid(), thread=threading.current_thread().name, module=module,
            caller=caller,
        ))
        if self.offline:
            raise NetworkBlocked(action, host if port is None else f"{host}:{port}")

    def record(self, event: NetworkEvent) -> None:
        """Append ``event`` to the log; a log that cannot be written is reported once per process
        on the logger, never raised (the guard still blocks)."""
        if self.log_file is None:
            return
        try:
            append_event(self.log_file, event)
        except OSError as error:
            if not _write_warned.is_set():
                _write_warned.set()
                log.warning("cannot write the network log %s: %s", self.log_file, error)


_guard: NetGuard | None = None
_hook_added = False
_write_warned = threading.Event()
"""Set once a log entry could not be written: the first failure is logged, not every one."""
_lock = threading.Lock()
_inside = threading.local()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED:
        return
    guard = _guard
    if guard is None or getattr(_inside, "active", False):
        return
    _inside.active = True
    try:
        guard.check(event, args, depth=2)  # check <- _audit <- the code that called the socket function
    finally:
        _inside.active = False


def install(*, offline: bool, process: str, log_file: Path | None) -> NetGuard:
    """Guard this process from now on (the audit hook is added on the first call; later calls
    replace what it does). With ``SLMDESK_NETGUARD_TRACE=1`` a ``guard`` entry records each new
    guard (not a repeated call with the same values). Returns the guard in force."""
    global _guard, _hook_added
    with _lock:
        if not _hook_added:
            sys.addaudithook(_audit)
            _hook_added = True
        previous, _guard = _guard, NetGuard(offline=offline, process=process, log_file=log_file)
        guard = _guard
    if guard != previous and os.environ.get(TRACE_ENV, "") == "1":
        guard.record(NetworkEvent(
            time=_now(), action="guard", host="", port=None, blocked=False, offline=offline, process=process,
            pid=os.getpid(), thread=threading.current_thread().name, module=__name__, caller=None,
        ))
    return guard


def current() -> NetGuard | None:
    """The guard in force, None when this process has none (or it was deactivated)."""
    return _guard


def set_offline(offline: bool) -> NetGuard | None:
    """Turn blocking on or off in the guard in force (Settings saved in the GUI); returns it,
    or None when there is none (then nothing changes)."""
    global _guard
    with _lock:
        if _guard is not None and _guard.offline != offline:
            _guard = replace(_guard, offline=offline)
        return _guard


def deactivate() -> None:
    """Stop guarding: the hook stays (it cannot be removed) but neither logs nor blocks. For
    tests that installed a guard in their own process."""
    global _guard
    with _lock:
        _guard = None


def _now() -> str:
    seconds = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"
