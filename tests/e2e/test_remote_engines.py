"""Remote engines against real OpenAI-compatible servers on 127.0.0.1, standing in for vLLM or
llama-server on another machine: llama-cpp-python's own server (``python -m llama_cpp.server``)
and slmdesk's local server, both with the SmolLM2 starter model. Listing and kind detection,
streamed chat and text completion, Stop, and a conversation stored through ChatSession."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.api.models import ModelCatalog, model_for_path
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.bench.serving import ServingSettings, load_runs, serving_task
from slmdesk.chat import ChatSession
from slmdesk.core.tasks import run_inline
from slmdesk.engine.remote import RemoteEngineClient, RemoteError
from slmdesk.engine.types import Done, LoadSettings, SamplingParams, Token
from slmdesk.inventory.repository import Inventory

pytestmark = pytest.mark.slow

KEY = "sk-remote-e2e-0123"
GREEDY = SamplingParams(temperature=0, max_tokens=16, seed=1)
QUESTION = [{"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Name the capital city of France."}]

LLAMA_SERVER_CHILD = """
import sys
from slmdesk.engine.llama_runtime import ensure_backends
ensure_backends()  # the ggml CPU variant slmdesk's engine uses (benchmarks/api_speed.py)
from llama_cpp.server.__main__ import main
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
main()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def llama_server(smollm2_gguf: Path) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port with a key; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-c", LLAMA_SERVER_CHILD, "--model", str(smollm2_gguf), "--host", "127.0.0.1",
               "--port", str(port), "--api_key", KEY, "--n_ctx", "1024", "--n_threads", "1",
               "--n_threads_batch", "1", "--verbose", "False",
               # By default a new request cuts the one streaming (ServerSettings.interrupt_requests):
               # queue them instead, as vLLM and llama-server do, for the concurrent serving benchmark.
               "--interrupt_requests", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                log = process.stderr.read().decode()[-2000:] if process.stderr else ""
                pytest.fail(f"llama_cpp.server exited: {log}")
            try:
                request = urllib.request.Request(base_url + "/models", headers={"Authorization": f"Bearer {KEY}"})
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not come up in 120 s")
            time.sleep(0.3)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="module")
def slmdesk_server(smollm2_gguf: Path) -> Iterator[ApiServer]:
    catalog = ModelCatalog(fixed=[model_for_path(smollm2_gguf)])
    api = ApiServer(ServerConfig(port=0, api_key=KEY), catalog, lambda model: LoadSettings(n_ctx=1024, n_threads=1))
    api.start()
    api.preload(catalog.models()[0])
    yield api
    api.stop()


def _stream(client: RemoteEngineClient) -> tuple[list[str], Done]:
    pieces: list[str] = []
    done: Done | None = None
    for event in client.generate(QUESTION, GREEDY):
        if isinstance(event, Token):
            pieces.append(event.text)
        elif isinstance(event, Done):
            done = event
    assert done is not None
    return pieces, done


def test_llama_cpp_python_server_lists_streams_completes_and_stops(llama_server: str) -> None:
    client = RemoteEngineClient(llama_server, KEY)
    info = client.probe()
    assert info.kind == "llama-cpp-python"
    model = info.models[0].id
    assert model.endswith(".gguf")
    loaded = client.connect(model)
    assert loaded.backend == "llama-cpp-python (remote)"

    pieces, done = _stream(client)
    assert "Paris" in done.text
    assert "".join(pieces) == done.text
    assert done.stats.completion_tokens >= 1 and done.stats.finish_reason in ("stop", "length")
    assert done.stats.ttft_s > 0

    completion = list(client.complete("The capital of France is", GREEDY))[-1]
    assert isinstance(completion, Done) and completion.text.strip()

    rid = client.new_request_id()
    events = client.generate(QUESTION, SamplingParams(temperature=0.7, max_tokens=200, seed=1), request_id=rid)
    assert isinstance(next(e for e in events if isinstance(e, Token)), Token)
    client.cancel(rid)
    last = list(events)[-1]
    assert isinstance(last, Done) and last.stats.finish_reason == "cancelled"


def test_the_serving_benchmark_measures_llama_cpp_python_server(llama_server: str, inventory: Inventory) -> None:
    model = RemoteEngineClient(llama_server, KEY).probe().models[0].id
    settings = ServingSettings(base_url=llama_server, model=model, concurrency=(1, 2), num_requests=2,
                               input_len=16, output_len=8, timeout_s=120)
    runs = run_inline(serving_task(settings, api_key=KEY, inventory=inventory))
    assert [run.concurrency for run in runs] == [1, 2]
    for run in runs:
        metrics = run.metrics
        assert (metrics.completed, metrics.failed, metrics.errors) == (2, 0, ())
        assert metrics.ttft is not None and metrics.ttft.mean > 0
        assert metrics.output_throughput > 0 and 2 <= metrics.total_output <= 16
        assert run.id is not None  # stored beside the local runs
    assert sorted(stored.concurrency for stored in load_runs(inventory)) == [1, 2]


def test_llama_cpp_python_server_refuses_a_wrong_key(llama_server: str) -> None:
    with pytest.raises(RemoteError, match="answered 401"):
        RemoteEngineClient(llama_server, "sk-wrong").list_models()


def test_slmdesk_server_is_recognised_and_chats_like_a_local_engine(slmdesk_server: ApiServer,
                                                                   inventory: Inventory) -> None:
    client = RemoteEngineClient(slmdesk_server.address, KEY)
    info = client.probe()
    assert (info.kind, [m.id for m in info.models]) == ("slmdesk", ["SmolLM2-135M-Instruct.Q4_1"])
    client.connect("SmolLM2-135M-Instruct.Q4_1")
    pieces, done = _stream(client)
    assert "Paris" in done.text and len(pieces) >= 1
    assert done.stats.prompt_tokens > 0  # usage came with the stream (stream_options.include_usage)

    chat = ChatSession.create(inventory, system_prompt="Answer in one word.", params=GREEDY)
    reply = chat.send("Name the capital city of France.", GREEDY)
    events = list(chat.stream(client, reply))
    assert isinstance(events[-1], Done)
    stored = chat.history()
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[-1].content == events[-1].text and "Paris" in stored[-1].content
    assert stored[-1].stats["backend"] == "slmdesk (remote)"

    rid = client.new_request_id()
    events_iter = client.generate(QUESTION, SamplingParams(temperature=0.7, max_tokens=300, seed=2), request_id=rid)
    next(e for e in events_iter if isinstance(e, Token))
    client.cancel(rid)
    assert list(events_iter)[-1].stats.finish_reason == "cancelled"  # type: ignore[union-attr]
