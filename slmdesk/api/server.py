"""The local server as an object: start it in a thread, read its address and key, stop it.

:class:`ApiServer` is what ``slmdesk serve`` runs and what the GUI's Settings switch starts
and stops in-process (off the GUI thread): the socket is bound in :meth:`ApiServer.start` (so "port in use"
is an error the caller sees), uvicorn serves the ASGI app (:mod:`slmdesk.api.app`) on its own
thread with its own event loop, and :meth:`ApiServer.stop` cancels every reply, stops uvicorn
and closes the engines it started.

Security defaults: loopback only; another address is the user's explicit choice, logged as a
warning, and then the key cannot be turned off.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmdesk.api import DEFAULT_HOST, DEFAULT_PORT, base_url, is_loopback
from slmdesk.api.app import LOOPBACK_HOSTS, ApiState, Limits, create_app
from slmdesk.api.keys import KeyringBackend, load_or_create_key
from slmdesk.api.models import ModelCatalog, ServedModel, SettingsFor, plan_settings
from slmdesk.api.openai_schema import ApiError
from slmdesk.api.pool import EnginePool, SharedEngine
from slmdesk.api.queue import GenerationJob, JobRecord
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.settings import Settings
from slmdesk.engine.client import EngineClient
from slmdesk.engine.types import LoadInfo
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.repository import Inventory
from slmdesk.paths import AppPaths

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ApiServer", "ServerConfig", "bind", "is_loopback", "served_summary"]


@dataclass(frozen=True)
class ServerConfig:
    """How the server listens and what it allows.

    Attributes:
        host: the address to listen on (default loopback). Any other address reaches the
            network: a warning is logged and the key is mandatory.
        port: TCP port; 0 picks a free one (see :attr:`ApiServer.port`).
        api_key: the key clients must send; None uses the stored key (generated on first use,
            :func:`slmdesk.api.keys.load_or_create_key`).
        require_key: False serves without a key (allowed on loopback only).
        allowed_origins: web origins allowed by CORS; empty sends no CORS headers.
        max_engines: engine processes at once, one loaded model each ("models loaded at once",
            Settings' ``api_max_loaded_models``); at the limit a request for another model
            swaps the model of the least recently used idle engine.
        max_waiting: requests waiting per engine before new ones get 503.
        limits: request body and prompt size limits.

    Raises:
        UserError: a port out of range, a limit below 1, or no key on a non-loopback address.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    require_key: bool = True
    allowed_origins: tuple[str, ...] = ()
    max_engines: int = 1
    max_waiting: int = 16
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise UserError(f"Port {self.port} is out of range.", "Use a port between 1024 and 65535.")
        if self.max_engines < 1 or self.max_waiting < 0:
            raise UserError("At least one engine is needed, and the queue length cannot be negative.")
        if not self.require_key and not self.loopback:
            raise UserError(
                f"Serving on {self.host} without an API key would let anyone on the network use the models.",
                "Keep the key on, or serve on 127.0.0.1.",
            )
        if self.api_key is not None and len(self.api_key) < 8:
            raise UserError("The API key is too short.", "Use at least 8 characters, or let slmdesk generate one.")

    @property
    def loopback(self) -> bool:
        """True when only this machine can connect."""
        return is_loopback(self.host)

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerConfig:
        """The GUI's server: address, port, web origins and models loaded at once from
        Settings, the stored key (always required), the other values at their defaults.

        Raises:
            UserError: as the constructor.
        """
        return cls(host=settings.api_host, port=settings.api_port, allowed_origins=settings.api_allowed_origins,
                   max_engines=settings.api_max_loaded_models)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6).

    Raises:
        UserError: the address cannot be used (port in use, no such address, not allowed).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(128)
        except OSError:
            sock.close()
            raise
    except OSError as error:
        raise UserError(f"Cannot listen on {host}:{port}: {error.strerror or error}.",
                        "Choose another port, or stop the program that uses it.") from error
    sock.setblocking(False)
    return sock


