"""Fair access to the engines: one FIFO of requests per engine process, served by one thread each.

An :class:`~slmdesk.engine.EngineClient` runs one request at a time, so every request becomes a
:class:`GenerationJob` that waits its turn in an :class:`EngineWorker`'s queue, first come first
served. The worker's thread loads the model the job names when the engine holds another one
(the load plan decides how), runs the reply (a chat reply, or the continuation of a raw prompt
for ``/v1/completions``) and hands each engine event to the job, which the server's event loop
reads with :meth:`GenerationJob.next`; an embeddings job runs the same way and hands back one
:class:`~slmdesk.engine.types.EmbeddingResult`. :class:`~slmdesk.api.pool.EnginePool` routes
jobs to workers (and to the Chat pane's engine in the GUI).

Cancelling a job (the client disconnected) drops it from the queue or, while it runs, sends the
engine a cancel naming the job's request at once (``EngineClient.cancel(request_id)``, checked
by the engine between two tokens), so the next job starts as soon as the engine has stopped and
nothing else running on that engine is touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from slmdesk.api.models import ServedModel, SettingsFor
from slmdesk.api.openai_embeddings import EmbeddingCall
from slmdesk.api.openai_schema import (
    ApiError,
    ChatCall,
    CompletionCall,
    EngineCall,
    bad_request,
    context_too_long,
    server_error,
)
from slmdesk.core.errors import Cancelled, UserError
from slmdesk.engine.client import EngineClient
from slmdesk.engine.templates import TemplateError, TemplateSecurityError
from slmdesk.engine.types import (
    ContextOverflowError,
    Done,
    EmbeddingResult,
    EngineCrashed,
    EngineTimeout,
    Event,
    InvalidRequestError,
    LoadInfo,
    ModelChangedError,
    NotLoadedError,
    PromptReady,
)

log = logging.getLogger(__name__)

END = None
"""What :meth:`GenerationJob.next` returns after the job's last event."""

JobItem = Event | LoadInfo | EmbeddingResult | ApiError | None
"""An item of a job's event stream: an engine event, the :class:`LoadInfo` of a load-only job,
the :class:`EmbeddingResult` of an embeddings job, an error, or :data:`END`."""

JobCall = EngineCall | EmbeddingCall
"""What a job asks of the engine: a chat reply, a text continuation, or embeddings."""


@dataclass(frozen=True)
class JobRecord:
    """What one finished job cost, for the server's recent-requests list (GUI, tests, logs).

    Attributes:
        model: the served model's API name.
        queued_s: seconds from submission to the worker taking it.
        total_s: seconds from submission to its end.
        finish_reason: the engine's (:data:`slmdesk.engine.types.FINISH_REASONS`), ``"error"``,
            ``"dropped"`` (cancelled before it ran), ``"embedded"`` (embeddings computed) or
            ``"loaded"`` (a preload, no request).
        prompt_tokens, completion_tokens: token counts (0 when it did not generate; an
            embeddings job counts its inputs' tokens as prompt tokens).
        tokens_after_cancel: tokens the engine generated after the cancel reached it (0 or 1),
            None when not cancelled.
        error: the error answered, "" if none.
    """

    model: str
    queued_s: float
    total_s: float
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_after_cancel: int | None = None
    error: str = ""


