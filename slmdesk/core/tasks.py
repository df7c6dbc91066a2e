"""The task protocol: long work as a generator of progress events with a cancel token.

A *task* is a callable ``task(token) -> Iterator[Progress]``; it yields progress events
between steps, calls ``token.raise_if_cancelled()`` at least as often, and may return a
result (the generator's return value). It raises :class:`~slmdesk.core.errors.UserError`
for failures a user can act on; any other exception is a bug. ``jobs/`` runs tasks off the
GUI thread; the CLI and tests run them inline with :func:`run_inline`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from slmdesk.core.errors import Cancelled

R = TypeVar("R")


@dataclass(frozen=True)
class Progress:
    """One progress event.

    Attributes:
        fraction: 0.0-1.0, or None when the amount of work is unknown (busy indicator).
        message: what is happening now, for a person ("Hashing model.gguf").
        bytes_done: bytes processed so far, when the work is counted in bytes.
        bytes_total: total bytes, when known.
    """

    fraction: float | None = None
    message: str = ""
    bytes_done: int | None = None
    bytes_total: int | None = None

    @classmethod
    def of_bytes(cls, done: int, total: int | None, message: str = "") -> Progress:
        """A byte-counted event; ``fraction`` is ``done / total`` (None if total is unknown or 0)."""
        fraction = min(1.0, done / total) if total else None
        return cls(fraction=fraction, message=message, bytes_done=done, bytes_total=total)


class CancelToken:
    """A thread-safe cancel flag, checked by a task between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the task to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise Cancelled("cancelled")

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to ``timeout_s`` seconds, waking early on cancel; return ``cancelled``."""
        return self._event.wait(timeout_s)


TaskGenerator = Generator[Progress, None, Any]
Task = Callable[[CancelToken], TaskGenerator]


def run_inline(
    task: Callable[[CancelToken], Generator[Progress, None, R]],
    token: CancelToken | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> R:
    """Run ``task`` to completion on the calling thread and return its result.

    Raises whatever the task raises (``Cancelled``, ``UserError``, bugs).
    """
    token = token or CancelToken()
    generator = task(token)
    while True:
        try:
            event = next(generator)
        except StopIteration as stop:
            result: R = stop.value
            return result
        if on_progress is not None:
            on_progress(event)
