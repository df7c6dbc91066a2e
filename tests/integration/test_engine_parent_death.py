"""The engine process dies with the process that started it, at once, even while it is busy.

Real processes: a parent script starts a real ``slmdesk engine-host`` (``slmdesk.engine.host.main``)
through :class:`EngineClient`, its backend stands in for a load that takes a minute (no model
file needed), and the test kills the parent with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from slmdesk.engine import protocol
from slmdesk.engine.client import EngineClient
from slmdesk.engine.process import host_command

REPO_ROOT = Path(__file__).resolve().parents[2]

# The engine host's real entry point, with a backend whose load takes 60 s (like a large model
# from a slow disk): the host's main thread is busy and cannot notice anything by itself.
# argv[1] == "no-pdeathsig" turns the Linux parent-death signal off, leaving the watchdog on
# the pipe (what other platforms get).
SLOW_HOST = textwrap.dedent(
    """
    import sys, time
    from slmdesk.engine import host
    from slmdesk.engine.types import LoadInfo

    class SlowBackend:
        name = "slow"
        loaded = ""
        def load(self, path, settings):
            time.sleep(60)
            return LoadInfo(path=path, backend="slow", backend_version="1", n_ctx=1)
        def unload(self):
            pass

    host.DEFAULT_BACKENDS["llama"] = SlowBackend
    if sys.argv[1] == "no-pdeathsig":
        host.die_with_parent = lambda parent: False
    sys.exit(host.main())
    """
)

# The parent: starts the engine, asks it to load (the engine starts its minute), prints the
# engine's pid and waits to be killed.
PARENT = textwrap.dedent(
    """
    import sys, threading, time
    from slmdesk.engine.client import EngineClient
    client = EngineClient(command=[sys.executable, "-c", sys.argv[1], sys.argv[2]])
    client.start()
    threading.Thread(target=lambda: client.load(sys.argv[3]), daemon=True).start()
    print(client.pid, flush=True)
    time.sleep(120)
    """
)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _seconds_until_gone(pid: int, limit_s: float) -> float:
    started = time.monotonic()
    while not _gone(pid):
        if time.monotonic() - started > limit_s:
            return float("inf")
        time.sleep(0.02)
    return time.monotonic() - started


def _kill_busy_parent(mode: str, tmp_path: Path) -> tuple[int, float]:
    """Start the parent, wait until its engine is loading, SIGKILL the parent; return the
    engine's pid and the seconds it outlived the parent (inf: more than 10 s)."""
    model = tmp_path / "big.gguf"
    model.write_bytes(b"GGUF")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, SLOW_HOST, mode, str(model)],
        stdout=subprocess.PIPE, text=True, env=env,
    ) as parent:
        try:
            assert parent.stdout is not None
            engine_pid = int(parent.stdout.readline())
            engine = psutil.Process(engine_pid)
            time.sleep(1.0)  # the load request has reached the engine's main thread
            assert engine.status() != psutil.STATUS_ZOMBIE
            parent.send_signal(signal.SIGKILL)
            parent.wait(10)
            return engine_pid, _seconds_until_gone(engine_pid, 10.0)
        finally:
            if parent.poll() is None:
                parent.kill()


def _reap_leftover(pid: int) -> None:
    if not _gone(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_busy_engine_dies_at_once_when_its_parent_is_killed(tmp_path: Path) -> None:
    engine_pid, outlived_s = _kill_busy_parent("pdeathsig", tmp_path)
    _reap_leftover(engine_pid)
    assert outlived_s < 0.5


def test_without_the_signal_the_watchdog_on_the_pipe_ends_a_busy_engine(tmp_path: Path) -> None:
    engine_pid, outlived_s = _kill_busy_parent("no-pdeathsig", tmp_path)
    _reap_leftover(engine_pid)
    assert outlived_s < 2.5  # INPUT_CLOSED_GRACE_S (1 s) and the exit


def test_an_engine_whose_client_died_before_it_started_exits_at_once() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), **{protocol.PARENT_ENV: str(dead.pid)})
    started = time.monotonic()
    engine = subprocess.run(
        host_command(), stdin=subprocess.PIPE, capture_output=True, env=env, timeout=60
    )
    assert engine.returncode == 1
    assert engine.stdout == b""  # it never greeted: nobody was there to hear it
    assert time.monotonic() - started < 30


def test_an_engine_started_from_a_worker_thread_outlives_that_thread() -> None:
    # prctl(2)'s parent-death signal follows the thread that started the process: the engine
    # of a job's worker thread must survive the thread's end (the GUI loads from one).
    client = EngineClient()
    worker = threading.Thread(target=client.start, name="job-worker")
    worker.start()
    worker.join(60)
    try:
        time.sleep(0.5)
        assert client.running
        stats = client.stats()
        assert stats.pid == client.pid and stats.loaded == ""
    finally:
        client.close()
    assert not client.running
    assert not [t for t in threading.enumerate() if t.name == "engine-parent"]
