"""A client for remote OpenAI-compatible engines (vLLM, Ollama's ``/v1``, llama.cpp's llama-server,
LM Studio, llama-cpp-python's server, another slmdesk): list models, tell the server's kind, and
stream replies through the same calls as :class:`~slmdesk.engine.client.EngineClient`.

Plain Python (the standard library's ``http.client``: a socket that another thread can shut
down, so Stop is immediate whatever the server does). Requests go to the connection's base URL
only; the API key is sent to it as ``Authorization: Bearer`` and nowhere else. In offline mode
only servers on this computer (loopback) are reached (:func:`check_allowed`).

Stop closes the stream: OpenAI-compatible servers (vLLM, llama-server, Ollama, slmdesk) cancel a
generation whose client went away. Token counts come from the stream's ``usage`` (asked for with
``stream_options.include_usage``); time to first token and tokens/s are measured here, so they
include the network.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import queue
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from slmdesk import __version__
from slmdesk.core import netguard, offline
from slmdesk.core.errors import UserError
from slmdesk.engine.backend_base import FLUSH_INTERVAL_S
from slmdesk.engine.sse import DONE, SseParser
from slmdesk.engine.types import (
    Done,
    EngineError,
    Event,
    GenerationStats,
    LoadInfo,
    LoadSettings,
    Message,
    RuntimeInfo,
    SamplingParams,
    Token,
)

SERVER_KINDS: dict[str, str] = {
    "vllm": "vLLM",
    "ollama": "Ollama",
    "llama.cpp": "llama.cpp server",
    "llama-cpp-python": "llama-cpp-python",
    "lm-studio": "LM Studio",
    "slmdesk": "slmdesk",
    "openai-compatible": "OpenAI-compatible server",
}
"""Server kind -> its name for people."""

OWNED_BY_KINDS: dict[str, str] = {
    "vllm": "vllm",  # vllm/entrypoints/openai/protocol.py ModelCard
    "library": "ollama",  # Ollama's openai/openai.go: models of its library
    "llamacpp": "llama.cpp",  # llama.cpp tools/server/server.cpp, /v1/models
    "me": "llama-cpp-python",  # llama_cpp/server/app.py, get_models
    "organization_owner": "lm-studio",  # LM Studio's /v1/models
    "slmdesk": "slmdesk",  # slmdesk/api/openai_replies.py model_object
}
"""The ``owned_by`` of a ``/v1/models`` entry -> the server kind that answers so."""

SAMPLING_EXTRAS: dict[str, dict[str, str]] = {
    "vllm": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repetition_penalty"},
    "llama.cpp": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repeat_penalty"},
    "llama-cpp-python": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repeat_penalty"},
    "slmdesk": {"top_k": "top_k", "min_p": "min_p", "repeat_penalty": "repeat_penalty"},
}
"""Sampling settings outside OpenAI's API, by the name each server kind reads them (vLLM's
``SamplingParams``, llama-server's and llama-cpp-python's request fields). Other kinds get only
OpenAI's own (temperature, top_p, max_tokens, seed, stop): a strict server refuses unknown fields."""


def kind_label(kind: str) -> str:
    """The name of a server kind for people ("vLLM"); the kind itself when unknown."""
    return SERVER_KINDS.get(kind, kind or SERVER_KINDS["openai-compatible"])


def normalize_base_url(url: str) -> str:
    """The base URL of an OpenAI-compatible API: ``http(s)://host[:port]/path`` without a trailing
    slash, query or fragment; a URL with no path gets ``/v1`` (``http://gpu-box:8000`` ->
    ``http://gpu-box:8000/v1``), as every supported server serves its API there.

    Raises:
        UserError: not an http or https URL with a host, or one with a user name or password
            (the key is asked for separately, so that it never lands in the inventory).
    """
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{url!r} is not a server address.", "Give an http:// or https:// URL, e.g. "
                        "http://127.0.0.1:8000/v1.")
    if parts.username or parts.password:
        raise UserError("Put the API key in its own field, not in the URL.",
                        "The URL is stored as it is; the key goes to the OS keyring.")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as error:
        raise UserError(f"{url!r} has an invalid port.", "Ports are 1 to 65535.") from error
    path = parts.path.rstrip("/") or "/v1"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def host_of(base_url: str) -> str:
    """``host:port`` of a base URL, for people ("gpu-box:8000")."""
    parts = urllib.parse.urlsplit(base_url)
    return parts.netloc or base_url


