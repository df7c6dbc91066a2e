"""The local API server in the GUI: started, stopped and re-keyed off the GUI thread, its state as a signal.

The Settings pane's "Local API server" switch drives one :class:`ApiService`, owned by the main
window. Binding the socket, reading the key from the keyring and stopping the engines block,
so each start, stop or key renewal is a background job on the :class:`JobRunner`'s ``api``
resource (one at a time, in the order asked); the state shown is the outcome of the last one
asked for. While the server runs, a timer reads its request count (``ApiServer.stats``) once a
second. :meth:`ApiService.shutdown` stops it for good when the app quits.

``slmdesk.api.server`` (Starlette, uvicorn) is imported only when a server is first needed,
so an app that never turns the switch on does not pay for it at start-up.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from slmdesk.api import base_url
from slmdesk.core.errors import UserError
from slmdesk.core.settings import Settings
from slmdesk.jobs.runner import Job, JobRunner, JobState

if TYPE_CHECKING:
    from slmdesk.api.server import ApiServer, ServerConfig

log = logging.getLogger(__name__)

RESOURCE = "api"
"""The job queue of the server's starts and stops (one at a time, in order)."""

POLL_MS = 1000
"""How often the request count of a running server is read (milliseconds)."""


class ServerState(enum.StrEnum):
    """Where the server stands, as the Settings pane says it."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FAILED = "failed"


@dataclass(frozen=True)
class ApiStatus:
    """What the Settings pane shows about the server.

    Attributes:
        state: running, stopped, starting, stopping, or failed (see ``error``).
        address: the base URL clients use (``http://127.0.0.1:8765/v1``): the one listened on
            while running, else the one the settings describe.
        key: the API key, None until the server first started (it is created then) or a new
            key was made.
        key_location: where the key is kept: ``"keyring (...)"`` or the key file's path.
        error: why it failed (message and hint), "" otherwise.
        requests: requests finished since it started.
        waiting: requests queued for an engine now.
    """

    state: ServerState = ServerState.STOPPED
    address: str = ""
    key: str | None = None
    key_location: str = ""
    error: str = ""
    requests: int = 0
    waiting: int = 0


@dataclass(frozen=True)
class _Outcome:
    """What a finished job found out (built on the job's thread)."""

    running: bool
    address: str
    key: str | None
    key_location: str


def _outcome(server: ApiServer, with_key: bool) -> _Outcome:
    """The server's state after a job (``with_key``: read the key, created if need be)."""
    key = server.key if with_key else None
    return _Outcome(server.running, server.address, key, server.key_location)


ServerBuilder = Callable[["ServerConfig"], "ApiServer"]
"""``build(config) -> ApiServer``: the composition root's recipe (inventory, load plans, paths)."""


class ApiService(QObject):
    """Owns the local API server of the GUI and runs its life cycle through ``runner``.

    Args:
        runner: runs the start, stop and new-key jobs (background jobs on :data:`RESOURCE`).
        build: makes a server for a config (``ApiServer.for_inventory``, its own engine process).
        poll_ms: how often a running server's request count is read.

    Use from the GUI thread only. :attr:`status_changed` carries each new :class:`ApiStatus`.
    """

    status_changed = Signal(object)
    """The new :class:`ApiStatus`."""

    def __init__(self, runner: JobRunner, build: ServerBuilder, parent: QObject | None = None,
                 poll_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self._runner = runner
        self._build = build
        self._server: ApiServer | None = None
        self._servers: list[ApiServer] = []
        self._config: ServerConfig | None = None
        self._ticket = 0
        self._closed = False
        self._status = ApiStatus()
        self._timer = QTimer(self)
        self._timer.setObjectName("api-stats")
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    @property
    def status(self) -> ApiStatus:
        """The server's state now."""
        return self._status

    @property
    def server(self) -> ApiServer | None:
        """The server of the settings last applied (running or not), None before any."""
        return self._server

    # -- commands -----------------------------------------------------------------------------
    def apply(self, settings: Settings) -> None:
        """Make the server match ``settings``: started when ``api_enabled`` (restarted on a new
        address or port, left alone when it already runs as asked), stopped otherwise. Returns
        at once; :attr:`status_changed` follows."""
        if self._closed:
            return
        from slmdesk.api.server import ServerConfig

        try:
            config = ServerConfig.from_settings(settings)
        except UserError as error:
            self._fail(error)
            return
        if not settings.api_enabled:
            self._config = config
            self._stop()
            return
        current = self._server
        if current is not None and current.config == config and self._status.state in (
            ServerState.STARTING, ServerState.RUNNING,
        ):
            return
        old = current if current is not None and current.config != config else None
        server = current if old is None and current is not None else self._new_server(config)
        self._config = config
        self._server = server

        def start() -> _Outcome:
            if old is not None:
                old.stop()
            server.start()
            return _outcome(server, with_key=True)

        self._submit("Start the local API server", start, ServerState.STARTING, server)

    def renew_key(self) -> None:
        """Replace the API key with a new one (kept where the old one was); a running server
        restarts to require it. Returns at once; :attr:`status_changed` follows."""
        if self._closed:
            return
        server = self._server
        if server is None:
            from slmdesk.api.server import ServerConfig

            server = self._server = self._new_server(self._config or ServerConfig())

        def renew() -> _Outcome:
            try:
                server.renew_key()
            except OSError as error:
                raise UserError(f"Cannot store the new API key: {error}.",
                                "Check the permissions of the config folder.") from error
            if server.running:
                server.stop()
                server.start()
            return _outcome(server, with_key=True)

        state = self._status.state
        running = state in (ServerState.STARTING, ServerState.RUNNING)
        # A server that is not running stays as it was: stopped, or failed with its error.
        idle = ServerState.FAILED if state is ServerState.FAILED else ServerState.STOPPED
        self._submit("Make a new API key", renew, ServerState.STARTING if running else state, server, idle)

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Stop the server for good (the app quits): blocks until its engines are closed. Call
        it after the job runner's ``shutdown``, so that no start is still under way."""
        self._closed = True
        self._timer.stop()
        for server in self._servers:
            server.stop(timeout_s)
        self._servers.clear()
        self._server = None

    # -- internals ----------------------------------------------------------------------------
    def _new_server(self, config: ServerConfig) -> ApiServer:
        server = self._build(config)
        self._servers.append(server)
        return server

    def _stop(self) -> None:
        server = self._server
        if server is None or self._status.state is ServerState.STOPPED:
            self._set(replace(self._status, state=ServerState.STOPPED, error="", waiting=0,
                              address=self._address_of(server)))
            return

        def stop() -> _Outcome:
            server.stop()
            return _outcome(server, with_key=False)

        self._submit("Stop the local API server", stop, ServerState.STOPPING, server)

    def _address_of(self, server: ApiServer | None) -> str:
        if server is not None:
            return server.address
        return base_url(self._config.host, self._config.port) if self._config is not None else ""

    def _submit(self, title: str, work: Callable[[], _Outcome], state: ServerState, server: ApiServer,
                idle: ServerState = ServerState.STOPPED) -> None:
        """Run ``work`` as the next job on :data:`RESOURCE`, showing ``state`` until it ends;
        ``idle`` is the state shown if the server does not run afterwards."""
        self._ticket += 1
        ticket = self._ticket
        self._timer.stop()
        error = self._status.error if state is ServerState.FAILED else ""
        self._set(replace(self._status, state=state, error=error, address=server.address))

        def done(job: Job) -> None:
            self._job_done(ticket, job, idle)

        self._runner.submit_call(title, work, resource=RESOURCE, on_done=done, background=True)

    def _job_done(self, ticket: int, job: Job, idle: ServerState) -> None:
        if ticket != self._ticket or self._closed:
            return  # another start or stop was asked for since: its outcome is the one shown
        status = self._status
        if job.state is JobState.SUCCEEDED:
            outcome: _Outcome = job.result
            state = ServerState.RUNNING if outcome.running else idle
            status = replace(
                status,
                state=state,
                address=outcome.address,
                key=outcome.key or status.key,
                key_location=outcome.key_location or status.key_location,
                error=status.error if state is ServerState.FAILED else "",
                requests=0 if outcome.running else status.requests,
                waiting=0,
            )
        else:
            error = " ".join(filter(None, (job.error, job.hint))) or "The server stopped."
            log.warning("api: %s", error)
            status = replace(status, state=ServerState.FAILED, error=error, waiting=0)
        self._set(status)
        self._forget_stopped()
        if status.state is ServerState.RUNNING:
            self._timer.start()

    def _forget_stopped(self) -> None:
        """Drop servers replaced by a newer one once they no longer run."""
        self._servers = [s for s in self._servers if s is self._server or s.running]

    def _fail(self, error: UserError) -> None:
        self._set(replace(self._status, state=ServerState.FAILED, error=str(error)))

    @Slot()
    def _poll(self) -> None:
        server = self._server
        if server is None or self._status.state is not ServerState.RUNNING:
            self._timer.stop()
            return
        if not server.running:  # uvicorn's thread ended by itself
            self._timer.stop()
            self._set(replace(self._status, state=ServerState.FAILED, waiting=0,
                              error="The server stopped unexpectedly; the log has the details."))
            return
        stats = server.stats()
        requests, waiting = int(stats.get("requests", 0)), int(stats.get("waiting", 0))
        if (requests, waiting) != (self._status.requests, self._status.waiting):
            self._set(replace(self._status, requests=requests, waiting=waiting))

    def _set(self, status: ApiStatus) -> None:
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)
