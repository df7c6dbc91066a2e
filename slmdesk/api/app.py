"""The ASGI application: OpenAI's routes on Starlette, the key and host checks, streamed replies.

Routes: ``GET /v1/models``, ``GET /v1/models/{id}``, ``POST /v1/chat/completions`` and
``POST /v1/completions`` (the model continues a raw prompt; both whole or streamed as
server-sent events; chat's ``response_format`` JSON modes for GGUF models), ``POST
/v1/embeddings`` (GGUF models), ``GET /health`` (no key needed; says nothing but "ok"). Every
error is OpenAI's error object with the matching status.

A reply's response waits for the engine's first event (the prompt was rendered and fits)
before it sends its status line, so a request that cannot be served gets a real 4xx/5xx status
even when streamed. While a reply runs, the response also listens for the client going away
and cancels the job at once, so the engine stops within one token.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from slmdesk.api import openai_replies as replies
from slmdesk.api import openai_schema as oa
from slmdesk.api.keys import keys_match
from slmdesk.api.models import ModelCatalog, ServedModel
from slmdesk.api.openai_embeddings import EmbeddingCall, EmbeddingRequest, embedding_call, embeddings_body
from slmdesk.api.pool import EnginePool
from slmdesk.api.queue import GenerationJob
from slmdesk.engine.types import Done, EmbeddingResult, GenerationStats, PromptReady, Token

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Host header values accepted when the server listens on a loopback address. Any other name
means a web page resolved its own domain to 127.0.0.1 (DNS rebinding); it is refused."""


@dataclass(frozen=True)
class Limits:
    """Size limits of one request.

    Attributes:
        max_body_bytes: request body (bytes); more gets 413 ``request_too_large``. 1 MiB holds
            a prompt far beyond any small model's context.
        max_prompt_chars: characters of all message contents together (or of a completion's
            prompt); more gets 413
            ``prompt_too_large`` before the engine tokenizes anything (256 Ki characters is
            about 64 Ki tokens of English, above the contexts slmdesk loads by default).
    """

    max_body_bytes: int = 1 << 20
    max_prompt_chars: int = 256 * 1024

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024 or self.max_prompt_chars < 1:
            raise ValueError("max_body_bytes must be >= 1024 and max_prompt_chars >= 1")


@dataclass(frozen=True)
class ApiState:
    """What the routes work with.

    Attributes:
        catalog: the models served.
        pool: the engines and their queues.
        api_key: the key every request must bear (``Authorization: Bearer <key>``); None
            turns the check off (loopback only, the user's choice).
        limits: request size limits.
        allowed_hosts: Host header names accepted (the loopback names when listening on a
            loopback address); empty accepts any.
    """

    catalog: ModelCatalog
    pool: EnginePool
    api_key: str | None
    limits: Limits = Limits()
    allowed_hosts: frozenset[str] = LOOPBACK_HOSTS


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response encoded with msgspec."""
    return Response(_encode(body), status_code=status, headers=headers, media_type="application/json")


def error_response(error: oa.ApiError) -> Response:
    """The OpenAI error object with ``error.status`` and its headers."""
    return json_response(error.body(), error.status, error.headers)


# -- the guard: host, key and size checks before any route -------------------------------------


def _host_name(value: str) -> str:
    """``"localhost:8765" -> "localhost"``, ``"[::1]:8765" -> "::1"``."""
    if value.startswith("["):
        return value[1:].split("]", 1)[0]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """Pure ASGI middleware: refuses a foreign Host header (400), a missing or wrong key (401,
    compared in constant time) and a body larger than the limit (413, by Content-Length; the
    routes count the bytes too). ``/health`` needs no key."""

    def __init__(self, app: ASGIApp, state: ApiState) -> None:
        self.app = app
        self.state = state
        self._bearer = b"bearer "

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        error = self._check(scope["path"], headers)
        if error is not None:
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check(self, path: str, headers: dict[bytes, bytes]) -> oa.ApiError | None:
        hosts = self.state.allowed_hosts
        if hosts:
            host = _host_name(headers.get(b"host", b"").decode("latin-1")).lower()
            if host not in hosts:
                return oa.bad_request(f"Host {host!r} is not served here; use http://127.0.0.1.", code="invalid_host")
        if self.state.api_key is not None and path != "/health":
            raw = headers.get(b"authorization", b"")
            given = raw[7:].decode("latin-1").strip() if raw[:7].lower() == self._bearer else None
            if not keys_match(given, self.state.api_key):
                message = ("Incorrect API key provided." if given else
                           "No API key provided: send it as 'Authorization: Bearer <key>'.")
                return oa.ApiError(401, message + " slmdesk shows the key in Settings and when `slmdesk serve` "
                                   "starts.", code="invalid_api_key")
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.state.limits.max_body_bytes:
            return _too_large(self.state.limits.max_body_bytes)
        return None


def _too_large(limit: int) -> oa.ApiError:
    return oa.ApiError(413, f"The request body exceeds {limit} bytes.", code="request_too_large")


async def _read_json_body(request: Request, limit: int) -> bytes:
    """The request body (at most ``limit`` bytes).

    Raises:
        ApiError: 415 when it is not JSON, 413 when it is larger than ``limit``.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        # Also keeps a web page's form post (no preflight) from reaching the engine.
        raise oa.ApiError(415, "Send the request body as JSON (Content-Type: application/json).",
                          code="unsupported_media_type")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


