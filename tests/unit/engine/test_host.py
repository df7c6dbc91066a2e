"""The engine host's request loop over real pipes, with a scripted backend (no model)."""

from __future__ import annotations

import base64
import os
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from slmdesk.engine import protocol
from slmdesk.engine.backend_base import GenerationControl, ReplyBuilder
from slmdesk.engine.host import EngineHost, choose_backend
from slmdesk.engine.templates import TemplateError
from slmdesk.engine.types import (
    EmbeddingResult,
    EngineError,
    GenerationStats,
    InvalidRequestError,
    LoadInfo,
    LoadSettings,
    SamplingParams,
)


class ScriptedBackend:
    """Generates ``"tok0 tok1 ..."``, one token per ``delay_s``, checking cancel like the real loop."""

    name = "scripted"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.path = ""
        self.released = threading.Event()

    @property
    def loaded(self) -> str:
        return self.path

    def load(self, path: str, settings: LoadSettings) -> LoadInfo:
        if path.endswith("bad.gguf"):
            raise EngineError("llama.cpp cannot load bad.gguf: data is not within the file bounds")
        self.path = path
        return LoadInfo(path=path, backend="scripted", backend_version="1", n_ctx=settings.n_ctx, settings=settings)

    def unload(self) -> None:
        self.path = ""

    def count_tokens(self, messages: list[dict[str, str]]) -> int:
        return sum(len(m["content"].split()) for m in messages)

    def generate(
        self,
        messages: list[dict[str, str]],
        params: SamplingParams,
        control: GenerationControl,
        on_prompt: Callable[[int, tuple[int, ...]], None],
        on_prefill: Callable[[int, int], None],
        on_text: Callable[[str], None],
        started: float,
        prompt_text: str | None = None,
    ) -> tuple[str, GenerationStats]:
        if messages[-1]["content"] == "raise":
            raise TemplateError("The model's chat template rejects this conversation: no")
        on_prompt(self.count_tokens(messages), ())
        builder = ReplyBuilder(params.stop, on_text, flush_interval_s=0.0)
        finish, n = "length", 0
        while n < params.max_tokens:
            if control.cancelled:
                finish = "cancelled"
                break
            if self.delay_s:
                time.sleep(self.delay_s)
            n += 1
            control.tokens = n
            if builder.add_text(f"tok{n - 1} "):
                finish = "stop"
                break
        text = builder.finish()
        return text, GenerationStats(
            completion_tokens=n, finish_reason=finish, tokens_after_cancel=control.tokens_after_cancel()
        )


class EmbeddingBackend(ScriptedBackend):
    """Also embeds: a text's vector is ``[len(text), 1.0]``; one input per ``delay_s``, checking
    cancel between inputs like the real one."""

    def embed(self, inputs: list[Any], control: GenerationControl,
              on_progress: Callable[[int, int], None]) -> EmbeddingResult:
        if any(not item for item in inputs):
            raise InvalidRequestError("Input 0 is empty: there is nothing to embed.")
        vectors = []
        for index, item in enumerate(inputs):
            if control.cancelled:
                return EmbeddingResult((), 2, 0, "mean", cancelled=True)
            time.sleep(self.delay_s)
            vectors.append(struct.pack("<2f", len(item), 1.0))
            on_progress(index + 1, len(inputs))
        return EmbeddingResult(tuple(vectors), 2, sum(len(item) for item in inputs), "mean")


class HostUnderTest:
    """An EngineHost on a thread, fed through real OS pipes."""

    def __init__(self, backend: ScriptedBackend) -> None:
        request_r, self._request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self._replies = os.fdopen(reply_r, "rb")
        self._requests = os.fdopen(self._request_w, "wb", buffering=0)
        self._host_files = (os.fdopen(request_r, "rb"), os.fdopen(reply_w, "wb", buffering=0))
        host = EngineHost(*self._host_files, {"llama": lambda: backend})
        self.exit_code: int | None = None

        def run() -> None:
            self.exit_code = host.run()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert self.read()["ev"] == "hello"

    def send(self, **message: Any) -> None:
        self._requests.write(protocol.encode(message))

    def read(self) -> dict[str, Any]:
        return protocol.decode(self._replies.readline())

    def until(self, event: str) -> Iterator[dict[str, Any]]:
        while True:
            message = self.read()
            yield message
            if message["ev"] in (event, "error"):
                return

    def close_stdin(self) -> None:
        self._requests.close()

    def close(self) -> None:
        if not self._requests.closed:
            self.close_stdin()
        self.thread.join(10)
        for handle in (*self._host_files, self._replies):
            handle.close()


@pytest.fixture
def host() -> Iterator[HostUnderTest]:
    under_test = HostUnderTest(ScriptedBackend(delay_s=0.01))
    yield under_test
    under_test.close()


def _load(host: HostUnderTest) -> None:
    host.send(id=1, op="load", path="/models/ok.gguf", settings={"n_ctx": 512})
    assert host.read()["info"]["n_ctx"] == 512


def test_generate_streams_prompt_tokens_and_done(host: HostUnderTest) -> None:
    _load(host)
    host.send(id=2, op="generate", messages=[{"role": "user", "content": "a b c"}], params={"max_tokens": 3})
    events = list(host.until("done"))
    assert [e["ev"] for e in events] == ["prompt", "token", "token", "token", "done"]
    assert events[0]["prompt_tokens"] == 3
    assert events[-1]["text"] == "tok0 tok1 tok2 "
    assert events[-1]["stats"]["finish_reason"] == "length"


