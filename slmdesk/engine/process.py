"""The engine's process, apart from the protocol: the command that starts it, how it is started
(from a thread that outlives a job's worker, for the parent-death signal), how long to wait for
it (:class:`Timeouts`), the FIFO lock that takes turns on one engine (:class:`FairLock`), and how
its exit is described to the user. Plain Python, no Qt; used by :mod:`slmdesk.engine.client`.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slmdesk.core.process import self_command

_SIGNALS = {
    "SIGKILL": "killed (by the user, or by the system when memory ran out)",
    "SIGSEGV": "crashed in native code (segmentation fault)",
    "SIGABRT": "aborted by the inference library",
    "SIGBUS": "bus error (the model file changed or could not be read while mapped)",
    "SIGILL": "illegal instruction (the library was built for a newer CPU)",
    "SIGTERM": "terminated",
    "SIGFPE": "arithmetic fault in native code",
}


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for the engine before declaring it stuck and stopping it (seconds).

    Attributes:
        start_s: process start to its ``hello`` (Python start-up, imports).
        load_s: a model load (large files from slow disks).
        request_s: small requests (count_tokens, stats, unload).
        idle_s: the longest silence during a reply; the engine sends prompt-progress events
            every ``n_batch`` tokens and token events at least every 50 ms while generating,
            so only a hung engine is silent this long.
    """

    start_s: float = 60.0
    load_s: float = 600.0
    request_s: float = 60.0
    idle_s: float = 300.0


class FairLock:
    """A lock granted in the order it was asked for (FIFO), unlike ``threading.Lock``: a thread
    that releases and at once asks again (a worker serving a queue of requests) cannot starve
    another thread waiting for the same engine."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for this caller's turn; False when it did not come."""
        ticket = object()
        deadline = time.monotonic() + timeout
        with self._condition:
            self._waiting.append(ticket)
            try:
                while self._held or self._waiting[0] is not ticket:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._condition.wait(remaining):
                        if not self._held and self._waiting[0] is ticket:
                            break  # our turn came as the wait ran out
                        return False
                self._held = True
                return True
            finally:
                self._waiting.remove(ticket)
                self._condition.notify_all()

    def release(self) -> None:
        """Hand the lock to the longest waiting caller."""
        with self._condition:
            self._held = False
            self._condition.notify_all()


def host_command() -> list[str]:
    """The command that starts an engine process from this program's own executable.

    From source: ``[python, "-m", "slmdesk", "engine-host"]``. Frozen by PyInstaller
    (``sys.frozen``): ``[the app executable, "engine-host"]``; the app's entry point parses
    the subcommand like any other.
    """
    return self_command("engine-host")


def describe_exit(returncode: int | None) -> str:
    """``-9 -> "signal 9 (SIGKILL: killed ...)"``, ``3 -> "exit code 3"``."""
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
        meaning = _SIGNALS.get(name)
        return f"signal {-returncode} ({name}: {meaning})" if meaning else f"signal {-returncode} ({name})"
    if sys.platform == "win32" and returncode > 0x7FFFFFFF:
        return f"exit code 0x{returncode:08X}"
    return f"exit code {returncode}"


def spawn(argv: Sequence[str], **popen_args: Any) -> tuple[subprocess.Popen[bytes], threading.Thread | None]:
    """Start ``argv`` with ``subprocess.Popen(argv, **popen_args)``; on Linux from a thread that
    lives until the process exits (returned, to be joined after the process ended).

    The engine arms ``PR_SET_PDEATHSIG`` (:func:`slmdesk.engine.host.die_with_parent`), which
    prctl(2) ties to the parent *thread*: started from a job's worker thread that ends first,
    a healthy engine would be killed with it. The thread waits with ``waitid(WNOWAIT)``, so
    the exit status stays for ``Popen.wait``.

    Raises:
        OSError: the process cannot be started.
    """
    if not sys.platform.startswith("linux"):
        return subprocess.Popen(list(argv), **popen_args), None
    started: queue.Queue[subprocess.Popen[bytes] | OSError] = queue.Queue()

    def parent() -> None:
        try:
            process: subprocess.Popen[bytes] = subprocess.Popen(list(argv), **popen_args)
        except OSError as error:
            started.put(error)
            return
        started.put(process)
        with contextlib.suppress(OSError):  # ChildProcessError: already reaped by Popen
            os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)

    thread = threading.Thread(target=parent, name="engine-parent", daemon=True)
    thread.start()
    result = started.get()
    if isinstance(result, OSError):
        thread.join()
        raise result
    return result, thread