# -- replies -----------------------------------------------------------------------------------


class ReplyResponse(Response):
    """Runs one :class:`GenerationJob` and answers it: a ``chat.completion`` object, or a
    stream of ``chat.completion.chunk`` events ending in ``data: [DONE]``.

    A disconnect (``http.disconnect``) cancels the job the moment it arrives, and so does
    any way this response ends before the reply does. :class:`CompletionResponse` answers
    ``/v1/completions`` the same way in that endpoint's shape.
    """

    def __init__(self, job: GenerationJob, model: ServedModel, stream: bool, include_usage: bool) -> None:
        super().__init__(status_code=200)
        self.job = job
        self.model = model
        self.stream = stream
        self.include_usage = include_usage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    self.job.cancel()
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                try:
                    await self._respond(send)
                finally:
                    group.cancel_scope.cancel()
        except OSError:  # the client went away while we wrote
            pass
        finally:
            self.job.cancel()  # no-op for a finished job

    async def _first(self) -> PromptReady | oa.ApiError:
        """Wait for the prompt to be ready (or an error) before answering with a status."""
        while True:
            item = await self.job.next()
            if isinstance(item, PromptReady | oa.ApiError):
                return item
            if item is None:
                return _stopping()

    async def _respond(self, send: Send) -> None:
        first = await self._first()
        if isinstance(first, oa.ApiError):
            await _send_error(send, first)
            return
        if self.stream:
            await self._send_stream(send)
        else:
            await self._send_whole(send)

    async def _send_whole(self, send: Send) -> None:
        while True:
            item = await self.job.next()
            if isinstance(item, Done) and item.stats.finish_reason != "cancelled":
                await _send_json(send, self._whole(item.text, item.stats))
                return
            if isinstance(item, Done):  # cancelled, and not by this client: the server stops
                item = _stopping()
            if item is None:
                item = oa.server_error("The reply ended without a result.", code="internal_error")
            if isinstance(item, oa.ApiError):
                await _send_error(send, item)
                return

    async def _send_stream(self, send: Send) -> None:
        await send({
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
            ],
        })
        writer = self._writer()

        async def event(payload: Any) -> None:
            await send({"type": "http.response.body", "body": b"data: " + _encode(payload) + b"\n\n",
                        "more_body": True})

        for chunk in writer.opening():
            await event(chunk)
        while True:
            item = await self.job.next()
            if isinstance(item, Token):
                if item.text:
                    await event(writer.text(item.text))
            elif isinstance(item, Done) and item.stats.finish_reason == "cancelled":
                await event(_stopping().body())  # not by this client: the server stops
                break
            elif isinstance(item, Done):
                await event(writer.finish(item.stats))
                if self.include_usage:
                    await event(writer.usage(item.stats))
                break
            elif isinstance(item, oa.ApiError):
                await event(item.body())  # the openai package raises APIError for it
                break
            elif item is None:
                break
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})

    def _whole(self, text: str, stats: GenerationStats) -> dict[str, Any]:
        """The body of a whole (non-streamed) reply."""
        return replies.chat_completion(self.model.id, text, stats)

    def _writer(self) -> replies.StreamWriter:
        """The chunk builder of a streamed reply."""
        return replies.ChunkWriter.start(self.model.id, self.include_usage)