def is_loopback(base_url: str) -> bool:
    """Whether ``base_url`` points at this computer (127.0.0.0/8, ::1, localhost)."""
    return netguard.is_local_host(urllib.parse.urlsplit(base_url).hostname)


def check_allowed(base_url: str) -> None:
    """Refuse a server off this computer while offline mode is on.

    Raises:
        RemoteError: offline mode is on and ``base_url`` is not a loopback address.
    """
    state = offline.current()
    if state.on and not is_loopback(base_url):
        raise RemoteError(
            f"Offline mode is on: slmdesk connects only to servers on this computer, not {host_of(base_url)}.",
            "Remote engines on 127.0.0.1 or localhost still work. " + state.how_to_turn_off(),
        )


@dataclass(frozen=True)
class RemoteModel:
    """One entry of a server's ``GET /v1/models``.

    Attributes:
        id: the model id to send in requests.
        owned_by: the entry's ``owned_by`` (it tells the server's kind: :data:`OWNED_BY_KINDS`).
        context_length: the context the server runs it with (tokens) when it says so (vLLM's
            ``max_model_len``, llama-server's ``n_ctx``), else None.
    """

    id: str
    owned_by: str = ""
    context_length: int | None = None


@dataclass(frozen=True)
class ServerInfo:
    """What a connection test found.

    Attributes:
        base_url: the API's base URL.
        kind: a key of :data:`SERVER_KINDS` (``openai-compatible`` when it cannot be told).
        version: the server's version when it says ("0.6.3"), else "".
        models: what ``/v1/models`` lists.
        latency_s: seconds the model listing took.
    """

    base_url: str
    kind: str
    version: str = ""
    models: tuple[RemoteModel, ...] = ()
    latency_s: float = 0.0

    @property
    def label(self) -> str:
        """``"vLLM 0.6.3"``, ``"Ollama"``..."""
        return f"{kind_label(self.kind)} {self.version}".strip()


