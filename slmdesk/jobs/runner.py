"""The one generic Qt job runner: any task generator, off the GUI thread, one queue per resource.

Each running job owns a :class:`_JobThread` (a QThread living in the GUI thread whose
``run()`` drives the task generator in its own thread). Progress crosses to the GUI thread
through queued signals, throttled to at most ``1 / PROGRESS_INTERVAL_S`` events per second
per job. Jobs wait in a FIFO queue per *resource* ("download", "quantize", "db",
"engine:<model>", ...) whose limit says how many may run at once.
"""

from __future__ import annotations

import enum
import logging
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, Task

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1
"""Minimum spacing of progress signals per job: at most 10 per second (ARCHITECTURE.md)."""

DEFAULT_LIMITS: dict[str, int] = {
    "quantize": 1,  # one quantization at a time: it uses every core and a lot of RAM
    "download": 3,
    "db": 1,  # one writer for the SQLite inventory
    "io": 2,  # hashing and scanning: disk-bound
}
"""Concurrent jobs per resource; resources not listed (e.g. ``engine:<model>``) run one at a time."""

RATE_SMOOTHING = 0.3
"""Weight of the newest sample in the exponential moving average of bytes/s."""


class JobState(enum.Enum):
    """Lifecycle of a job; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True for succeeded, failed and cancelled."""
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Job:
    """A job as the GUI sees it. Mutated only on the GUI thread, by :class:`JobRunner`.

    ``bytes_per_s`` and ``eta_s`` are set while byte counts arrive; ``error``/``hint`` hold
    the user-facing text of a failed job, ``details`` the traceback of a bug. A ``background``
    job (reading the library, estimating fit) is not listed in the Jobs pane, does not hold
    up quitting, and is forgotten once its ``on_done`` callback has run.
    """

    id: int
    title: str
    resource: str
    state: JobState = JobState.QUEUED
    progress: Progress = field(default_factory=Progress)
    error: str = ""
    hint: str = ""
    details: str = ""
    result: Any = None
    submitted_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    bytes_per_s: float | None = None
    eta_s: float | None = None
    background: bool = False
    _last_sample: tuple[float, int] | None = field(default=None, repr=False)

    def _update_rate(self, progress: Progress, now: float) -> None:
        if progress.bytes_done is None:
            return
        if self._last_sample is not None:
            then, before = self._last_sample
            elapsed = now - then
            if elapsed > 0 and progress.bytes_done >= before:
                sample = (progress.bytes_done - before) / elapsed
                self.bytes_per_s = (
                    sample
                    if self.bytes_per_s is None
                    else RATE_SMOOTHING * sample + (1 - RATE_SMOOTHING) * self.bytes_per_s
                )
        self._last_sample = (now, progress.bytes_done)
        if self.bytes_per_s and progress.bytes_total:
            self.eta_s = max(0.0, (progress.bytes_total - progress.bytes_done) / self.bytes_per_s)


class _JobThread(QThread):
    """Drives one task generator; generic, knows nothing of what the task does."""

    progressed = Signal(int, object)  # job id, Progress
    completed = Signal(int, object, object, object)  # job id, JobState, result, (error, hint, details)

    def __init__(self, job_id: int, task: Task, token: CancelToken, parent: QObject) -> None:
        super().__init__(parent)
        self._job_id = job_id
        self._task = task
        self._token = token

    def run(self) -> None:  # runs in the worker thread
        state, result, failure = JobState.SUCCEEDED, None, ("", "", "")
        last_emit = 0.0
        generator = None
        try:
            self._token.raise_if_cancelled()
            generator = self._task(self._token)
            while True:
                try:
                    event = next(generator)
                except StopIteration as stop:
                    result = stop.value
                    break
                now = time.monotonic()
                if now - last_emit >= PROGRESS_INTERVAL_S:
                    last_emit = now
                    self.progressed.emit(self._job_id, event)
        except Cancelled:
            state = JobState.CANCELLED
        except UserError as error:
            state, failure = JobState.FAILED, (error.message, error.hint, "")
        except Exception as error:  # a bug: show it, keep the app up, keep the traceback
            log.exception("job %s crashed", self._job_id)
            state = JobState.FAILED
            failure = (
                f"Internal error: {type(error).__name__}: {error}",
                "This is a bug in slmdesk; the details hold the traceback.",
                traceback.format_exc(),
            )
        finally:
            if generator is not None:
                generator.close()
        self.completed.emit(self._job_id, state, result, failure)