class GenerationJob:
    """One request's work for an engine, and the channel its events come back through.

    Args:
        model: the model to generate with.
        call: the translated request (a chat reply, a text completion or embeddings); None
            for a load-only job (preloading a model).
        loop: the server's event loop, where :meth:`next` is awaited.

    The engine worker calls :meth:`emit` and :meth:`finish` from its thread; the event loop
    calls :meth:`next` and :meth:`cancel`.
    """

    def __init__(self, model: ServedModel, call: JobCall | None, loop: asyncio.AbstractEventLoop) -> None:
        self.model = model
        self.call = call
        self._loop = loop
        self._items: asyncio.Queue[JobItem] = asyncio.Queue()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._client: EngineClient | None = None
        self._request_id: int | None = None
        self._finished = False
        self._answered = False
        self.submitted = time.perf_counter()
        self.started: float | None = None
        self.record: JobRecord | None = None

    # -- the event loop's side ----------------------------------------------------------------
    async def next(self) -> JobItem:
        """The next engine event, an :class:`ApiError`, or :data:`END` after the last one."""
        item = await self._items.get()
        if item is None or isinstance(item, Done | ApiError):
            self._answered = True  # nothing left to cancel, even if the worker has not finished yet
        return item

    def cancel(self) -> None:
        """Stop the job: dropped if it still waits, the engine told at once if it runs (its
        reply then ends within one token). Safe from any thread, at any time, repeatedly."""
        if self._answered:
            return
        self._cancelled.set()
        with self._lock:
            if self._client is not None and not self._finished:
                self._client.cancel(self._request_id)

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled.is_set()

    # -- the worker's side --------------------------------------------------------------------
    def emit(self, item: JobItem) -> None:
        """Hand ``item`` to the event loop (from the worker's thread)."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: the server stopped
            self._loop.call_soon_threadsafe(self._items.put_nowait, item)

    def attach(self, client: EngineClient, request_id: int) -> None:
        """The job's request ``request_id`` (reserved with ``client.new_request_id()``) is about
        to run on ``client``: :meth:`cancel` now reaches it, and it alone."""
        with self._lock:
            self._client = client
            self._request_id = request_id

    def detach(self) -> None:
        """The job no longer runs on the engine (called before the next job starts, so a late
        cancel can never stop another job's reply)."""
        with self._lock:
            self._client = None
            self._request_id = None

    def finish(self, record: JobRecord) -> None:
        """End the event stream (:data:`END`) and keep ``record``."""
        with self._lock:
            self._finished = True
            self._client = None
        self.record = record
        self.emit(END)


def _api_error(error: UserError, loading: bool, param: str = "messages") -> ApiError:
    """The OpenAI-shaped error for an engine error (``param``: the request field holding the
    prompt, ``"messages"``, ``"prompt"`` or ``"input"``).

    An :class:`InvalidRequestError` is the client's to fix (400): in chat it comes from the JSON
    schema of ``response_format``, in embeddings from ``input``.
    """
    text = f"{error.message} {error.hint}".strip()
    if isinstance(error, ContextOverflowError):
        return ApiError(413, text, param=param, code="context_length_exceeded")
    if isinstance(error, InvalidRequestError):
        return bad_request(text, param="response_format" if param == "messages" else param, code="invalid_request")
    if isinstance(error, TemplateSecurityError):
        return server_error(text, code="model_load_failed")
    if isinstance(error, TemplateError):
        return bad_request(f"The model's chat template refused these messages: {text}", param="messages",
                           code="chat_template_error")
    if isinstance(error, NotLoadedError):
        return ApiError(404, text, param="model", code="model_not_loaded")
    if isinstance(error, EngineCrashed | EngineTimeout):
        return server_error(text, code="engine_crashed")
    return server_error(text, code="model_load_failed" if loading else "engine_error")


class EngineWorker:
    """One engine process and the FIFO of jobs waiting for it, served by one thread.

    Args:
        name: for the thread's name and the log.
        client_factory: makes the engine client (called once, on the worker's thread).
        settings_for: the load settings of a served model (its load plan).
        on_finished: called with each finished job's :class:`JobRecord` (worker thread).
        close_client: close the client when the worker closes (False for a client owned
            elsewhere, such as the GUI's).
    """

    def __init__(
        self,
        name: str,
        client_factory: Callable[[], EngineClient],
        settings_for: SettingsFor,
        on_finished: Callable[[JobRecord], None] | None = None,
        close_client: bool = True,
    ) -> None:
        self.name = name
        self._client_factory = client_factory
        self._settings_for = settings_for
        self._on_finished = on_finished
        self._close_client = close_client
        self._client: EngineClient | None = None
        self._jobs: deque[GenerationJob] = deque()
        self._condition = threading.Condition()
        self._closing = False
        self._running: GenerationJob | None = None
        self.planned: ServedModel | None = None
        """The model of the last job queued (the one the engine will hold once it is done)."""
        self.last_used = time.monotonic()
        self.mean_job_s = 2.0
        """Moving average of a job's duration (seconds), for the 503's ``Retry-After``."""
        self._thread = threading.Thread(target=self._serve, name=f"api-{name}", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Jobs queued behind the running one."""
        with self._condition:
            return len(self._jobs)

    @property
    def busy(self) -> bool:
        """A job is running or waiting."""
        with self._condition:
            return self._running is not None or bool(self._jobs)

    def submit(self, job: GenerationJob) -> None:
        """Queue ``job`` behind every job submitted before it.

        Raises:
            ApiError: 503 when the worker is closing.
        """
        with self._condition:
            if self._closing:
                raise server_error("The server is stopping.", code="server_stopping")
            self._jobs.append(job)
            self.planned = job.model
            self.last_used = time.monotonic()
            self._condition.notify()

    def cancel_all(self) -> None:
        """Cancel the running job and every queued one."""
        with self._condition:
            jobs = list(self._jobs)
            running = self._running
        for job in jobs:
            job.cancel()
        if running is not None:
            running.cancel()

    def close(self, timeout_s: float = 10.0) -> None:
        """Cancel every job, stop the thread and (if owned) the engine process."""
        with self._condition:
            self._closing = True
            self._condition.notify()
        self.cancel_all()
        self._thread.join(timeout_s)
        if self._client is not None and self._close_client:
            self._client.close()

    # -- the worker thread ---------------------------------------------------------------------
    def _serve(self) -> None:
        while True:
            with self._condition:
                while not self._jobs and not self._closing:
                    self._condition.wait()
                if not self._jobs:
                    return
                job = self._jobs.popleft()
                self._running = job
            try:
                self._run(job)
            finally:
                with self._condition:
                    self._running = None

    def _engine(self, model: ServedModel) -> tuple[EngineClient, LoadInfo]:
        """The engine client to run a job for ``model`` on, with ``model`` loaded (started and
        loaded now if need be).

        Raises:
            UserError: the engine cannot start or load the model.
            ModelChangedError: (a :class:`SharedEngineWorker`) the borrowed engine no longer
                holds ``model``.
        """
        if self._client is None:
            self._client = self._client_factory()
        return self._client, self._loaded(self._client, model)

    def _loaded(self, client: EngineClient, model: ServedModel) -> LoadInfo:
        """The engine with ``model`` loaded as its plan says (loaded now unless it already
        is: same file, same settings; a shared client may have been changed by its owner)."""
        settings = self._settings_for(model)
        info = client.load_info
        if info is not None and client.running and Path(info.path) == model.path.absolute() \
                and info.settings == settings:
            return info
        log.info("api: loading %s (%s)", model.id, model.path)
        loaded = client.load(model.path, settings)
        log.info("api: %s loaded in %.1f s, n_ctx %d", model.id, loaded.load_s, loaded.n_ctx)
        return loaded

    def _run(self, job: GenerationJob) -> None:
        job.started = time.perf_counter()
        queued_s = job.started - job.submitted
        finish, error_text = "error", ""
        done: Done | None = None
        prompt_tokens = 0
        if job.cancelled:
            job.finish(JobRecord(job.model.id, queued_s, queued_s, "dropped"))
            return
        loading = True
        try:
            client, info = self._engine(job.model)
            loading = False
            if job.call is None:
                job.emit(info)
                finish = "loaded"
            elif isinstance(job.call, EmbeddingCall):
                embedded = self._embed(client, job, job.call)
                finish = "embedded" if embedded is not None else "cancelled"
                prompt_tokens = embedded.prompt_tokens if embedded is not None else 0
            else:
                done = self._generate(client, job, job.call, info)
                finish = done.stats.finish_reason if done is not None else "cancelled"
        except Cancelled:  # an embeddings job stopped by its client or by the server stopping
            finish = "cancelled"
        except (UserError, ApiError) as error:
            if isinstance(error, ModelChangedError) and self._hand_back(job):
                return  # nothing was sent for it: another engine answers it
            param = {CompletionCall: "prompt", EmbeddingCall: "input"}.get(type(job.call), "messages")
            api_error = error if isinstance(error, ApiError) else _api_error(error, loading, param)
            error_text = api_error.message
            if api_error.status >= 500:
                log.warning("api: %s: %s", job.model.id, api_error.message)
            job.emit(api_error)
        except Exception as error:  # a bug: answer 500, keep serving
            log.exception("api: internal error while serving %s", job.model.id)
            error_text = f"Internal error: {type(error).__name__}: {error}"
            job.emit(server_error(error_text, code="internal_error"))
        total_s = time.perf_counter() - job.submitted
        self.mean_job_s = 0.8 * self.mean_job_s + 0.2 * (time.perf_counter() - job.started)
        self.last_used = time.monotonic()
        stats = done.stats if done is not None else None
        record = JobRecord(
            job.model.id, queued_s, total_s, finish,
            prompt_tokens=stats.prompt_tokens if stats else prompt_tokens,
            completion_tokens=stats.completion_tokens if stats else 0,
            tokens_after_cancel=stats.tokens_after_cancel if stats else None,
            error=error_text,
        )
        job.finish(record)
        if self._on_finished is not None:
            try:
                self._on_finished(record)
            except Exception:
                log.exception("api: the finished-request callback failed")

    def _hand_back(self, job: GenerationJob) -> bool:
        """Pass ``job`` on to another engine (True), or not (False: it is answered here)."""
        return False

    def _embed(self, client: EngineClient, job: GenerationJob, call: EmbeddingCall) -> EmbeddingResult | None:
        """Compute the embeddings of ``call`` and hand the result to ``job``; None if the job
        was cancelled before it started.

        Raises:
            Cancelled: the job was cancelled while the engine worked.
            UserError: from the engine.
        """
        rid = client.new_request_id()
        job.attach(client, rid)
        try:
            if job.cancelled:
                return None
            result = client.embed(call.inputs, request_id=rid, model=job.model.path)
        finally:
            job.detach()
        job.emit(result)
        return result

    def _generate(self, client: EngineClient, job: GenerationJob, call: EngineCall, info: LoadInfo) -> Done | None:
        """Run one reply (a chat reply, or a continuation of a raw prompt), handing its events
        to ``job``; returns its :class:`Done` (None if it was cancelled before it started).

        Raises:
            ApiError: 413 when the prompt and the reply budget do not fit ``info.n_ctx``.
            UserError: from the engine.
        """
        params = call.params
        if isinstance(call, ChatCall) and call.max_tokens is None:  # left open: the rest of the context
            prompt_tokens = client.count_tokens(call.messages, model=job.model.path)
            room = info.n_ctx - prompt_tokens
            if room < 1:
                raise context_too_long(prompt_tokens, None, info.n_ctx)
            params = replace(params, max_tokens=room)
        rid = client.new_request_id()
        job.attach(client, rid)
        done: Done | None = None
        try:
            if job.cancelled:
                return None
            if isinstance(call, ChatCall):
                events, param = client.generate(call.messages, params, request_id=rid, model=job.model.path), "messages"
            else:
                events, param = client.complete(call.prompt, params, request_id=rid, model=job.model.path), "prompt"
            try:
                for event in events:
                    if isinstance(event, PromptReady) and (
                        event.dropped_messages or event.prompt_tokens + params.max_tokens > info.n_ctx
                    ):
                        # The engine would drop old turns, or the text's beginning, to fit (the Chat
                        # pane's behaviour); an API client gets OpenAI's answer: it does not fit.
                        raise context_too_long(event.prompt_tokens, call.max_tokens, info.n_ctx, param,
                                               cut=bool(event.dropped_messages))
                    if isinstance(event, Done):
                        done = event
                    job.emit(event)
                    if job.cancelled:
                        client.cancel(rid)  # a cancel that came before the engine had the request
            finally:
                close = getattr(events, "close", None)
                if close is not None:
                    close()  # stopped early: EngineClient.generate cancels and waits for the engine
        finally:
            job.detach()
        return done