class CompletionResponse(ReplyResponse):
    """:class:`ReplyResponse` for ``/v1/completions``: a ``text_completion`` object, or a
    stream of them ending in ``data: [DONE]``; ``echo`` (the prompt, or "") comes before
    the continuation."""

    def __init__(self, job: GenerationJob, model: ServedModel, stream: bool, include_usage: bool,
                 echo: str = "") -> None:
        super().__init__(job, model, stream, include_usage)
        self.echo = echo

    def _whole(self, text: str, stats: GenerationStats) -> dict[str, Any]:
        return replies.text_completion(self.model.id, self.echo + text, stats)

    def _writer(self) -> replies.StreamWriter:
        return replies.TextChunkWriter.start(self.model.id, self.include_usage, self.echo)


class EmbeddingResponse(ReplyResponse):
    """:class:`ReplyResponse` for ``/v1/embeddings``: waits for the job's
    :class:`EmbeddingResult` (a disconnect cancels it between two inputs or batches) and
    answers the embeddings list, or the error."""

    def __init__(self, job: GenerationJob, model: ServedModel, call: EmbeddingCall) -> None:
        super().__init__(job, model, stream=False, include_usage=False)
        self.call = call

    async def _respond(self, send: Send) -> None:
        while True:
            item = await self.job.next()
            if isinstance(item, EmbeddingResult):
                try:
                    body = embeddings_body(self.model.id, item, self.call)
                except oa.ApiError as error:
                    await _send_error(send, error)
                    return
                await _send_json(send, body)
                return
            if item is None:  # cancelled, and not by this client: the server stops
                item = _stopping()
            if isinstance(item, oa.ApiError):
                await _send_error(send, item)
                return


def _stopping() -> oa.ApiError:
    return oa.ApiError(503, "The request was cancelled: the server is stopping.", type="server_error",
                       code="server_stopping")


async def _send_json(send: Send, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
    """Send a whole JSON response through the raw ASGI ``send``."""
    data = _encode(body)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data, "more_body": False})


async def _send_error(send: Send, error: oa.ApiError) -> None:
    """Send ``error`` as OpenAI's error object, with its status and headers."""
    await _send_json(send, error.body(), error.status, error.headers)


# -- routes ------------------------------------------------------------------------------------


def _state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state


async def _resolve(state: ApiState, name: str) -> ServedModel:
    model = await anyio.to_thread.run_sync(state.catalog.resolve, name)
    if model is None:
        raise oa.model_not_found(name)
    return model


async def list_models(request: Request) -> Response:
    """``GET /v1/models``: every servable model."""
    models = await anyio.to_thread.run_sync(_state(request).catalog.models)
    return json_response({"object": "list", "data": [replies.model_object(m.id, m.created) for m in models]})


