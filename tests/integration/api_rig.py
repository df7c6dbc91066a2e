"""A stand-in engine and a started API server over it, shared by the API server's integration tests.

:class:`FakeEngine` answers the :class:`~slmdesk.engine.EngineClient` calls the server makes
without a model (chat, text completion, embeddings), so routes, queueing and cancellation are
checked in milliseconds; tests/e2e/test_api_openai.py runs the same server over the real engine.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openai

from slmdesk.api.models import ServedModel
from slmdesk.api.server import ApiServer
from slmdesk.core.errors import Cancelled
from slmdesk.engine.types import (
    Done,
    EmbeddingResult,
    EngineCrashed,
    GenerationStats,
    InvalidRequestError,
    LoadInfo,
    LoadSettings,
    PromptReady,
    Token,
)

KEY = "sk-test-0123456789"


def reply_for(text: str) -> str:
    """The fake model's deterministic answer: the prompt's words reversed."""
    return "Echo: " + " ".join(reversed(text.split()))


def continuation_for(text: str) -> str:
    """The fake model's deterministic continuation of a raw prompt: its words in capitals."""
    return " " + " ".join(word.upper() for word in text.split())


FAKE_VOCABULARY = 1000
"""Token ids the fake model knows (0 to 999); a larger one is refused as the real engine does."""


def vector_for(item: str | Sequence[int]) -> list[float]:
    """The fake model's 4-dimensional embedding of a text or token ids (values exact in float32):
    its length, its first character's code (or first id), 0.5, -0.25."""
    first = ord(item[0]) if isinstance(item, str) else item[0]
    return [float(len(item)), float(first), 0.5, -0.25]


def tokens_of(item: str | Sequence[int]) -> int:
    """The fake model's token count of an input: a word per token, or the ids themselves."""
    return len(item.split()) if isinstance(item, str) else len(item)


