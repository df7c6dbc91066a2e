"""A loaded model as the GUI sees it: one engine client driven from its own worker thread.

The engine client blocks (load, each token); a :class:`_EngineWorker` living in a QThread
owns it and reports through queued signals, so the GUI thread never waits on the engine.
Tokens arrive already batched by the engine, at most one event per
``slmdesk.engine.backend_base.FLUSH_INTERVAL_S`` (20 updates per second read as smooth
streaming), and each becomes one ``tokens_received`` signal. Cancel goes straight to the
client, which is safe from any thread, and names Chat's own request: the GUI's API server
borrows this engine for requests naming the loaded model (:meth:`EngineSession.loaded_client`),
and Stop must never end an API client's reply (nor an API client's disconnect Chat's).

A model on a remote OpenAI-compatible server (:class:`~slmdesk.engine.remote.RemoteEngineClient`)
is "loaded" through the same worker (:meth:`EngineSession.load_remote`) and streams through the
same calls, so Chat's send, Stop and regenerate do not tell them apart; the local engine's model
is unloaded meanwhile (its process stays up), and the API server never borrows a remote one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from slmdesk.core.errors import UserError
from slmdesk.engine.client import EngineClient
from slmdesk.engine.remote import RemoteEngineClient
from slmdesk.engine.types import (
    Done,
    EngineCrashed,
    LoadInfo,
    LoadSettings,
    Message,
    PromptReady,
    SamplingParams,
    Token,
)

log = logging.getLogger(__name__)


class _EngineWorker(QObject):
    """Runs blocking engine calls in the worker thread; every result leaves as a signal."""

    loaded = Signal(object)  # LoadInfo
    load_failed = Signal(str, str, bool)  # message, hint, crashed
    prompt_ready = Signal(object)  # PromptReady
    tokens_received = Signal(str)
    reply_finished = Signal(object)  # Done
    reply_failed = Signal(str, str, bool)  # message, hint, crashed
    unloaded = Signal()

    def __init__(self, client_factory: Callable[[], EngineClient]) -> None:
        super().__init__()
        self._client_factory = client_factory
        self.client: EngineClient | None = None
        self.remote: RemoteEngineClient | None = None
        """The remote model in use instead of the local engine, if any."""
        self.request_id: int | None = None
        """The id of Chat's reply being generated (or waiting for the engine), for Stop."""
        self.stop_asked = False
        """Set by Stop (any thread): the reply about to start is cancelled as soon as it has an id."""

    def _client(self) -> EngineClient:
        if self.client is None:
            self.client = self._client_factory()
        return self.client

    def active(self) -> EngineClient | RemoteEngineClient:
        """What replies come from: the remote model when one is connected, else the local engine."""
        return self.remote if self.remote is not None else self._client()

    def _drop_remote(self) -> None:
        remote, self.remote = self.remote, None
        if remote is not None:
            remote.close()

    @Slot(object)
    def load_remote(self, remote: RemoteEngineClient) -> None:
        try:
            info = remote.load_info or remote.connect(remote.model)
        except UserError as error:
            self.load_failed.emit(error.message, error.hint, False)
            return
        except Exception as error:  # a bug: report, keep the app up
            log.exception("remote connect failed")
            self.load_failed.emit(f"Internal error: {type(error).__name__}: {error}", "", False)
            return
        self._drop_remote()
        if self.client is not None and self.client.load_info is not None:
            with contextlib.suppress(UserError):  # free the local model's memory; the process stays
                self.client.unload()
        self.remote = remote
        self.loaded.emit(info)

    @Slot(str, object)
    def load(self, path: str, settings: LoadSettings) -> None:
        self._drop_remote()
        try:
            info = self._client().load(path, settings)
        except UserError as error:
            self.load_failed.emit(error.message, error.hint, isinstance(error, EngineCrashed))
        except Exception as error:  # a bug: report, keep the app up
            log.exception("engine load failed")
            self.load_failed.emit(f"Internal error: {type(error).__name__}: {error}", "", False)
        else:
            self.loaded.emit(info)

    @Slot(object, object, object)
    def generate(self, messages: list[Message], params: SamplingParams, prompt: str | None = None) -> None:
        try:
            client = self.active()
            rid = self.request_id = client.new_request_id()
            if self.stop_asked:  # Stop came before this reply had an id
                client.cancel(rid)
            if prompt is None:
                events = client.generate(messages, params, request_id=rid)
            else:
                events = client.complete(prompt, params, request_id=rid)
            for event in events:
                if isinstance(event, Token):  # already coalesced by the engine (FLUSH_INTERVAL_S)
                    self.tokens_received.emit(event.text)
                elif isinstance(event, PromptReady):
                    self.prompt_ready.emit(event)
                elif isinstance(event, Done):
                    self.reply_finished.emit(event)
        except UserError as error:
            self.reply_failed.emit(error.message, error.hint, isinstance(error, EngineCrashed))
        except Exception as error:
            log.exception("generation failed")
            self.reply_failed.emit(f"Internal error: {type(error).__name__}: {error}", "", False)

    @Slot()
    def unload(self) -> None:
        if self.remote is not None:
            self._drop_remote()
        elif self.client is not None:
            with contextlib.suppress(UserError):  # the engine is gone: nothing left to unload
                self.client.unload()
        self.unloaded.emit()

    @Slot()
    def close(self) -> None:
        self._drop_remote()
        client, self.client = self.client, None  # first: the API server stops borrowing it
        if client is not None:
            client.close()