async def get_model(request: Request) -> Response:
    """``GET /v1/models/{id}``: one model, 404 when unknown."""
    model = await _resolve(_state(request), request.path_params["model"])
    return json_response(replies.model_object(model.id, model.created))


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``."""
    state = _state(request)
    body = await _read_json_body(request, state.limits.max_body_bytes)
    chat = oa.decode(body, oa.ChatCompletionRequest)
    call = oa.chat_call(chat, state.limits.max_prompt_chars)
    model = await _resolve(state, chat.model)
    if chat.response_format is not None and call.params.json_schema and model.format != "gguf":
        raise oa.bad_request(
            f"response_format {chat.response_format.type!r} needs grammar-constrained sampling, which llama.cpp "
            f"offers for GGUF models; {model.id} is an {model.format.upper()} model.",
            param="response_format", code="unsupported_parameter")
    job = GenerationJob(model, call, asyncio.get_running_loop())
    state.pool.submit(job)
    include_usage = bool(chat.stream_options and chat.stream_options.include_usage)
    return ReplyResponse(job, model, chat.stream, include_usage)


async def completions(request: Request) -> Response:
    """``POST /v1/completions``: the model continues the prompt as written (no chat template),
    whole or streamed; a prompt that does not fit the context with ``max_tokens`` gets 413."""
    state = _state(request)
    body = await _read_json_body(request, state.limits.max_body_bytes)
    completion = oa.decode(body, oa.CompletionRequest)
    call = oa.completion_call(completion, state.limits.max_prompt_chars)
    model = await _resolve(state, completion.model)
    job = GenerationJob(model, call, asyncio.get_running_loop())
    state.pool.submit(job)
    include_usage = bool(completion.stream_options and completion.stream_options.include_usage)
    return CompletionResponse(job, model, completion.stream, include_usage, call.prompt if call.echo else "")


async def embeddings(request: Request) -> Response:
    """``POST /v1/embeddings``: the model's embedding of each input (GGUF models; an ONNX model
    gets a 400 that names the models that can embed)."""
    state = _state(request)
    body = await _read_json_body(request, state.limits.max_body_bytes)
    embedding = oa.decode(body, EmbeddingRequest)
    call = embedding_call(embedding, state.limits.max_prompt_chars)
    model = await _resolve(state, embedding.model)
    if model.format != "gguf":
        models = await anyio.to_thread.run_sync(state.catalog.models)
        able = [m.id for m in models if m.format == "gguf"]
        named = ", ".join(able[:5]) + (f" and {len(able) - 5} more" if len(able) > 5 else "")
        raise oa.bad_request(
            f"{model.id} is an {model.format.upper()} model; embeddings are computed by llama.cpp for GGUF models"
            + (f" ({named})." if able else ", and none is served here."),
            param="model", code="embeddings_not_supported")
    job = GenerationJob(model, call, asyncio.get_running_loop())
    state.pool.submit(job)
    return EmbeddingResponse(job, model, call)


async def health(_request: Request) -> Response:
    """``GET /health``: ``{"status": "ok"}`` (no key needed)."""
    return json_response({"status": "ok"})


# -- errors ------------------------------------------------------------------------------------


async def _api_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, oa.ApiError)
    return error_response(error)


async def _http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code)
    message = {404: "No such endpoint. The API is under /v1 (chat/completions, models...).",
               405: "This endpoint does not accept that method."}.get(error.status_code, str(error.detail))
    return error_response(oa.ApiError(error.status_code, message, code=code, headers=dict(error.headers or {})))


async def _internal_error(_request: Request, error: Exception) -> Response:
    log.error("api: internal error", exc_info=error)
    return error_response(oa.server_error(f"Internal error: {type(error).__name__}.", code="internal_error"))


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def create_app(state: ApiState, allowed_origins: tuple[str, ...] = ()) -> Starlette:
    """The ASGI app for ``state``.

    ``allowed_origins`` turns on CORS for those web origins (``"http://localhost:3000"``;
    ``"*"`` for any); without them no CORS header is sent and browsers keep other sites'
    pages from reading the answers.
    """
    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", get_model, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
    ]
    middleware = []
    if allowed_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(allowed_origins), allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        ))
    middleware.append(Middleware(Guard, state=state))
    handlers: dict[Any, ErrorHandler] = {
        oa.ApiError: _api_error,
        HTTPException: _http_error,
        Exception: _internal_error,
    }
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.api = state
    with contextlib.suppress(AttributeError):
        app.router.redirect_slashes = False  # "/v1/models/" must not answer with a redirect
    return app