class JobRunner(QObject):
    """Runs tasks off the GUI thread with one FIFO queue per resource.

    Signals carry the job id; read the job with :meth:`job`. ``on_done`` callbacks given to
    :meth:`submit` run on the GUI thread after the job reaches a final state.
    """

    job_added = Signal(int)
    job_changed = Signal(int)
    job_finished = Signal(int)

    def __init__(self, limits: dict[str, int] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._jobs: dict[int, Job] = {}
        self._queues: dict[str, deque[int]] = {}
        self._running: dict[str, set[int]] = {}
        self._threads: dict[int, _JobThread] = {}
        self._tokens: dict[int, CancelToken] = {}
        self._tasks: dict[int, Task] = {}
        self._callbacks: dict[int, Callable[[Job], None]] = {}
        self._next_id = 1
        self._closed = False

    # -- queries ------------------------------------------------------------------------------
    def job(self, job_id: int) -> Job:
        """Return the job with this id. Raises KeyError for an unknown id."""
        return self._jobs[job_id]

    def jobs(self) -> list[Job]:
        """All jobs in submission order."""
        return list(self._jobs.values())

    @property
    def is_shut_down(self) -> bool:
        """True once :meth:`shutdown` ran: :meth:`submit` refuses new work (the window is closing)."""
        return self._closed

    def limit(self, resource: str) -> int:
        """How many jobs of ``resource`` may run at once."""
        return self._limits.get(resource, 1)

    def running_count(self, resource: str | None = None) -> int:
        """Jobs running now, on one resource or on all."""
        if resource is not None:
            return len(self._running.get(resource, ()))
        return sum(len(ids) for ids in self._running.values())

    # -- commands -----------------------------------------------------------------------------
    def submit(
        self,
        title: str,
        task: Task,
        resource: str = "io",
        on_done: Callable[[Job], None] | None = None,
        background: bool = False,
    ) -> int:
        """Queue ``task`` on ``resource`` and return the new job's id (see :class:`Job` for
        ``background``).

        Raises:
            RuntimeError: the runner was shut down.
        """
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        job_id = self._next_id
        self._next_id += 1
        self._jobs[job_id] = Job(id=job_id, title=title, resource=resource, background=background)
        self._tokens[job_id] = CancelToken()
        self._tasks[job_id] = task
        if on_done is not None:
            self._callbacks[job_id] = on_done
        self._queues.setdefault(resource, deque()).append(job_id)
        self.job_added.emit(job_id)
        self._start_ready(resource)
        return job_id

    def submit_call(
        self,
        title: str,
        function: Callable[[], Any],
        resource: str = "io",
        on_done: Callable[[Job], None] | None = None,
        background: bool = False,
    ) -> int:
        """:meth:`submit` for a plain function with no progress to report (a database read, a
        header parse): it runs off the GUI thread and its return value is the job's result.
        A cancel before it starts stops it; once started it runs to the end."""

        def task(_token: CancelToken) -> Generator[Progress, None, Any]:
            yield from ()
            return function()

        return self.submit(title, task, resource=resource, on_done=on_done, background=background)

    def cancel(self, job_id: int) -> None:
        """Cancel a queued job at once, or ask a running job to stop at its next check."""
        job = self._jobs.get(job_id)
        if job is None or job.state.is_final:
            return
        self._tokens[job_id].cancel()
        if job.state is JobState.QUEUED:
            self._queues[job.resource].remove(job_id)
            self._finish(job_id, JobState.CANCELLED, None, ("", "", ""))

    def clear_finished(self) -> list[int]:
        """Forget every job in a final state; return their ids (the jobs model removes the rows)."""
        gone = [job_id for job_id, job in self._jobs.items() if job.state.is_final]
        for job_id in gone:
            del self._jobs[job_id]
        return gone

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything, wait up to ``timeout_ms`` for running threads; True if all ended.

        ``on_done`` callbacks of jobs that end from now on are not called."""
        self._closed = True
        for job_id, job in list(self._jobs.items()):
            if not job.state.is_final:
                self.cancel(job_id)
        deadline = time.monotonic() + timeout_ms / 1000
        ok = True
        for thread in list(self._threads.values()):
            remaining = max(0, int((deadline - time.monotonic()) * 1000))
            ok = thread.wait(remaining) and ok
        return ok

    # -- internals ----------------------------------------------------------------------------
    def _start_ready(self, resource: str) -> None:
        queue = self._queues.get(resource)
        running = self._running.setdefault(resource, set())
        while queue and len(running) < self.limit(resource) and not self._closed:
            job_id = queue.popleft()
            job = self._jobs[job_id]
            job.state = JobState.RUNNING
            job.started_at = time.time()
            thread = _JobThread(job_id, self._tasks.pop(job_id), self._tokens[job_id], self)
            thread.progressed.connect(self._on_progress)
            thread.completed.connect(self._on_completed)
            thread.finished.connect(thread.deleteLater)
            self._threads[job_id] = thread
            running.add(job_id)
            self.job_changed.emit(job_id)
            thread.start()

    @Slot(int, object)
    def _on_progress(self, job_id: int, progress: Progress) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.state is not JobState.RUNNING:
            return
        job._update_rate(progress, time.monotonic())
        job.progress = progress
        self.job_changed.emit(job_id)

    @Slot(int, object, object, object)
    def _on_completed(self, job_id: int, state: JobState, result: Any, failure: tuple[str, str, str]) -> None:
        job = self._jobs.get(job_id)
        thread = self._threads.pop(job_id, None)
        if thread is not None:
            thread.wait()
        if job is not None:
            self._running.get(job.resource, set()).discard(job_id)
            self._finish(job_id, state, result, failure)
            self._start_ready(job.resource)

    def _finish(self, job_id: int, state: JobState, result: Any, failure: tuple[str, str, str]) -> None:
        job = self._jobs[job_id]
        job.state = state
        job.result = result
        job.error, job.hint, job.details = failure
        job.finished_at = time.time()
        job.eta_s = None
        if state is JobState.SUCCEEDED:
            done = job.progress.bytes_total
            job.progress = Progress(1.0, job.progress.message, done, done)
        self._tokens.pop(job_id, None)
        self._tasks.pop(job_id, None)
        self.job_changed.emit(job_id)
        self.job_finished.emit(job_id)
        callback = self._callbacks.pop(job_id, None)
        if callback is not None and not self._closed:  # after shutdown the UI is going away
            callback(job)
        if job.background:  # never listed: forget it (and its result) once its callback ran
            self._jobs.pop(job_id, None)