def test_cancel_is_read_while_generating_and_stops_within_one_token(host: HostUnderTest) -> None:
    _load(host)
    host.send(id=2, op="generate", messages=[{"role": "user", "content": "x"}], params={"max_tokens": 10_000})
    assert host.read()["ev"] == "prompt"
    assert host.read()["ev"] == "token"
    host.send(id=3, op="cancel", target=2)
    done = list(host.until("done"))[-1]
    assert done["stats"]["finish_reason"] == "cancelled"
    assert done["stats"]["completion_tokens"] < 10_000
    assert done["stats"]["tokens_after_cancel"] in (0, 1)


def test_a_cancel_that_overtakes_its_generate_request_still_cancels(host: HostUnderTest) -> None:
    _load(host)
    # Keep the main thread busy so generate 3 waits in the queue while its cancel arrives.
    host.send(id=2, op="generate", messages=[{"role": "user", "content": "x"}], params={"max_tokens": 20})
    host.send(id=3, op="generate", messages=[{"role": "user", "content": "y"}], params={"max_tokens": 10_000})
    host.send(id=4, op="cancel", target=3)
    assert list(host.until("done"))[-1]["stats"]["finish_reason"] == "length"
    done = list(host.until("done"))[-1]
    assert done["id"] == 3
    assert done["stats"]["finish_reason"] == "cancelled"
    assert done["stats"]["completion_tokens"] == 0


def test_errors_come_back_with_their_kind_and_the_host_keeps_serving(host: HostUnderTest) -> None:
    host.send(id=1, op="count_tokens", messages=[{"role": "user", "content": "a"}])
    assert host.read() == {
        "id": 1, "ev": "error", "kind": "not_loaded", "message": "No model is loaded.", "hint": "Load a model first.",
    }
    host.send(id=2, op="load", path="/models/bad.gguf", settings={})
    reply = host.read()
    assert reply["kind"] == "engine"
    assert reply["message"] == "llama.cpp cannot load bad.gguf: data is not within the file bounds"
    _load(host)
    host.send(id=3, op="generate", messages=[{"role": "user", "content": "raise"}], params={})
    reply = host.read()
    assert (reply["kind"], reply["message"]) == ("template", "The model's chat template rejects this conversation: no")
    host.send(id=4, op="no_such_op")
    assert host.read()["message"] == "Unknown request 'no_such_op'."
    host.send(id=5, op="count_tokens", messages=[{"role": "user", "content": "a b"}])
    assert host.read() == {"id": 5, "ev": "count", "prompt_tokens": 2}


def test_stats_report_this_process_memory(host: HostUnderTest) -> None:
    _load(host)
    host.send(id=2, op="stats")
    stats = host.read()["stats"]
    assert stats["pid"] == os.getpid()
    assert stats["peak_rss_bytes"] >= stats["rss_bytes"] > 10 * 1024 * 1024
    assert stats["loaded"] == "/models/ok.gguf"


def test_shutdown_and_end_of_input_both_stop_the_host(host: HostUnderTest) -> None:
    host.send(id=1, op="shutdown")
    assert host.read() == {"id": 1, "ev": "bye"}
    host.thread.join(5)
    assert host.exit_code == 0
    other = HostUnderTest(ScriptedBackend(delay_s=0.01))
    _load(other)
    other.send(id=2, op="generate", messages=[{"role": "user", "content": "x"}], params={"max_tokens": 10_000})
    assert other.read()["ev"] == "prompt"
    other.close()  # the client died mid-reply: its end of stdin closes
    assert other.exit_code == 0


def test_backend_is_chosen_by_path(tmp_path: Any) -> None:
    onnx = tmp_path / "model-onnx"
    onnx.mkdir()
    (onnx / "genai_config.json").write_text("{}")
    assert choose_backend(str(onnx)) == "onnx"
    assert choose_backend(str(tmp_path / "m.gguf")) == "llama"
    assert choose_backend(str(onnx), "llama") == "llama"
    with pytest.raises(EngineError, match=r"folder without genai_config\.json"):
        choose_backend(str(tmp_path))


def test_embed_reports_progress_then_base64_vectors_and_can_be_cancelled() -> None:
    host = HostUnderTest(EmbeddingBackend(delay_s=0.01))
    try:
        _load(host)
        host.send(id=2, op="embed", inputs=["abc", [1, 2, 3, 4, 5]])
        events = list(host.until("embeddings"))
        assert [(e["ev"], e.get("done")) for e in events] == [("embed_progress", 1), ("embed_progress", 2),
                                                              ("embeddings", None)]
        result = events[-1]["result"]
        assert [struct.unpack("<2f", base64.b64decode(v)) for v in result["vectors"]] == [(3.0, 1.0), (5.0, 1.0)]
        assert (result["dimensions"], result["prompt_tokens"], result["pooling"]) == (2, 8, "mean")
        host.send(id=3, op="embed", inputs=["x"] * 10_000)
        assert host.read()["ev"] == "embed_progress"
        host.send(id=4, op="cancel", target=3)
        last = list(host.until("embeddings"))[-1]
        assert last["result"]["cancelled"] and last["result"]["vectors"] == []
        host.send(id=5, op="embed", inputs=[""])
        assert host.read()["kind"] == "invalid_request"
    finally:
        host.close()


def test_a_backend_that_cannot_embed_says_so(host: HostUnderTest) -> None:
    _load(host)
    host.send(id=2, op="embed", inputs=["abc"])
    reply = host.read()
    assert (reply["ev"], reply["kind"]) == ("error", "invalid_request")
    assert reply["message"] == "The scripted backend cannot compute embeddings."
