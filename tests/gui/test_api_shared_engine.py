"""The GUI's API server borrows Chat's engine for the model Chat has loaded (SmolLM2, the real
engine): one engine process serves both, and each side's cancel stops its own reply only."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import psutil
import pytest

from slmdesk.api.models import ModelCatalog, model_for_path
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.engine.client import EngineClient
from slmdesk.engine.types import Done, LoadSettings, SamplingParams
from slmdesk.jobs.engine_session import EngineSession

KEY = "sk-shared-engine-test-0123"
TIMEOUT_MS = 180_000
"""A load and a few replies of SmolLM2 on a busy 2-core machine (milliseconds)."""
SETTINGS = LoadSettings(n_ctx=1024, n_threads=1)
STORY = [{"role": "user", "content": "Write a long story about a cat who sails around the world."}]


def engine_processes() -> list[int]:
    """Process ids of the engine hosts this test process started."""
    children = psutil.Process().children(recursive=True)
    return [p.pid for p in children if "engine-host" in " ".join(p.cmdline())]


@pytest.fixture
def chat_and_server(qtbot, smollm2_gguf: Path) -> Iterator[tuple[EngineSession, ApiServer, list[EngineClient]]]:
    """Chat's session with SmolLM2 loaded, and an API server that borrows its engine (its own
    engines, made by a recorded factory, would be loaded only if it did not)."""
    session = EngineSession()
    with qtbot.waitSignal(session.loaded, timeout=TIMEOUT_MS):
        session.load(smollm2_gguf, SETTINGS)
    own: list[EngineClient] = []

    def factory() -> EngineClient:
        own.append(EngineClient())
        return own[-1]

    catalog = ModelCatalog(fixed=[model_for_path(smollm2_gguf)])
    server = ApiServer(ServerConfig(port=0, api_key=KEY), catalog, lambda _model: SETTINGS, client_factory=factory,
                       shared_engine=session.loaded_client)
    server.start()
    try:
        yield session, server, own
    finally:
        server.stop()
        session.shutdown()


def client_for(server: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.address, api_key=KEY, max_retries=0, timeout=120)


def test_an_api_request_for_chats_model_runs_on_chats_engine(chat_and_server) -> None:
    session, server, own = chat_and_server
    chat_pid = session.engine_pid()
    assert chat_pid is not None and engine_processes() == [chat_pid]
    client = client_for(server)
    model = client.models.list().data[0].id
    reply = client.chat.completions.create(
        model=model, temperature=0, max_tokens=24,
        messages=[{"role": "system", "content": "Answer in one word."},
                  {"role": "user", "content": "Name the capital city of France."}],
    )
    assert "Paris" in (reply.choices[0].message.content or "")
    assert own == [] and engine_processes() == [chat_pid]  # no second engine, no second copy of the weights
    stats = server.stats()
    assert (stats["engines"], stats["shared"], stats["requests"]) == (0, model, 1)


def test_chats_stop_while_an_api_reply_streams_stops_chat_only(qtbot, chat_and_server) -> None:
    session, server, own = chat_and_server
    client = client_for(server)
    model = client.models.list().data[0].id
    stream = client.chat.completions.create(model=model, messages=STORY, temperature=0, max_tokens=96,
                                            stream=True)
    chunks = iter(stream)
    first = next(chunks)  # the API reply is streaming on the shared engine now
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS) as chat_done:
        session.generate(STORY, SamplingParams(temperature=0, max_tokens=64))  # waits its turn
        qtbot.wait(200)
        session.cancel()  # Chat's Stop
        rest = list(chunks)
    text = "".join(c.choices[0].delta.content or "" for c in [first, *rest] if c.choices)
    reasons = [c.choices[0].finish_reason for c in rest if c.choices and c.choices[0].finish_reason]
    assert reasons in (["length"], ["stop"]) and len(text) > 20  # the API reply ran to its end
    done: Done = chat_done.args[0]
    assert done.stats.finish_reason == "cancelled" and done.stats.completion_tokens <= 1
    assert own == [] and engine_processes() == [session.engine_pid()]


def test_an_api_client_leaving_while_chat_streams_stops_nothing_of_chats(qtbot, chat_and_server) -> None:
    session, server, _own = chat_and_server
    model = server.catalog.models()[0].id
    tokens: list[str] = []
    session.tokens_received.connect(tokens.append)
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS) as chat_done:
        session.generate(STORY, SamplingParams(temperature=0, max_tokens=64))
        qtbot.waitUntil(lambda: bool(tokens), timeout=TIMEOUT_MS)  # Chat's reply streams
        left: dict[str, Any] = {}

        def ask_and_leave() -> None:  # an API request that queues behind Chat, then disconnects
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            body = {"model": model, "messages": STORY, "max_tokens": 64, "stream": True}
            connection.request("POST", "/v1/chat/completions", body=json.dumps(body),
                               headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
            time.sleep(0.5)
            connection.close()
            left["at"] = time.perf_counter()

        thread = threading.Thread(target=ask_and_leave)
        thread.start()
        qtbot.waitUntil(lambda: "at" in left, timeout=10_000)
        thread.join()
    done: Done = chat_done.args[0]
    assert done.stats.finish_reason in ("length", "stop") and done.stats.completion_tokens > 10
    assert done.text == "".join(tokens)
    qtbot.waitUntil(lambda: server.stats()["requests"] == 1, timeout=TIMEOUT_MS)
    record = server.recent()[-1]
    assert record.finish_reason in ("dropped", "cancelled") and record.completion_tokens <= 1