class FakeEngine:
    """The engine client calls the server makes, answered without a model.

    Each "token" is 3 characters of :func:`reply_for`, produced every ``token_s`` seconds;
    a cancel is honoured before the next token, as the real engine does.
    """

    def __init__(self, order: list[str], n_ctx: int, token_s: float) -> None:
        self.order = order
        self.n_ctx = n_ctx
        self.token_s = token_s
        self.load_info: LoadInfo | None = None
        self.loads: list[str] = []
        self.cancel_times: list[float] = []
        self.token_times: list[float] = []
        self._cancel = threading.Event()
        self._generating = False
        self.closed = False
        self.request_ids = 0
        self.crash_after: int | None = None
        self.completions: list[tuple[str, Any]] = []
        """(prompt, SamplingParams) of every ``complete`` call."""
        self.params: list[Any] = []
        """SamplingParams of every ``generate`` call."""
        self.embedded: list[list[Any]] = []
        """The inputs of every ``embed`` call."""
        self.embed_s = 0.0
        """Seconds each input of an ``embed`` call takes."""

    @property
    def running(self) -> bool:
        return not self.closed

    def load(self, path: Path, settings: LoadSettings) -> LoadInfo:
        self.closed = False  # like EngineClient.load: starts the engine again after a crash
        self.loads.append(Path(path).name)
        self.load_info = LoadInfo(str(Path(path).absolute()), "fake", "0", self.n_ctx, settings=settings)
        return self.load_info

    def count_tokens(self, messages: list[dict[str, str]], model: Any = None) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 4

    def new_request_id(self) -> int:
        self.request_ids += 1
        return self.request_ids

    def cancel(self, request_id: int | None = None) -> None:
        """Stop the running request (one engine per pool worker: it is the caller's)."""
        if self._generating:
            self.cancel_times.append(time.perf_counter())
            self._cancel.set()

    def generate(self, messages: list[dict[str, str]], params: Any, request_id: int | None = None,
                 model: Any = None) -> Iterator[Any]:
        self.order.append(messages[-1]["content"])
        self.params.append(params)
        return self._reply(self.count_tokens(messages), (), reply_for(messages[-1]["content"]), params)

    def embed(self, inputs: Sequence[str | Sequence[int]], request_id: int | None = None,
              model: Any = None) -> EmbeddingResult:
        """Like EngineClient.embed: :func:`vector_for` each input as float32 bytes, token ids
        outside :data:`FAKE_VOCABULARY` refused, :meth:`cancel` honoured between inputs."""
        self.embedded.append(list(inputs))
        for index, item in enumerate(inputs):
            if not isinstance(item, str) and any(t >= FAKE_VOCABULARY for t in item):
                raise InvalidRequestError(f"Input {index} holds a token id outside this model's vocabulary.")
        self._cancel.clear()
        self._generating = True
        try:
            vectors = []
            for item in inputs:
                if self._cancel.is_set():
                    raise Cancelled("embeddings cancelled")
                time.sleep(self.embed_s)
                vectors.append(struct.pack("<4f", *vector_for(item)))
        finally:
            self._generating = False
        return EmbeddingResult(tuple(vectors), 4, sum(tokens_of(item) for item in inputs), "mean")

    def complete(self, prompt: str, params: Any, request_id: int | None = None, model: Any = None) -> Iterator[Any]:
        """Like EngineClient.complete: a text longer than the context keeps its end (the engine's
        ``prepare_completion`` rule) and says so with ``dropped_messages == (0,)``."""
        self.order.append(prompt)
        self.completions.append((prompt, params))
        tokens = len(prompt) // 4 + 1
        room = self.n_ctx - min(params.max_tokens, self.n_ctx // 2)
        dropped = (0,) if tokens > room else ()
        return self._reply(min(tokens, room), dropped, continuation_for(prompt), params)

    def _reply(self, prompt: int, dropped: tuple[int, ...], text: str, params: Any) -> Iterator[Any]:
        self._cancel.clear()
        self._generating = True
        try:
            if '"nonsense"' in params.json_schema:  # as the engine's schema converter refuses it
                raise InvalidRequestError("The JSON schema cannot be turned into a grammar: Unrecognized schema.")
            yield PromptReady(prompt, dropped)
            pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
            out: list[str] = []
            finish, after = "stop", None
            for piece in pieces:
                if self._cancel.is_set():
                    finish, after = "cancelled", 0
                    break
                if len(out) >= params.max_tokens:
                    finish = "length"
                    break
                if self.crash_after is not None and len(out) == self.crash_after:
                    self.closed = True
                    raise EngineCrashed("The engine stopped while generating a reply: signal 9 (SIGKILL).")
                time.sleep(self.token_s)
                self.token_times.append(time.perf_counter())
                out.append(piece)
                yield Token(piece)
            stats = GenerationStats(prompt_tokens=prompt, completion_tokens=len(out), finish_reason=finish,
                                    tokens_after_cancel=after)
            yield Done("".join(out), stats)
        finally:
            self._generating = False

    def close(self) -> None:
        self.closed = True


class Rig:
    """A started server over fake engines, with what the engines saw."""

    def __init__(self, server: ApiServer, engines: list[FakeEngine], order: list[str]) -> None:
        self.server = server
        self.engines = engines
        self.order = order

    def client(self, key: str | None = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.server.address, api_key=key or "none", max_retries=0, timeout=30)

    def raw(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
            ) -> tuple[int, dict[str, str], Any]:
        """One request through http.client: (status, headers, decoded JSON body or text)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            sent = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json", **(headers or {})}
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read().decode()
            try:
                decoded: Any = json.loads(data)
            except ValueError:
                decoded = data
            return response.status, {k.lower(): v for k, v in response.getheaders()}, decoded
        finally:
            connection.close()


ALPHA = ServedModel("alpha", Path("/models/alpha.gguf"), "gguf", 1, 2048, 1_700_000_000)
BETA = ServedModel("beta", Path("/models/beta.gguf"), "gguf", 2, 2048, 1_700_000_100)
GAMMA = ServedModel("gamma", Path("/models/gamma.gguf"), "gguf", 3, 2048, 1_700_000_200)
OMEGA = ServedModel("omega-onnx", Path("/models/omega-onnx"), "onnx", 4, 2048, 1_700_000_300)


def post_raw(port: int, path: str, body: dict[str, Any]) -> socket.socket:
    """Send ``body`` as one authorized JSON POST to ``path`` on the loopback ``port``, read nothing,
    and return the open socket: closing it is a client going away mid-request."""
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 f"Authorization: Bearer {KEY}\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
    return sock


def chat(client: openai.OpenAI, text: str, model: str = "alpha", **kwargs: Any) -> Any:
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kwargs)
