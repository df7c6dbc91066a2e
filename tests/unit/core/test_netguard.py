"""The network guard: loopback and AF_UNIX allowed, anything leaving the computer logged and, in
offline mode, blocked; first on the decision itself, then with the audit hook installed in this
process and real sockets (a blocked connection fails before any packet is sent)."""

from __future__ import annotations

import errno
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.core import netguard
from slmdesk.core.netguard import NetGuard, NetworkBlocked, is_local_host
from slmdesk.core.network_log import read_events

TEST_NET = "203.0.113.9"
"""An address of TEST-NET-3 (RFC 5737): documentation only, never routed."""


@pytest.mark.parametrize("host", [
    "127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1", "0.0.0.0", "::", "localhost", "LOCALHOST.",
    "app.localhost", b"127.0.0.1", "", None,
])
def test_this_computer_is_local(host: object) -> None:
    assert is_local_host(host)


@pytest.mark.parametrize("host", [TEST_NET, "8.8.8.8", "2001:db8::1", "::ffff:8.8.8.8", "huggingface.co",
                                  "192.168.1.10", "fe80::1%eth0", "localhost.example.com", 42])
def test_anything_else_leaves_it(host: object) -> None:
    assert not is_local_host(host)


@pytest.fixture
def inet_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    yield sock
    sock.close()


def test_offline_blocks_and_logs_a_connection_leaving_the_computer(tmp_path: Path, inet_socket) -> None:
    log_file = tmp_path / "network.jsonl"
    guard = NetGuard(offline=True, process="slmdesk test", log_file=log_file)
    with pytest.raises(NetworkBlocked) as blocked:
        guard.check("socket.connect", (inet_socket, (TEST_NET, 443)))
    assert isinstance(blocked.value, PermissionError) and blocked.value.errno == errno.EACCES
    assert f"offline mode blocked an attempt to connect to {TEST_NET}:443" in str(blocked.value)
    [event] = read_events(log_file)
    assert (event.action, event.target, event.blocked, event.offline) == ("connect", f"{TEST_NET}:443", True, True)
    assert event.process == "slmdesk test" and event.thread == threading.current_thread().name
    assert event.module == __name__ and event.caller is None  # this test asked, not slmdesk code


def test_offline_blocks_a_host_name_lookup_and_a_datagram(tmp_path: Path) -> None:
    log_file = tmp_path / "network.jsonl"
    guard = NetGuard(offline=True, process="slmdesk test", log_file=log_file)
    with pytest.raises(NetworkBlocked, match=r"attempt to look up huggingface\.co:443"):
        guard.check("socket.getaddrinfo", ("huggingface.co", "https", 0, 1, 6))
    with pytest.raises(NetworkBlocked, match=r"attempt to look up example\.org:"):
        guard.check("socket.gethostbyname", ("example.org",))
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        with pytest.raises(NetworkBlocked, match=r"connect to 2001:db8::53:53"):
            guard.check("socket.sendto", (udp, ("2001:db8::53", 53, 0, 0)))
    finally:
        udp.close()
    events = read_events(log_file)
    assert [(e.action, e.host, e.port) for e in events] == [
        ("resolve", "huggingface.co", 443), ("resolve", "example.org", None), ("send", "2001:db8::53", 53),
    ]
    assert events[2].target == "[2001:db8::53]:53"


def test_loopback_numeric_lookups_and_unix_sockets_pass_unlogged(tmp_path: Path, inet_socket) -> None:
    log_file = tmp_path / "network.jsonl"
    guard = NetGuard(offline=True, process="slmdesk test", log_file=log_file)
    guard.check("socket.connect", (inet_socket, ("127.0.0.1", 8765)))
    guard.check("socket.connect", (inet_socket, ("localhost", 8765)))
    guard.check("socket.getaddrinfo", ("localhost", 8765, 0, 0, 0))
    guard.check("socket.getaddrinfo", (TEST_NET, 443, 0, 0, 0))  # numeric: no query; the connect is checked
    guard.check("socket.getaddrinfo", (None, 0, 0, 0, 0))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        guard.check("socket.connect", (unix, "/run/user/1000/bus"))
        guard.check("socket.sendmsg", (unix, None))
    finally:
        unix.close()
    guard.check("open", ("/etc/hosts", "r", 0))  # not a network event
    assert not log_file.exists()


def test_online_logs_what_leaves_the_computer_and_lets_it_through(tmp_path: Path, inet_socket) -> None:
    log_file = tmp_path / "network.jsonl"
    guard = NetGuard(offline=False, process="slmdesk GUI", log_file=log_file)
    guard.check("socket.getaddrinfo", ("huggingface.co", 443, 0, 0, 0))
    guard.check("socket.connect", (inet_socket, (TEST_NET, 443)))
    assert [(e.action, e.target, e.blocked, e.offline) for e in read_events(log_file)] == [
        ("resolve", "huggingface.co:443", False, False), ("connect", f"{TEST_NET}:443", False, False),
    ]


def test_a_log_that_cannot_be_written_does_not_stop_the_guard(tmp_path: Path, inet_socket, caplog,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(netguard, "_write_warned", threading.Event())
    (tmp_path / "file").write_text("")
    guard = NetGuard(offline=True, process="slmdesk test", log_file=tmp_path / "file" / "network.jsonl")
    with pytest.raises(NetworkBlocked):
        guard.check("socket.connect", (inet_socket, (TEST_NET, 80)))
    with pytest.raises(NetworkBlocked):
        guard.check("socket.connect", (inet_socket, (TEST_NET, 80)))
    assert caplog.text.count("cannot write the network log") == 1  # once, not per attempt
    unlogged = NetGuard(offline=False, process="slmdesk test", log_file=None)
    unlogged.check("socket.connect", (inet_socket, (TEST_NET, 80)))  # online without a log: nothing to do


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[Path]:
    """The audit hook installed in this process, offline; deactivated after (it cannot be removed)."""
    log_file = tmp_path / "network.jsonl"
    netguard.install(offline=True, process="slmdesk unit test", log_file=log_file)
    yield log_file
    netguard.deactivate()


def test_installed_it_blocks_real_connections_before_they_leave(installed: Path) -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection((TEST_NET, 9), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)
    [connect, resolve] = read_events(installed)
    assert (connect.action, connect.target, connect.blocked) == ("connect", f"{TEST_NET}:9", True)
    assert connect.module == __name__ and connect.process == "slmdesk unit test"
    assert (resolve.action, resolve.target) == ("resolve", "huggingface.co:443")


def test_installed_it_lets_loopback_and_unix_sockets_connect(installed: Path, tmp_path: Path) -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname(), timeout=5) as client,
    ):
        accepted, _ = server.accept()
        client.sendall(b"ping")
        assert accepted.recv(4) == b"ping"
        accepted.close()
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
    assert not installed.exists()


def test_installed_it_follows_the_switch_and_deactivates(installed: Path, inet_socket) -> None:
    netguard.set_offline(False)
    assert netguard.current() == NetGuard(offline=False, process="slmdesk unit test", log_file=installed)
    netguard.set_offline(True)
    netguard.deactivate()
    assert netguard.current() is None
    assert netguard.set_offline(True) is None
    netguard._audit("socket.connect", (inet_socket, (TEST_NET, 9)))  # the hook stays, inert: no raise, no log
    assert not installed.exists()
