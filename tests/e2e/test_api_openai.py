"""The local API server over the real engine, driven by the official ``openai`` package: chat with
SmolLM2 (whole and streamed), models, errors, 8 concurrent clients, a client killed mid-stream,
text completion with Gemma 3 270M (a base model), and ``slmdesk serve`` itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from slmdesk.api.models import ModelCatalog, model_for_path
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.engine.types import LoadSettings

KEY = "sk-e2e-test-key-0123"
SYSTEM = "Answer in one word."


@pytest.fixture(scope="module")
def server(smollm2_gguf: Path) -> Iterator[ApiServer]:
    catalog = ModelCatalog(fixed=[model_for_path(smollm2_gguf)])
    # One thread: other test runs share the 2 cores, and llama.cpp's spinning threads suffer most.
    api = ApiServer(ServerConfig(port=0, api_key=KEY), catalog, lambda model: LoadSettings(n_ctx=1024, n_threads=1))
    api.start()
    api.preload(catalog.models()[0])
    yield api
    api.stop()


def client_for(api: ApiServer, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=api.address, api_key=key, max_retries=0, timeout=120)


def ask(client: openai.OpenAI, model: str, text: str, stream: bool = False, max_tokens: int = 24) -> str:
    messages: Any = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]
    if not stream:
        reply = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=max_tokens)
        return reply.choices[0].message.content or ""
    chunks = client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=max_tokens,
                                            stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_chat_streaming_models_and_errors_through_the_openai_client(server: ApiServer) -> None:
    client = client_for(server)
    model = client.models.list().data[0].id
    assert model == "SmolLM2-135M-Instruct.Q4_1"
    question = "Name the capital city of France."
    messages: Any = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    whole = client.chat.completions.create(model=model, temperature=0, max_tokens=24, messages=messages)
    assert "Paris" in (whole.choices[0].message.content or "")
    assert whole.usage.prompt_tokens > 10 and whole.usage.completion_tokens >= 1

    chunks = list(client.chat.completions.create(
        model=model, temperature=0, max_tokens=24, messages=messages, stream=True,
        stream_options={"include_usage": True},
    ))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == whole.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens

    with pytest.raises(openai.NotFoundError) as missing:
        ask(client, "no-such-model", "hi")
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.AuthenticationError):
        client_for(server, "sk-wrong-key-000").models.list()
    with pytest.raises(openai.APIStatusError) as too_long:
        ask(client, model, "tell me more " * 400)
    assert too_long.value.status_code == 413 and too_long.value.code == "context_length_exceeded"
    assert "context of 1024 tokens" in too_long.value.message


PROMPTS = [
    "Name the capital city of France.",
    "Name the largest planet.",
    "Name a primary colour.",
    "Name the opposite of hot.",
    "Name a fruit that is yellow.",
    "Name the day after Monday.",
    "Name the animal that barks.",
    "Name the ocean between Europe and America.",
]


def test_eight_concurrent_clients_each_get_their_own_greedy_reply(server: ApiServer) -> None:
    client = client_for(server)
    model = client.models.list().data[0].id
    expected = {prompt: ask(client, model, prompt) for prompt in PROMPTS}
    assert len(set(expected.values())) > 1, expected  # the check below can tell replies apart
    got: dict[str, str | Exception] = {}

    def one(index: int, prompt: str) -> None:
        try:  # each thread has its own client, half of them stream
            got[prompt] = ask(client_for(server), model, prompt, stream=index % 2 == 0)
        except Exception as error:  # noqa: BLE001 - reported below, with the prompt
            got[prompt] = error

    threads = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(PROMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert got == expected
    assert server.stats()["waiting"] == 0


KILLED_CLIENT = textwrap.dedent(
    """
    import sys, openai
    client = openai.OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
    stream = client.chat.completions.create(
        model=sys.argv[3], stream=True, temperature=0, max_tokens=400,
        messages=[{"role": "user", "content": "Write a long story about a lighthouse keeper."}])
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            print("FIRST", flush=True)
            break
    for chunk in stream:  # keeps reading until killed
        pass
    """
)


def test_a_client_killed_mid_stream_cancels_its_reply_and_the_next_is_served(server: ApiServer) -> None:
    client = client_for(server)
    model = client.models.list().data[0].id
    before = len(server.recent())
    child = subprocess.Popen([sys.executable, "-c", KILLED_CLIENT, server.address, KEY, model],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "FIRST"
        child.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    while len(server.recent()) == before and time.monotonic() - killed < 10:
        time.sleep(0.01)
    record = server.recent()[-1]
    assert record.finish_reason == "cancelled", record
    assert record.tokens_after_cancel in (0, 1)  # the engine stopped within one token
    assert record.completion_tokens < 400
    started = time.monotonic()
    assert "Paris" in ask(client, model, "Name the capital city of France.")
    assert time.monotonic() - started < 15  # served at once, not after the 400-token story


def test_slmdesk_serve_serves_until_terminated(smollm2_gguf: Path) -> None:
    command = [sys.executable, "-m", "slmdesk", "serve", "--model", str(smollm2_gguf), "--port", "0",
               "--api-key", KEY, "--ctx", "512", "--threads", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip().startswith("base URL"), line + (process.stderr.read() if process.poll() else "")
        address = line.split()[-1]
        assert address.startswith("http://127.0.0.1:") and address.endswith("/v1")
        assert process.stdout.readline().split()[2] == KEY
        client = openai.OpenAI(base_url=address, api_key=KEY, max_retries=0, timeout=120)
        assert [m.id for m in client.models.list()] == ["SmolLM2-135M-Instruct.Q4_1"]
        assert "Paris" in ask(client, "SmolLM2-135M-Instruct.Q4_1", "Name the capital city of France.")
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        assert "Loaded SmolLM2-135M-Instruct.Q4_1: n_ctx 512" in stderr and "stopped" in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()



def test_text_completion_whole_streamed_and_echoed_through_the_openai_client(server: ApiServer) -> None:
    client = client_for(server)
    model = client.models.list().data[0].id
    prompt = "The capital of France is"
    whole = client.completions.create(model=model, prompt=prompt, max_tokens=8, temperature=0)
    text = whole.choices[0].text
    assert whole.object == "text_completion" and text.startswith(" Paris"), text
    # The prompt as written (its own 5 tokens), not wrapped in the chat template.
    assert whole.usage.prompt_tokens == 5 and 1 <= whole.usage.completion_tokens <= 8
    assert whole.choices[0].finish_reason in ("stop", "length")

    chunks = list(client.completions.create(model=model, prompt=prompt, max_tokens=8, temperature=0, stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == text  # greedy: the same text
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens

    echoed = client.completions.create(model=model, prompt=[prompt], max_tokens=8, temperature=0, echo=True)
    assert echoed.choices[0].text == prompt + text


@pytest.fixture(scope="module")
def base_model_server(gemma3_gguf: Path) -> Iterator[ApiServer]:
    """A server for Gemma 3 270M, a base model (no chat template): what /v1/completions is for."""
    catalog = ModelCatalog(fixed=[model_for_path(gemma3_gguf)])
    api = ApiServer(ServerConfig(port=0, api_key=KEY), catalog, lambda model: LoadSettings(n_ctx=256, n_threads=1))
    api.start()
    yield api
    api.stop()


def test_a_base_model_continues_text_and_stops_at_a_stop_string(base_model_server: ApiServer) -> None:
    client = client_for(base_model_server)
    model = client.models.list().data[0].id
    assert model == "gemma-3-270m-q4_k_m"
    prompt = "The capital of Germany is Berlin. The capital of France is"
    reply = client.completions.create(model=model, prompt=prompt, max_tokens=8, temperature=0, stop=["."])
    assert reply.choices[0].text == " Paris" and reply.choices[0].finish_reason == "stop"
    streamed = client.completions.create(model=model, prompt=prompt, max_tokens=8, temperature=0, stop=["."],
                                         stream=True)
    assert "".join(c.choices[0].text for c in streamed) == " Paris"

    with pytest.raises(openai.APIStatusError) as too_long:  # the engine would cut it; the API refuses
        client.completions.create(model=model, prompt="tell me more " * 200, max_tokens=8)
    assert too_long.value.status_code == 413 and too_long.value.code == "context_length_exceeded"
    assert too_long.value.param == "prompt" and "context is 256 tokens" in too_long.value.message