class ApiServer:
    """The OpenAI-compatible server, run on a background thread.

    Args:
        config: address, key and limits.
        catalog: the models served.
        settings_for: each model's load settings (its load plan,
            :func:`slmdesk.api.models.plan_settings`).
        config_dir: where the key file goes when there is no keyring (``paths.resolve().config``).
        client_factory: makes an engine client (default: a new engine process logging to
            ``engine_log``); pass the GUI's client factory to share its engine.
        close_clients: close the engines on :meth:`stop` (False for engines owned elsewhere).
        shared_engine: an engine to borrow (the GUI's Chat pane's, :data:`SharedEngine`):
            requests for the model it holds run there instead of loading it a second time;
            never closed here.
        use_keyring: keep the generated key in the OS keyring when there is one.
        keyring_backend: a specific keyring (tests); None finds the system's.
        engine_log: the engines' log file (llama.cpp's stderr), for the default factory.

    Use: ``start()``, read ``address`` and ``key``, ``stop()``. ``start`` and ``stop`` are
    meant for one controlling thread (the GUI thread, the CLI's main thread).
    """

    def __init__(
        self,
        config: ServerConfig,
        catalog: ModelCatalog,
        settings_for: SettingsFor,
        *,
        config_dir: Path | None = None,
        client_factory: Callable[[], EngineClient] | None = None,
        close_clients: bool = True,
        shared_engine: SharedEngine | None = None,
        use_keyring: bool = True,
        keyring_backend: KeyringBackend | None = None,
        engine_log: Path | None = None,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self._settings_for = settings_for
        self._config_dir = config_dir
        self._client_factory = client_factory or (lambda: EngineClient(log_path=engine_log))
        self._close_clients = close_clients
        self._shared_engine = shared_engine
        self._use_keyring = use_keyring
        self._keyring_backend = keyring_backend
        self._key: str | None = config.api_key
        self.key_location = "given" if config.api_key else ""
        self._recent: deque[JobRecord] = deque(maxlen=100)
        self._recent_lock = threading.Lock()
        self._requests = 0
        self._pool: EnginePool | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port = config.port
        self._failure: BaseException | None = None

    @classmethod
    def for_inventory(
        cls,
        config: ServerConfig,
        inventory: Inventory,
        plans: LoadPlanStore,
        app_paths: AppPaths,
        *,
        refs: Sequence[str] = (),
        default_threads: int | None = None,
        gpu_layers: Callable[[ServedModel, LoadPlan], int | None] | None = None,
        overrides: dict[str, int] | None = None,
        client_factory: Callable[[], EngineClient] | None = None,
        close_clients: bool = True,
        shared_engine: SharedEngine | None = None,
    ) -> ApiServer:
        """The server of one slmdesk installation, as ``slmdesk serve`` and the GUI build it:
        the inventory's loadable models (or those ``refs`` name: ids or paths), each loaded
        with its load plan from ``plans`` (threads: the plan's, else ``default_threads``, the
        Settings value; "automatic" GPU layers from ``gpu_layers``; ``overrides`` such as
        ``{"n_ctx": 2048}`` win), the key kept in the keyring, or in ``app_paths.config`` for a
        portable installation, engines logging to ``app_paths.logs / "engine-api.log"``; with
        ``shared_engine`` (the GUI's Chat engine) requests for the model it holds run there.

        Raises:
            UserError: a ref that names no loadable model.
        """
        return cls(
            config,
            ModelCatalog.from_refs(inventory, refs),
            plan_settings(plans, default_threads, gpu_layers, **(overrides or {})),
            config_dir=app_paths.config,
            client_factory=client_factory,
            close_clients=close_clients,
            shared_engine=shared_engine,
            use_keyring=not app_paths.portable,
            engine_log=app_paths.logs / "engine-api.log",
        )

    # -- what the GUI shows -----------------------------------------------------------------
    @property
    def key(self) -> str | None:
        """The key clients must send (generated and stored on first use); None without a key.

        Raises:
            OSError: the key file cannot be written (no keyring, read-only config folder).
        """
        if not self.config.require_key:
            return None
        if self._key is None:
            if self._config_dir is None:
                raise UserError("No API key was given and there is no config folder to keep one in.")
            stored = load_or_create_key(self._config_dir, self._keyring_backend, use_keyring=self._use_keyring)
            self._key, self.key_location = stored.key, stored.location
            if stored.created:
                log.info("api: generated a new API key, kept in %s", stored.location)
        return self._key

    @property
    def port(self) -> int:
        """The port listened on (the one picked for port 0 once started)."""
        return self._port

    @property
    def address(self) -> str:
        """The base URL clients use: ``http://127.0.0.1:8765/v1``."""
        return base_url(self.config.host, self._port)

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    def recent(self) -> list[JobRecord]:
        """The last 100 finished requests, oldest first."""
        with self._recent_lock:
            return list(self._recent)

    def _finished(self, record: JobRecord) -> None:
        with self._recent_lock:
            self._recent.append(record)
            if record.finish_reason != "loaded":  # a preload is no request
                self._requests += 1

    def stats(self) -> dict[str, Any]:
        """Engines, busy engines, waiting requests, the model each engine holds or will, and
        ``requests``: the generation requests finished since the last :meth:`start` (errors and
        cancelled ones included)."""
        stats = self._pool.stats() if self._pool is not None else {"engines": 0, "busy": 0, "waiting": 0, "models": [],
                                                                   "shared": None}
        with self._recent_lock:
            stats["requests"] = self._requests
        return stats

    def renew_key(self) -> str:
        """Replace the stored key with a new random one (in the keyring or the key file, as
        :attr:`key`) and return it. A running server answers to the old key until it is
        started again.

        Raises:
            UserError: the server runs without a key or with a key given in its config.
            OSError: the key file cannot be written.
        """
        if not self.config.require_key or self.config.api_key is not None:
            raise UserError("This server's key is not a stored one; there is nothing to renew.")
        if self._config_dir is None:
            raise UserError("There is no config folder to keep a new key in.")
        stored = load_or_create_key(self._config_dir, self._keyring_backend, use_keyring=self._use_keyring,
                                    regenerate=True)
        self._key, self.key_location = stored.key, stored.location
        log.info("api: generated a new API key, kept in %s", stored.location)
        return stored.key

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, timeout_s: float = 15.0) -> None:
        """Bind the socket and start serving on a background thread; returns when it accepts
        connections.

        Raises:
            UserError: the address cannot be used, the key cannot be stored, or the server did
                not come up within ``timeout_s`` seconds.
        """
        import uvicorn

        if self.running:
            return
        if not self.config.loopback:
            log.warning("api: serving on %s: every machine that can reach this address can send requests "
                        "(they need the API key)", self.config.host)
        try:
            key = self.key
        except OSError as error:
            raise UserError(f"Cannot store the API key: {error}.", "Check the config folder's permissions.") from error
        sock = bind(self.config.host, self.config.port)
        self._port = sock.getsockname()[1]
        with self._recent_lock:
            self._requests = 0
        self._pool = EnginePool(self._client_factory, self._settings_for, self.config.max_engines,
                                self.config.max_waiting, self._finished, self._close_clients,
                                shared_engine=self._shared_engine)
        hosts = (LOOPBACK_HOSTS | {self.config.host.lower()}) if self.config.loopback else frozenset()
        state = ApiState(self.catalog, self._pool, key, self.config.limits, frozenset(hosts))
        app = create_app(state, self.config.allowed_origins)
        uvicorn_config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", server_header=False,
            timeout_graceful_shutdown=3, ws="none", proxy_headers=False,
        )
        server = uvicorn.Server(uvicorn_config)
        self._server, self._socket, self._failure = server, sock, None

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as error:  # noqa: BLE001 - reported by start(); never a silent death
                self._failure = error

        self._thread = threading.Thread(target=serve, name="api-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                failure = self._failure
                self.stop()
                raise UserError(f"The API server did not start: {failure or 'timed out'}.")
            time.sleep(0.01)
        log.info("api: serving %s", self.address)

    def preload(self, model: ServedModel, timeout_s: float = 600.0) -> LoadInfo:
        """Load ``model`` into an engine now (through the queue, like a request), so the first
        request does not wait for it.

        Raises:
            UserError: the server is not running, or the model cannot be loaded (the message
                says why).
        """
        import asyncio

        if self._pool is None:
            raise UserError("Start the server first.")
        pool = self._pool

        async def load() -> LoadInfo:
            job = GenerationJob(model, None, asyncio.get_running_loop())
            pool.submit(job)
            item = await asyncio.wait_for(job.next(), timeout_s)
            if isinstance(item, LoadInfo):
                return item
            if isinstance(item, ApiError):
                raise UserError(item.message)
            raise UserError(f"{model.id} was not loaded: the server is stopping.")

        try:
            return asyncio.run(load())
        except ApiError as error:
            raise UserError(error.message) from error
        except TimeoutError as error:
            raise UserError(f"Loading {model.id} took longer than {timeout_s:g} s.") from error

    def stop(self, timeout_s: float = 10.0) -> None:
        """Cancel every reply, stop serving, close the engines this server started. Safe to
        call twice, and after a failed start."""
        if self._pool is not None:
            self._pool.cancel_all()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("api: the server thread did not stop within %.0f s", timeout_s)
        if self._socket is not None:
            self._socket.close()
        if self._pool is not None:
            self._pool.close(timeout_s)
        self._pool = self._server = self._thread = self._socket = None
        log.info("api: stopped")

    def __enter__(self) -> ApiServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def served_summary(models: Sequence[ServedModel]) -> str:
    """``"3 models: a, b, c"`` (at most 5 names) for the CLI's and the GUI's status lines."""
    names = [m.id for m in models]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{len(names)} model{'s' if len(names) != 1 else ''}" + (f": {shown}" if names else "")
