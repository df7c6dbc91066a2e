"""The engines the API server runs requests on: :class:`EnginePool` routes each job to the
engine that has (or will have) the job's model, else to a new engine while fewer than
``max_engines`` run, else to the least recently used idle one (or the one with the shortest
queue when all are busy), which then swaps its model for the job's.

In the GUI the pool also borrows the Chat pane's engine (``shared_engine``): a job for the model
Chat has loaded goes to a :class:`SharedEngineWorker`, which runs it on Chat's client (no second
copy of the weights; the client's FIFO lock takes turns between Chat and the API) and never
loads anything there. A job that finds Chat's model changed or unloaded when its turn comes
(Chat loaded another model while it waited) is handed back to the pool's own engines, which load
the model as for any request; so are all jobs once Chat has no model loaded. Each engine's queue
and thread: :mod:`slmdesk.api.queue`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slmdesk.api.models import ServedModel, SettingsFor
from slmdesk.api.openai_schema import ApiError, busy, server_error
from slmdesk.api.queue import EngineWorker, GenerationJob, JobRecord
from slmdesk.engine.client import EngineClient
from slmdesk.engine.types import LoadInfo, ModelChangedError

SharedEngine = Callable[[], EngineClient | None]
"""``shared() -> EngineClient | None``: the engine client another part of the program (the GUI's
Chat pane) has a model loaded in now, None when it has none; called from any thread."""


def holds(client: EngineClient, model: ServedModel) -> bool:
    """Whether ``client``'s engine runs with ``model``'s file loaded (any load settings)."""
    info = client.load_info
    return client.running and info is not None and Path(info.path) == model.path.absolute()


class SharedEngineWorker(EngineWorker):
    """Runs jobs on an engine the pool borrows (the Chat pane's), one at a time like any worker.

    It never loads a model there and never closes that engine. A job whose model the borrowed
    engine no longer holds when its turn comes, or finds swapped when it reaches the engine
    (:class:`ModelChangedError`, checked under the client's lock), goes to ``hand_back``
    (the pool's own engines) untouched.

    Args:
        shared: the borrowed client now (see :data:`SharedEngine`).
        settings_for, on_finished: as :class:`EngineWorker`.
        hand_back: queues a job on another engine.
    """

    def __init__(self, shared: SharedEngine, settings_for: SettingsFor,
                 on_finished: Callable[[JobRecord], None] | None,
                 hand_back: Callable[[GenerationJob], None]) -> None:
        self._shared = shared
        self._fallback = hand_back
        super().__init__("shared", self._no_factory, settings_for, on_finished, close_client=False)

    @staticmethod
    def _no_factory() -> EngineClient:
        raise AssertionError("a shared engine worker never makes an engine")  # pragma: no cover

    def _engine(self, model: ServedModel) -> tuple[EngineClient, LoadInfo]:
        """The borrowed client and its load info, when it holds ``model``.

        Raises:
            ModelChangedError: it holds another model, or none.
        """
        client = self._shared()
        info = client.load_info if client is not None else None
        if client is None or info is None or not holds(client, model):
            raise ModelChangedError(f"{model.id} is no longer loaded in the Chat pane's engine.")
        return client, info

    def _hand_back(self, job: GenerationJob) -> bool:
        try:
            self._fallback(job)
        except ApiError as error:  # 503: the pool's queues are full
            job.emit(error)
            job.finish(JobRecord(job.model.id, 0.0, time.perf_counter() - job.submitted, "error",
                                 error=error.message))
        return True


class EnginePool:
    """Routes jobs to engine workers (at most ``max_engines`` engine processes).

    Args:
        client_factory: makes one engine client per worker.
        settings_for: the load settings of a served model.
        max_engines: engine processes at once, each holding one model (the "models loaded at
            once" limit, Settings' ``api_max_loaded_models``, ``slmdesk serve --max-models``);
            a request for another model starts a new engine below the limit, else waits its
            turn on the least recently used idle engine (the one with the shortest queue when
            all are busy), which then swaps its model for the requested one (1: every request
            for another model swaps the one engine's model).
        max_waiting: requests that may wait per engine; one more gets 503 with ``Retry-After``.
        on_finished: called with each finished job's :class:`JobRecord`.
        close_clients: close the engines when the pool closes.
        shared_engine: an engine borrowed from elsewhere (the GUI's Chat pane, see
            :data:`SharedEngine`): a job for the model it holds runs there, on a
            :class:`SharedEngineWorker` that is not counted in ``max_engines``; other jobs, and
            those that find its model changed when their turn comes, go to the pool's own engines.

    Raises:
        ValueError: ``max_engines`` below 1 or ``max_waiting`` below 0.
    """

    def __init__(
        self,
        client_factory: Callable[[], EngineClient],
        settings_for: SettingsFor,
        max_engines: int = 1,
        max_waiting: int = 16,
        on_finished: Callable[[JobRecord], None] | None = None,
        close_clients: bool = True,
        shared_engine: SharedEngine | None = None,
    ) -> None:
        if max_engines < 1 or max_waiting < 0:
            raise ValueError("max_engines must be >= 1 and max_waiting >= 0")
        self._client_factory = client_factory
        self._settings_for = settings_for
        self.max_engines = max_engines
        self.max_waiting = max_waiting
        self._on_finished = on_finished
        self._close_clients = close_clients
        self._workers: list[EngineWorker] = []
        self._shared = shared_engine
        self._shared_worker: SharedEngineWorker | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _borrowed(self, model: ServedModel) -> EngineWorker | None:
        """The shared engine's worker when that engine holds ``model`` now (made on first use)."""
        client = self._shared() if self._shared is not None else None
        if self._shared is None or client is None or not holds(client, model):
            return None
        if self._shared_worker is None:
            self._shared_worker = SharedEngineWorker(self._shared, self._settings_for, self._on_finished,
                                                     self._hand_back)
        return self._shared_worker

    def _hand_back(self, job: GenerationJob) -> None:
        """Queue a job the shared engine could not run on one of the pool's own engines."""
        self._submit(job, borrow=False)

    def _route(self, model: ServedModel) -> EngineWorker:
        for worker in self._workers:
            if worker.planned == model:
                return worker
        if len(self._workers) < self.max_engines:
            worker = EngineWorker(f"engine-{len(self._workers) + 1}", self._client_factory, self._settings_for,
                                  self._on_finished, self._close_clients)
            self._workers.append(worker)
            return worker
        # Evict the least recently used idle engine; when every engine is busy, queue behind the
        # shortest queue (evicting a busy engine would cut no wait and cost its model a reload).
        return min(self._workers, key=lambda w: (w.busy, w.waiting, w.last_used))

    def submit(self, job: GenerationJob) -> None:
        """Queue ``job`` on the engine that serves its model (the shared engine first, when it
        holds that model).

        Raises:
            ApiError: 503 (``Retry-After``) when ``max_waiting`` requests already wait there,
                or when the pool is closed.
        """
        self._submit(job, borrow=True)

    def _submit(self, job: GenerationJob, borrow: bool) -> None:
        with self._lock:
            if self._closed:
                raise server_error("The server is stopping.", code="server_stopping")
            worker = (self._borrowed(job.model) if borrow else None) or self._route(job.model)
            waiting = worker.waiting
            if worker.busy and waiting >= self.max_waiting:
                retry = min(60, max(1, math.ceil(worker.mean_job_s * (waiting + 1))))
                raise busy(retry, waiting)
            worker.submit(job)

    def stats(self) -> dict[str, Any]:
        """``{"engines": n, "busy": n, "waiting": n, "models": [API names planned per engine],
        "shared": API name of the last job run on the shared engine, or None}``; ``engines`` and
        ``models`` count the pool's own engines only, ``busy`` and ``waiting`` the shared one too."""
        with self._lock:
            workers = list(self._workers)
            shared = self._shared_worker
        every = [*workers, shared] if shared is not None else workers
        return {
            "engines": len(workers),
            "busy": sum(w.busy for w in every),
            "waiting": sum(w.waiting for w in every),
            "models": [w.planned.id if w.planned else None for w in workers],
            "shared": shared.planned.id if shared is not None and shared.planned else None,
        }

    def cancel_all(self) -> None:
        """Cancel every running and queued job (the server is stopping)."""
        with self._lock:
            workers = list(self._workers)
            if self._shared_worker is not None:
                workers.append(self._shared_worker)
        for worker in workers:
            worker.cancel_all()

    def close(self, timeout_s: float = 10.0) -> None:
        """Cancel everything and stop every worker and engine. Safe to call twice."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
            if self._shared_worker is not None:
                workers.insert(0, self._shared_worker)  # first: it may hand jobs to the others
                self._shared_worker = None
        for worker in workers:
            worker.close(timeout_s)