class EngineSession(QObject):
    """One engine process for one loaded model, used by the Chat pane.

    Requests (``load``, ``generate``...) return at once; results arrive as signals on the GUI
    thread. Only one request runs at a time; ``busy`` tells whether one is running.
    """

    loaded = Signal(object)  # LoadInfo
    load_failed = Signal(str, str, bool)  # message, hint, crashed
    prompt_ready = Signal(object)  # PromptReady
    tokens_received = Signal(str)  # text since the previous signal
    reply_finished = Signal(object)  # Done
    reply_failed = Signal(str, str, bool)  # message, hint, crashed
    unloaded = Signal()

    _load_requested = Signal(str, object)
    _load_remote_requested = Signal(object)
    _generate_requested = Signal(object, object, object)
    _unload_requested = Signal()
    _close_requested = Signal()

    def __init__(
        self,
        client_factory: Callable[[], EngineClient] = EngineClient,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._thread = QThread(self)
        self._thread.setObjectName("engine-session")
        self._worker = _EngineWorker(client_factory)
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        for request, slot in (
            (self._load_requested, self._worker.load),
            (self._load_remote_requested, self._worker.load_remote),
            (self._generate_requested, self._worker.generate),
            (self._unload_requested, self._worker.unload),
            (self._close_requested, self._worker.close),
        ):
            request.connect(slot)
        self._worker.loaded.connect(self._on_loaded)
        self._worker.load_failed.connect(self._on_load_failed)
        self._worker.prompt_ready.connect(self.prompt_ready)
        self._worker.tokens_received.connect(self.tokens_received)
        self._worker.reply_finished.connect(self._on_reply_finished)
        self._worker.reply_failed.connect(self._on_reply_failed)
        self._worker.unloaded.connect(self._on_unloaded)
        self._thread.start()
        self.busy = False
        self.load_info: LoadInfo | None = None

    # -- requests ------------------------------------------------------------------------
    def load(self, path: Path, settings: LoadSettings) -> None:
        """Load ``path`` (replacing the loaded model); ``loaded`` or ``load_failed`` follows."""
        self.busy = True
        self._load_requested.emit(str(path), settings)

    def load_remote(self, remote: RemoteEngineClient) -> None:
        """Use ``remote`` (its :attr:`~RemoteEngineClient.model` on its server) for the replies
        that follow, instead of a local model: ``loaded`` (with the server's :class:`LoadInfo`)
        or ``load_failed`` follows. The local engine's model is unloaded once it answered."""
        self.busy = True
        self._load_remote_requested.emit(remote)

    @property
    def remote(self) -> RemoteEngineClient | None:
        """The remote model in use, None with a local one (or none)."""
        return self._worker.remote

    def generate(self, messages: Sequence[Message], params: SamplingParams, prompt: str | None = None) -> None:
        """Stream a reply; ``tokens_received`` then ``reply_finished`` or ``reply_failed`` follow.
        With ``prompt`` (completion mode) the model continues that text and ``messages`` is
        ignored (:meth:`slmdesk.engine.EngineClient.complete`)."""
        self.busy = True
        self._worker.stop_asked = False
        self._worker.request_id = None
        self._generate_requested.emit([dict(m) for m in messages], params, prompt)

    def cancel(self) -> None:
        """Stop Chat's reply within one token (the engine answers with a cancelled ``Done``);
        a request of the API server on the same engine goes on."""
        worker = self._worker
        worker.stop_asked = True
        client: EngineClient | RemoteEngineClient | None = worker.remote or worker.client
        rid = worker.request_id
        if client is not None and rid is not None:
            client.cancel(rid)

    def loaded_client(self) -> EngineClient | None:
        """The engine client while it has a model loaded and runs, else None; for the GUI's API
        server to borrow (``ApiServer(shared_engine=...)``). Safe from any thread: it reads two
        attributes, and the client checks under its lock that the model is still the one a
        borrowed request expects."""
        client = self._worker.client
        if self._worker.remote is not None or client is None or not client.running or client.load_info is None:
            return None
        return client

    def unload(self) -> None:
        """Free the model (the engine process stays up)."""
        self._unload_requested.emit()

    def engine_pid(self) -> int | None:
        """The engine process id while it runs (shown in the UI; used by crash tests)."""
        client = self._worker.client
        return client.pid if client is not None and client.running else None

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel, stop the engine process and the worker thread; blocks up to ``timeout_ms``."""
        self.cancel()
        self._close_requested.emit()
        self._thread.quit()
        self._thread.wait(timeout_ms)

    # -- results -------------------------------------------------------------------------
    @Slot(object)
    def _on_loaded(self, info: LoadInfo) -> None:
        self.busy = False
        self.load_info = info
        self.loaded.emit(info)

    @Slot(str, str, bool)
    def _on_load_failed(self, message: str, hint: str, crashed: bool) -> None:
        self.busy = False
        self.load_info = None
        self.load_failed.emit(message, hint, crashed)

    @Slot(object)
    def _on_reply_finished(self, done: Done) -> None:
        self.busy = False
        self.reply_finished.emit(done)

    @Slot(str, str, bool)
    def _on_reply_failed(self, message: str, hint: str, crashed: bool) -> None:
        self.busy = False
        if crashed:
            self.load_info = None
        self.reply_failed.emit(message, hint, crashed)

    @Slot()
    def _on_unloaded(self) -> None:
        self.load_info = None
        self.unloaded.emit()