class RemoteError(EngineError):
    """A remote server refused, failed or could not be reached; ``status`` is the HTTP status
    when it answered. Never a crash: the connection stays usable for the next reply."""

    def __init__(self, message: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


@dataclass(frozen=True)
class RemoteTimeouts:
    """Seconds to wait: ``connect_s`` for the connection, ``request_s`` for a listing or probe,
    ``idle_s`` between two pieces of a streamed reply (the first one included: a long prompt on a
    busy server takes a while)."""

    connect_s: float = 10.0
    request_s: float = 30.0
    idle_s: float = 120.0


def kind_from_models(models: Sequence[RemoteModel]) -> str | None:
    """The server kind the models' ``owned_by`` tells (:data:`OWNED_BY_KINDS`), None when none does."""
    for model in models:
        kind = OWNED_BY_KINDS.get(model.owned_by)
        if kind is not None:
            return kind
    return None


def parse_models(payload: Any) -> list[RemoteModel]:
    """The models of a ``GET /v1/models`` answer (``{"data": [{"id", "owned_by"...}]}``); entries
    without an id are skipped.

    Raises:
        RemoteError: the answer is not a model list.
    """
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise RemoteError("The server's /models answer is not a model list.",
                          "Is the URL an OpenAI-compatible API (it usually ends in /v1)?")
    models = []
    for entry in data:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        context = None
        for key in ("max_model_len", "context_length", "max_context_length"):
            value = entry.get(key)
            if isinstance(value, int) and value > 0:
                context = value
                break
        models.append(RemoteModel(entry["id"], str(entry.get("owned_by") or ""), context))
    return models


def error_text(body: bytes) -> str:
    """The message of a server's error body: OpenAI's ``{"error": {"message"}}``, vLLM's
    ``{"message"}``, FastAPI's ``{"detail"}``, or the text itself (cut to 300 characters)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        for key in ("error", "message", "detail"):
            if isinstance(payload.get(key), str):
                return str(payload[key])[:300]
    return text[:300]


@dataclass
class _Call:
    """One streamed request, for :meth:`RemoteEngineClient.cancel` from another thread."""

    cancelled: bool = False
    sock: socket.socket | None = None

    def stop(self) -> None:
        self.cancelled = True
        sock = self.sock
        if sock is not None:  # wakes the reading thread at once, whatever the server does
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@dataclass
class _Reply:
    """What a stream has said so far."""

    parts: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    finish: str | None = None
    pieces: int = 0
    first_at: float | None = None
    last_at: float | None = None
    done: bool = False


class RemoteEngineClient:
    """One model on one OpenAI-compatible server, driven like :class:`EngineClient`.

    Args:
        base_url: the API's base URL (:func:`normalize_base_url` is applied).
        api_key: sent as ``Authorization: Bearer`` to ``base_url`` only; None sends none.
        model: the model id to chat with (:meth:`connect` sets it).
        kind: the server kind when known (:meth:`probe` finds it); it chooses the sampling
            fields sent (:data:`SAMPLING_EXTRAS`).
        timeouts: see :class:`RemoteTimeouts`.
        ssl_context: for https (default: the system's trusted certificates).

    Thread safety: as :class:`EngineClient`, one thread iterates :meth:`generate` while another
    may call :meth:`cancel`; several replies may stream at once (each its own connection).
    """

    def __init__(self, base_url: str, api_key: str | None = None, *, model: str = "", kind: str = "",
                 timeouts: RemoteTimeouts = RemoteTimeouts(), ssl_context: ssl.SSLContext | None = None) -> None:
        self.base_url = normalize_base_url(base_url)
        self._key = api_key or None
        self.model = model
        self.kind = kind
        self.version = ""
        self.timeouts = timeouts
        self._ssl = ssl_context
        parts = urllib.parse.urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = parts.path
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._calls: dict[int, _Call] = {}
        self._cancel_on_send: set[int] = set()
        self.load_info: LoadInfo | None = None
        self.pid: int | None = None  # no process: the API server never borrows a remote engine

    def __repr__(self) -> str:  # never the key
        return f"RemoteEngineClient({self.base_url!r}, model={self.model!r}, kind={self.kind!r})"

    @property
    def address(self) -> str:
        """``host:port`` of the server."""
        return host_of(self.base_url)

    @property
    def running(self) -> bool:
        """True once a model was connected (:meth:`connect`) and not unloaded."""
        return self.load_info is not None

    # -- HTTP --------------------------------------------------------------------------------
    def _connection(self, timeout_s: float) -> http.client.HTTPConnection:
        check_allowed(self.base_url)
        if self._https:
            context = self._ssl or ssl.create_default_context()
            return http.client.HTTPSConnection(self._host, self._port, timeout=timeout_s, context=context)
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)

    def _headers(self, json_body: bool = False) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"slmdesk/{__version__}"}
        if json_body:
            headers["Content-Type"] = "application/json"
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def _transport_error(self, error: BaseException, activity: str) -> RemoteError:
        where = self.address
        if isinstance(error, netguard.NetworkBlocked):
            return RemoteError(f"Offline mode blocked the connection to {where}.",
                               "Only servers on this computer (127.0.0.1, localhost) work in offline mode.")
        if isinstance(error, TimeoutError | socket.timeout):
            return RemoteError(f"The server at {where} did not answer in time while {activity}.",
                               "It may be busy or unreachable; the conversation is kept. Try again later.")
        if isinstance(error, ConnectionRefusedError):
            return RemoteError(f"Cannot connect to {where}: connection refused.",
                               "Is the server running, and is the URL (host and port) right?")
        if isinstance(error, ssl.SSLError):
            return RemoteError(f"The secure connection to {where} failed: {error.reason or error}.",
                               "Check the certificate, or use http:// for a server without TLS.")
        if isinstance(error, socket.gaierror):
            return RemoteError(f"Cannot find the host {self._host}.", "Check the URL's host name.")
        return RemoteError(f"The connection to {where} failed while {activity}: {error}.",
                           "Check that the server runs and is reachable; the conversation is kept.")

    def _status_error(self, status: int, body: bytes, activity: str) -> RemoteError:
        detail = error_text(body)
        message = f"The server at {self.address} answered {status} while {activity}" + (f": {detail}" if detail
                                                                                        else ".")
        if status in (401, 403):
            hint = "Check the connection's API key (slmdesk remote add NAME URL --api-key-stdin stores a new one)."
        elif status == 404:
            hint = "Check the URL (it usually ends in /v1) and that the server serves this model."
        elif status >= 500:
            hint = "A failure on the server; the conversation is kept. Try again (Regenerate), or check its log."
        else:
            hint = "The server refused the request."
        return RemoteError(message, hint, status)

    def _get(self, path: str, activity: str, root: bool = False) -> Any:
        """``GET`` ``path`` under the base URL (``root``: under the server's root, for the kind
        probes) and its JSON."""
        prefix = self._root_path() if root else self._path
        connection = self._connection(self.timeouts.request_s)
        try:
            connection.request("GET", prefix + path, headers=self._headers())
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise self._transport_error(error, activity) from error
        finally:
            connection.close()
        if response.status != 200:
            raise self._status_error(response.status, body, activity)
        try:
            return json.loads(body)
        except ValueError as error:
            raise RemoteError(f"The server at {self.address} sent something that is not JSON while {activity}.",
                              "Is the URL an OpenAI-compatible API?") from error

    def _root_path(self) -> str:
        """The path before ``/v1``: where vLLM's ``/version``, Ollama's ``/api/version`` and
        llama-server's ``/props`` live."""
        path = self._path
        return path[: -len("/v1")] if path.endswith("/v1") else path

    # -- models and kind ------------------------------------------------------------------------
    def list_models(self) -> list[RemoteModel]:
        """The server's models (``GET /v1/models``).

        Raises:
            RemoteError: unreachable, refused (401: the key), or not an OpenAI-compatible answer.
        """
        return parse_models(self._get("/models", "listing its models"))

    def probe(self) -> ServerInfo:
        """Test the connection: list the models and tell what kind of server this is, from the
        models' ``owned_by``, then the kind's own endpoint for its version (vLLM ``/version``,
        Ollama ``/api/version``, llama-server ``/props``); a server none of these tell is
        ``openai-compatible``. Sets :attr:`kind` and :attr:`version`.

        Raises:
            RemoteError: the model listing failed (the probes that follow may fail quietly).
        """
        started = time.perf_counter()
        models = self.list_models()
        latency = time.perf_counter() - started
        kind = kind_from_models(models)
        version = ""
        probes = (("vllm", "/version"), ("ollama", "/api/version"), ("llama.cpp", "/props"))
        for probe_kind, path in probes:
            if kind is not None and kind != probe_kind:
                continue
            try:
                answer = self._get(path, "asking its version", root=True)
            except RemoteError:
                continue
            if not isinstance(answer, dict):
                continue
            if probe_kind == "llama.cpp":
                if "default_generation_settings" not in answer and "build_info" not in answer:
                    continue
                version = str(answer.get("build_info") or "")
                n_ctx = (answer.get("default_generation_settings") or {}).get("n_ctx")
                if isinstance(n_ctx, int) and n_ctx > 0:
                    models = [m if m.context_length else RemoteModel(m.id, m.owned_by, n_ctx) for m in models]
            elif isinstance(answer.get("version"), str):
                version = answer["version"]
            else:
                continue
            kind = probe_kind
            break
        self.kind, self.version = kind or "openai-compatible", version
        return ServerInfo(self.base_url, self.kind, version, tuple(models), latency)

    def connect(self, model: str) -> LoadInfo:
        """Check that the server serves ``model`` and make it the one :meth:`generate` uses;
        returns a :class:`LoadInfo` for it (``path`` the base URL, ``backend`` the server kind,
        ``n_ctx`` the context it runs with when the server says, else 0).

        Raises:
            RemoteError: unreachable, or ``model`` is not among the server's models.
        """
        started = time.perf_counter()
        info = self.probe()
        found = next((m for m in info.models if m.id == model), None)
        if found is None:
            listed = ", ".join(m.id for m in info.models[:8]) or "none"
            raise RemoteError(f"{self.address} does not serve {model!r}.", f"It lists: {listed}.")
        self.model = model
        self.load_info = LoadInfo(
            path=self.base_url, backend=f"{kind_label(info.kind)} (remote)", backend_version=info.version,
            n_ctx=found.context_length or 0, load_s=time.perf_counter() - started, model_name=model,
            settings=LoadSettings(n_ctx=found.context_length or 0),
            runtime=RuntimeInfo(engine=f"{info.label} at {self.base_url}"),
        )
        return self.load_info

    # -- generation (EngineClient's calls) ----------------------------------------------------
    def new_request_id(self) -> int:
        """Reserve the id of a reply about to start, for :meth:`cancel`."""
        with self._lock:
            rid = next(self._ids)
            self._calls[rid] = _Call()
            return rid

    def cancel(self, request_id: int | None = None) -> None:
        """Stop a reply (``request_id``; None: every reply of this client) by closing its
        connection; never blocks. The iterating thread receives a :class:`Done` with
        ``finish_reason == "cancelled"``."""
        with self._lock:
            calls = list(self._calls.values()) if request_id is None else [self._calls.get(request_id)]
            if request_id is not None and calls == [None]:
                self._cancel_on_send.add(request_id)
        for call in calls:
            if call is not None:
                call.stop()

    def generate(self, messages: Sequence[Message], params: SamplingParams = SamplingParams(), *,
                 request_id: int | None = None, model: Any = None) -> Iterator[Event]:
        """Stream one reply from ``/v1/chat/completions``: :class:`Token` events, then
        :class:`Done` (no :class:`PromptReady`: the server counts the prompt, in ``usage``).
        ``model`` is accepted for :class:`EngineClient`'s signature and ignored. Stopping the
        iteration early closes the connection.

        Raises (during iteration):
            RemoteError: unreachable, an error status (401, 404, 500...), nothing received for
                ``timeouts.idle_s``, or the connection closed before the reply ended.
        """
        body = self._body(params)
        body["messages"] = [{"role": m["role"], "content": m["content"]} for m in messages]
        return self._stream("/chat/completions", body, request_id, chat=True)

    def complete(self, prompt: str, params: SamplingParams = SamplingParams(), *,
                 request_id: int | None = None, model: Any = None) -> Iterator[Event]:
        """Stream the continuation of ``prompt`` from ``/v1/completions``; as :meth:`generate`."""
        body = self._body(params)
        body["prompt"] = prompt
        return self._stream("/completions", body, request_id, chat=False)

    def chat(self, messages: Sequence[Message], params: SamplingParams = SamplingParams()) -> Done:
        """One whole reply (its :class:`Done`)."""
        done: Done | None = None
        for event in self.generate(messages, params):
            if isinstance(event, Done):
                done = event
        assert done is not None
        return done

    def unload(self) -> None:
        """Stop every reply and forget the model (nothing to free: it lives on the server)."""
        self.cancel()
        self.load_info = None

    def close(self) -> None:
        """As :meth:`unload`."""
        self.unload()

    def _body(self, params: SamplingParams) -> dict[str, Any]:
        """The request's fields for ``params``: OpenAI's own, and the server kind's extensions."""
        body: dict[str, Any] = {
            "model": self.model, "stream": True, "stream_options": {"include_usage": True},
            "max_tokens": params.max_tokens, "temperature": params.temperature, "top_p": params.top_p,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.stop:
            body["stop"] = list(params.stop)
        if params.json_schema:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "reply", "schema": json.loads(params.json_schema)}}
        for ours, theirs in SAMPLING_EXTRAS.get(self.kind, {}).items():
            body[theirs] = getattr(params, ours)
        return body

    def _stream(self, path: str, body: dict[str, Any], request_id: int | None, chat: bool) -> Iterator[Event]:
        rid = request_id if request_id is not None else self.new_request_id()
        with self._lock:
            call = self._calls.setdefault(rid, _Call())
            if rid in self._cancel_on_send:
                self._cancel_on_send.discard(rid)
                call.cancelled = True
        try:
            yield from self._events(path, body, call, chat)
        finally:
            with self._lock:
                self._calls.pop(rid, None)

    def _events(self, path: str, body: dict[str, Any], call: _Call, chat: bool) -> Iterator[Event]:
        activity = "generating a reply"
        reply = _Reply()
        if call.cancelled:  # Stop came before the request was sent
            yield self._done(reply, 0.0, cancelled=True)
            return
        connection = self._connection(self.timeouts.connect_s)
        started = time.perf_counter()
        reader: threading.Thread | None = None
        try:
            try:
                connection.connect()
                call.sock = connection.sock
                if call.cancelled:
                    yield self._done(reply, started, cancelled=True)
                    return
                # The reading thread's own limit, past the idle timeout that the generator enforces.
                connection.sock.settimeout(self.timeouts.idle_s + 5.0)
                connection.request("POST", self._path + path, body=json.dumps(body).encode(),
                                   headers=self._headers(json_body=True))
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as error:
                if call.cancelled:
                    yield self._done(reply, started, cancelled=True)
                    return
                raise self._transport_error(error, activity) from error
            if response.status != 200:
                raise self._status_error(response.status, _read_quietly(response), activity)
            lines: queue.Queue[tuple[str, Any]] = queue.Queue()
            reader = threading.Thread(target=_read_lines, args=(response, lines), name="remote-stream", daemon=True)
            reader.start()
            yield from self._read(lines, reply, call, chat, started)
        finally:
            call.stop()  # closes the stream: the server cancels the generation
            if reader is not None:  # the shut-down socket ends its read at once
                reader.join(5.0)
            connection.close()

    def _read(self, lines: queue.Queue[tuple[str, Any]], reply: _Reply, call: _Call, chat: bool,
              started: float) -> Iterator[Event]:
        """Turn the stream's lines into events, batching text to one event per
        :data:`FLUSH_INTERVAL_S` (the engine's rate) once the first piece was shown."""
        parser = SseParser()
        flushed_at = 0.0
        while True:
            now = time.perf_counter()
            wait = self.timeouts.idle_s if not reply.pending else max(0.0, flushed_at + FLUSH_INTERVAL_S - now)
            try:
                kind, value = lines.get(timeout=wait)
            except queue.Empty:
                kind, value = "idle", None
            if kind in ("idle", "timeout"):
                if reply.pending:
                    yield Token("".join(reply.pending))
                    reply.pending.clear()
                    flushed_at = time.perf_counter()
                    continue
                if call.cancelled:
                    break
                raise RemoteError(
                    f"The server at {self.address} sent nothing for {self.timeouts.idle_s:g} s while generating "
                    "a reply.", "It may be overloaded; what it sent is kept. Try again later.") from None
            if kind == "line":
                event = parser.feed(value)
            elif call.cancelled:
                break
            else:  # the stream ended: complete only after [DONE] or a finish reason
                last = parser.finish()
                if (last is not None and self._take(last.data, reply, chat)) or reply.finish is not None:
                    break
                if reply.pending:  # what arrived is shown and kept before the error
                    yield Token("".join(reply.pending))
                    reply.pending.clear()
                sent = len("".join(reply.parts))
                cause = f": {value}" if kind == "error" else ""
                raise RemoteError(
                    f"The server at {self.address} closed the connection in the middle of the reply "
                    f"(after {sent} characters){cause}.",
                    "What it sent is kept. Try again (Regenerate); if it keeps happening, check the server.")
            if event is None:
                continue
            if self._take(event.data, reply, chat):
                break
            if reply.pending and (flushed_at == 0.0 or time.perf_counter() - flushed_at >= FLUSH_INTERVAL_S):
                yield Token("".join(reply.pending))  # the first piece at once: time to first token
                reply.pending.clear()
                flushed_at = time.perf_counter()
        if reply.pending:
            yield Token("".join(reply.pending))
            reply.pending.clear()
        yield self._done(reply, started, cancelled=call.cancelled and not reply.done)

    def _take(self, data: str, reply: _Reply, chat: bool) -> bool:
        """Add one event's data to ``reply``; True at the end of the stream (``[DONE]``).

        Raises:
            RemoteError: an error event, or data that is not JSON.
        """
        if data.strip() == DONE:
            reply.done = True
            return True
        try:
            chunk = json.loads(data)
        except ValueError as error:
            raise RemoteError(f"The server at {self.address} sent something that is not JSON in the reply.",
                              "Is the URL an OpenAI-compatible API?") from error
        if not isinstance(chunk, dict):
            return False
        if "error" in chunk:
            raise RemoteError(f"The server at {self.address} failed while generating a reply: "
                              f"{error_text(data.encode())}",
                              "What it sent is kept. Try again (Regenerate), or check the server's log.")
        if isinstance(chunk.get("usage"), dict):
            reply.usage = chunk["usage"]
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
            if isinstance(text, str) and text:
                now = time.perf_counter()
                reply.first_at = reply.first_at or now
                reply.last_at = now
                reply.parts.append(text)
                reply.pending.append(text)
                reply.pieces += 1
            if choice.get("finish_reason"):
                reply.finish = str(choice["finish_reason"])
        return False

    def _done(self, reply: _Reply, started: float, cancelled: bool) -> Done:
        usage = reply.usage
        completion = int(usage.get("completion_tokens") or reply.pieces)
        prompt = int(usage.get("prompt_tokens") or 0)
        ttft = (reply.first_at - started) if reply.first_at is not None else 0.0
        span = (reply.last_at or 0.0) - (reply.first_at or 0.0)
        finish = "cancelled" if cancelled else {"length": "length"}.get(reply.finish or "", "stop")
        stats = GenerationStats(
            prompt_tokens=prompt, prompt_tokens_evaluated=prompt, completion_tokens=completion, ttft_s=ttft,
            tg_tokens_per_s=(completion - 1) / span if completion > 1 and span > 0 else 0.0,
            backend=f"{kind_label(self.kind)} (remote)", backend_version=self.version, finish_reason=finish,
            tokens_after_cancel=0 if cancelled else None,
        )
        return Done("".join(reply.parts), stats)


def _read_quietly(response: http.client.HTTPResponse) -> bytes:
    try:
        return response.read(65536)
    except (OSError, http.client.HTTPException):
        return b""


def _read_lines(response: http.client.HTTPResponse, lines: queue.Queue[tuple[str, Any]]) -> None:
    """The reading thread: each line of the body as ``("line", bytes)``, then ``("eof", None)``,
    or ``("error", text)`` when the connection broke."""
    try:
        while True:
            line = response.readline()
            if not line:
                break
            lines.put(("line", line))
    except TimeoutError:
        lines.put(("timeout", None))
        return
    except (OSError, ValueError, AttributeError, http.client.HTTPException) as error:
        # AttributeError: http.client reading a response closed under it
        lines.put(("error", str(error) or type(error).__name__))
        return
    lines.put(("eof", None))
