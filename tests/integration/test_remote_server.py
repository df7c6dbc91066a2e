"""The remote engine client against a small fake OpenAI-compatible server on 127.0.0.1: listing,
kind detection, streaming with usage, Stop, and the failures a real server has (500, a dropped
connection mid-stream, a slow server, a wrong key). :class:`FakeOpenAIServer` is shared with the
GUI tests (tests/gui/test_chat_remote.py)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from slmdesk.core import offline
from slmdesk.engine.remote import RemoteEngineClient, RemoteError, RemoteTimeouts
from slmdesk.engine.types import Done, SamplingParams, Token

WORDS = ("Paris ", "is ", "the ", "capital ", "of ", "France.")


class FakeOpenAIServer:
    """An OpenAI-compatible server on a free loopback port, in a thread.

    ``mode``: ``"ok"`` streams :data:`WORDS` (one SSE chunk each, ``token_s`` apart, a keep-alive
    comment first) then a usage chunk and ``[DONE]``; ``"500"`` answers 500 with an OpenAI error;
    ``"drop"`` closes the connection after ``drop_after`` words; ``"slow"`` sends one word and then
    nothing for ``slow_s``. ``key``: the Bearer key required (None: any). ``owned_by`` and
    ``extra_routes`` shape what kind of server it looks like.
    """

    def __init__(self, owned_by: str = "vllm", key: str | None = None,
                 extra_routes: dict[str, Any] | None = None) -> None:
        self.mode = "ok"
        self.owned_by = owned_by
        self.key = key
        self.token_s = 0.0
        self.drop_after = 2
        self.slow_s = 5.0
        self.models = ["fake-model"]
        self.extra_routes = extra_routes if extra_routes is not None else {"/version": {"version": "0.6.3"}}
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.disconnected = threading.Event()
        """Set when a client went away before the stream ended (Stop closes the connection)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _authorized(self) -> bool:
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                if fake.key is None or self.headers.get("Authorization") == f"Bearer {fake.key}":
                    return True
                self._json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
                return False

            def _json(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if not self._authorized():
                    return
                if self.path == "/v1/models":
                    self._json(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "owned_by": fake.owned_by, "max_model_len": 2048}
                        for m in fake.models]})
                elif self.path in fake.extra_routes:
                    self._json(200, fake.extra_routes[self.path])
                else:
                    self._json(404, {"detail": "Not Found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if not self._authorized():
                    return
                fake.requests.append(body)
                if fake.mode == "500":
                    self._json(500, {"error": {"message": "CUDA out of memory", "type": "server_error"}})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chat = self.path.endswith("/chat/completions")
                try:
                    self._chunk(b": ping\r\n\r\n")
                    for index, word in enumerate(WORDS):
                        if fake.mode == "drop" and index == fake.drop_after:
                            self.wfile.flush()
                            self.connection.shutdown(socket.SHUT_RDWR)
                            return
                        choice = {"index": 0, "delta": {"content": word}} if chat else {"index": 0, "text": word}
                        self._event({"id": "x", "choices": [choice]})
                        if fake.mode == "slow":
                            time.sleep(fake.slow_s)
                            return
                        time.sleep(fake.token_s)
                    self._event({"id": "x", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                    self._event({"id": "x", "choices": [], "usage": {"prompt_tokens": 11,
                                                                     "completion_tokens": len(WORDS)}})
                    self._chunk(b"data: [DONE]\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    fake.disconnected.set()

            def _event(self, payload: Any) -> None:
                self._chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(key="sk-remote-1") as server:
        yield server


def _client(fake: FakeOpenAIServer, **kwargs: Any) -> RemoteEngineClient:
    client = RemoteEngineClient(fake.base_url, "sk-remote-1", timeouts=RemoteTimeouts(connect_s=5, request_s=5,
                                                                                      idle_s=kwargs.pop("idle_s", 5)))
    client.connect("fake-model")
    return client


def test_connect_tells_the_kind_version_and_context(fake: FakeOpenAIServer) -> None:
    client = RemoteEngineClient(fake.base_url, "sk-remote-1")
    info = client.probe()
    assert (info.kind, info.version, [m.id for m in info.models]) == ("vllm", "0.6.3", ["fake-model"])
    loaded = client.connect("fake-model")
    assert (loaded.backend, loaded.backend_version, loaded.n_ctx, loaded.model_name) == (
        "vLLM (remote)", "0.6.3", 2048, "fake-model")
    assert fake.headers[-1]["authorization"] == "Bearer sk-remote-1"


def test_a_streamed_reply_has_the_text_usage_and_vllm_sampling_fields(fake: FakeOpenAIServer) -> None:
    client = _client(fake)
    events = list(client.generate([{"role": "user", "content": "Capital of France?"}],
                                  SamplingParams(temperature=0, max_tokens=32, seed=7, top_k=20)))
    done = events[-1]
    assert isinstance(done, Done)
    assert done.text == "".join(WORDS) == "".join(e.text for e in events if isinstance(e, Token))
    assert (done.stats.prompt_tokens, done.stats.completion_tokens, done.stats.finish_reason) == (11, 6, "stop")
    assert done.stats.ttft_s > 0
    sent = fake.requests[-1]
    assert sent["messages"] == [{"role": "user", "content": "Capital of France?"}]
    assert (sent["model"], sent["stream"], sent["stream_options"], sent["seed"], sent["top_k"]) == (
        "fake-model", True, {"include_usage": True}, 7, 20)
    assert sent["repetition_penalty"] == 1.0  # vLLM's name for it


def test_text_completion_streams_from_v1_completions(fake: FakeOpenAIServer) -> None:
    done = list(_client(fake).complete("Once upon a time", SamplingParams(max_tokens=8)))[-1]
    assert isinstance(done, Done)
    assert done.text == "".join(WORDS)
    assert fake.requests[-1]["prompt"] == "Once upon a time"


def test_a_500_is_a_clear_error(fake: FakeOpenAIServer) -> None:
    fake.mode = "500"
    with pytest.raises(RemoteError, match=r"answered 500.*CUDA out of memory") as caught:
        list(_client(fake).generate([{"role": "user", "content": "hi"}]))
    assert caught.value.status == 500
    assert "conversation is kept" in caught.value.hint


def test_a_connection_dropped_mid_stream_says_so_after_the_text_it_sent(fake: FakeOpenAIServer) -> None:
    fake.mode = "drop"
    received: list[str] = []

    def consume() -> None:
        received.extend(e.text for e in _client(fake).generate([{"role": "user", "content": "hi"}])
                        if isinstance(e, Token))

    with pytest.raises(RemoteError, match="closed the connection in the middle of the reply"):
        consume()
    assert "".join(received) == "Paris is "


def test_a_slow_server_times_out_with_a_clear_error(fake: FakeOpenAIServer) -> None:
    fake.mode, fake.slow_s = "slow", 3.0
    started = time.perf_counter()
    with pytest.raises(RemoteError, match=r"sent nothing for 0\.5 s"):
        list(_client(fake, idle_s=0.5).generate([{"role": "user", "content": "hi"}]))
    assert time.perf_counter() - started < 2.5


def test_a_wrong_key_is_refused_with_a_hint_about_the_key(fake: FakeOpenAIServer) -> None:
    with pytest.raises(RemoteError, match="answered 401 while listing its models: Invalid API key") as caught:
        RemoteEngineClient(fake.base_url, "sk-wrong").list_models()
    assert "API key" in caught.value.hint


def test_stop_closes_the_stream_within_a_token(fake: FakeOpenAIServer) -> None:
    fake.token_s = 0.3
    client = _client(fake)
    rid = client.new_request_id()
    events = client.generate([{"role": "user", "content": "hi"}], request_id=rid)
    first = next(events)
    assert isinstance(first, Token)
    stopped_at = time.perf_counter()
    client.cancel(rid)
    rest = list(events)
    assert time.perf_counter() - stopped_at < 0.3
    done = rest[-1]
    assert isinstance(done, Done)
    assert done.stats.finish_reason == "cancelled"
    assert done.text.startswith("Paris")
    assert fake.disconnected.wait(5)  # the server saw the client go away


def test_stop_before_the_reply_starts_sends_nothing(fake: FakeOpenAIServer) -> None:
    client = _client(fake)
    rid = client.new_request_id()
    client.cancel(rid)
    done = list(client.generate([{"role": "user", "content": "hi"}], request_id=rid))[-1]
    assert isinstance(done, Done)
    assert (done.stats.finish_reason, done.text, fake.requests) == ("cancelled", "", [])


def test_a_refused_connection_names_the_address() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RemoteError, match=f"Cannot connect to 127.0.0.1:{port}: connection refused"):
        RemoteEngineClient(f"http://127.0.0.1:{port}").list_models()


def test_offline_mode_refuses_a_server_off_this_computer_but_not_loopback(
        fake: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offline.OFFLINE_ENV, "1")
    with pytest.raises(RemoteError, match=r"Offline mode is on.*not gpu-box\.example:8000"):
        RemoteEngineClient("http://gpu-box.example:8000/v1").list_models()
    assert [m.id for m in RemoteEngineClient(fake.base_url, "sk-remote-1").list_models()] == ["fake-model"]


@pytest.mark.parametrize(("owned_by", "routes", "kind", "version"), [
    ("library", {"/api/version": {"version": "0.5.7"}}, "ollama", "0.5.7"),
    ("llamacpp", {"/props": {"build_info": "b4567-abc", "default_generation_settings": {"n_ctx": 4096}}},
     "llama.cpp", "b4567-abc"),
    ("me", {}, "llama-cpp-python", ""),
    ("slmdesk", {}, "slmdesk", ""),
    ("someone", {}, "openai-compatible", ""),
])
def test_the_server_kind_from_owned_by_and_its_own_endpoint(owned_by: str, routes: dict[str, Any], kind: str,
                                                            version: str) -> None:
    with FakeOpenAIServer(owned_by=owned_by, extra_routes=routes) as server:
        info = RemoteEngineClient(server.base_url).probe()
    assert (info.kind, info.version) == (kind, version)
