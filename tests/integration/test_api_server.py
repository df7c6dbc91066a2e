"""The local API server over real HTTP on 127.0.0.1, with a fake engine: routes (chat and text
completions), errors in OpenAI's shape, the key and host checks, limits, the fair queue, 503, model
switching, disconnect = cancel.

The engine is a stand-in with the :class:`~slmdesk.engine.EngineClient` calls the server uses
(:mod:`tests.integration.api_rig`), so queueing and cancellation are checked without a model;
tests/e2e/test_api_openai.py runs the same server over the real engine and SmolLM2. Embeddings,
JSON mode and several loaded models: test_api_embeddings_json.py.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
import pytest

from slmdesk.api.app import Limits
from slmdesk.api.models import ModelCatalog
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.core.errors import UserError
from slmdesk.engine.types import LoadSettings
from tests.integration.api_rig import ALPHA, KEY, Rig, chat, continuation_for, post_raw


def test_chat_whole_and_streamed_with_usage(rig: Callable[..., Rig]) -> None:
    r = rig()
    client = r.client()
    whole = chat(client, "one two three", temperature=0, max_tokens=100)
    assert whole.choices[0].message.content == "Echo: three two one"
    assert whole.choices[0].finish_reason == "stop"
    assert whole.model == "alpha" and whole.usage.completion_tokens == 7

    chunks = list(chat(client, "red green", stream=True, stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: green red"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 5
    assert len({c.id for c in chunks}) == 1

    cut = chat(client, "a b c d e f g h", max_completion_tokens=2)
    assert cut.choices[0].message.content == "Echo: " and cut.choices[0].finish_reason == "length"


def test_models_and_not_found_in_openai_shape(rig: Callable[..., Rig]) -> None:
    r = rig()
    client = r.client()
    assert [m.id for m in client.models.list()] == ["alpha", "beta"]
    assert client.models.retrieve("beta").created == 1_700_000_100
    with pytest.raises(openai.NotFoundError) as error:
        chat(client, "hi", model="gamma")
    assert error.value.status_code == 404 and error.value.code == "model_not_found"
    assert "`gamma` does not exist" in error.value.message
    status, _, body = r.raw("GET", "/v2/nothing")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, _, body = r.raw("GET", "/v1/chat/completions")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_the_key_is_required_and_compared(rig: Callable[..., Rig]) -> None:
    r = rig()
    with pytest.raises(openai.AuthenticationError) as error:
        r.client("sk-wrong-key-123").models.list()
    assert error.value.status_code == 401 and error.value.code == "invalid_api_key"
    status, _, body = r.raw("GET", "/v1/models", headers={"Authorization": ""})
    assert status == 401 and "No API key provided" in body["error"]["message"]
    status, _, body = r.raw("GET", "/health", headers={"Authorization": ""})
    assert (status, body) == (200, {"status": "ok"})


def test_a_foreign_host_header_is_refused_on_loopback(rig: Callable[..., Rig]) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host."""
    r = rig()
    status, _, body = r.raw("GET", "/v1/models", headers={"Host": "evil.example:8765"})
    assert status == 400 and body["error"]["code"] == "invalid_host"
    assert r.raw("GET", "/v1/models", headers={"Host": f"localhost:{r.server.port}"})[0] == 200


def test_no_cors_unless_origins_are_configured(rig: Callable[..., Rig]) -> None:
    plain = rig()
    _, headers, _ = plain.raw("GET", "/v1/models", headers={"Origin": "http://example.com"})
    assert "access-control-allow-origin" not in headers
    allowed = rig(allowed_origins=("http://localhost:3000",))
    _, headers, _ = allowed.raw("GET", "/v1/models", headers={"Origin": "http://localhost:3000"})
    assert headers["access-control-allow-origin"] == "http://localhost:3000"
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type", "Authorization": ""}
    status, headers, _ = allowed.raw("OPTIONS", "/v1/chat/completions", headers=preflight)
    assert status == 200 and "POST" in headers["access-control-allow-methods"]


def test_bad_requests_name_the_field(rig: Callable[..., Rig]) -> None:
    r = rig()
    cases = [
        (b"{not json", None, "not valid JSON"),
        (json.dumps({"model": "alpha", "messages": "hi"}).encode(), "messages", "Expected `array`"),
        (json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}).encode(),
         "temperature", "Expected `float | null`"),
        (json.dumps({"model": "alpha", "messages": []}).encode(), "messages", "at least one message"),
        (json.dumps({"model": "alpha", "messages": [{"role": "wizard", "content": "x"}]}).encode(),
         "messages[0].role", "Unknown role"),
        (json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "x"}], "n": 2}).encode(),
         "n", "not supported"),
        (json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "x"}],
                     "response_format": {"type": "xml"}}).encode(), "response_format.type", "Unknown response_format"),
        (json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "x"}], "max_tokens": 0}).encode(),
         "max_tokens", "at least 1"),
    ]
    for body, param, words in cases:
        status, _, answer = r.raw("POST", "/v1/chat/completions", body)
        assert status == 400, (body, answer)
        assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["param"] == param, answer
        assert words in answer["error"]["message"], answer
    status, _, answer = r.raw("POST", "/v1/chat/completions", b"model=alpha", {"Content-Type": "text/plain"})
    assert status == 415 and answer["error"]["code"] == "unsupported_media_type"
    assert r.engines == []  # nothing reached an engine, none was even started


def test_size_limits_answer_413(rig: Callable[..., Rig]) -> None:
    r = rig(limits=Limits(max_body_bytes=4096, max_prompt_chars=1000))
    big = json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "x" * 5000}]}).encode()
    status, _, body = r.raw("POST", "/v1/chat/completions", big)
    assert status == 413 and body["error"]["code"] == "request_too_large"
    long = json.dumps({"model": "alpha", "messages": [{"role": "user", "content": "y" * 1500}]}).encode()
    status, _, body = r.raw("POST", "/v1/chat/completions", long)
    assert status == 413 and body["error"]["code"] == "prompt_too_large"
    assert "1500 characters" in body["error"]["message"]


def test_a_prompt_beyond_the_context_answers_413_streamed_or_not(rig: Callable[..., Rig]) -> None:
    r = rig(n_ctx=64)
    client = r.client()
    for stream in (False, True):  # the status comes before any chunk, so create() raises
        with pytest.raises(openai.APIStatusError) as error:
            chat(client, "word " * 100, stream=stream)
        assert error.value.status_code == 413 and error.value.code == "context_length_exceeded"
        assert "context is 64 tokens" in error.value.message
    # The prompt fits, but not with the reply budget asked for.
    with pytest.raises(openai.APIStatusError) as error:
        chat(client, "short question", max_tokens=60)
    assert error.value.status_code == 413 and "plus 60 for the reply" in error.value.message
    assert chat(client, "short question", max_tokens=10).choices[0].message.content == "Echo: question short"


def test_requests_are_served_in_arrival_order_and_the_overflow_gets_503(rig: Callable[..., Rig]) -> None:
    r = rig(token_s=0.1, max_waiting=2)  # 0.8 s a request: the first still runs when the fourth arrives
    client = r.client()
    results: dict[str, Any] = {}

    def ask(text: str) -> None:
        try:
            results[text] = chat(client, text).choices[0].message.content
        except openai.APIStatusError as error:
            results[text] = error

    threads = []
    for index in range(4):  # one runs, two wait, the fourth is refused
        thread = threading.Thread(target=ask, args=(f"request number {index}",))
        thread.start()
        threads.append(thread)
        time.sleep(0.15)  # a clear arrival order
    for thread in threads:
        thread.join(30)
    refused = results["request number 3"]
    assert isinstance(refused, openai.APIStatusError) and refused.status_code == 503
    assert refused.code == "engine_busy" and int(refused.response.headers["retry-after"]) >= 1
    assert r.order == ["request number 0", "request number 1", "request number 2"]
    assert results["request number 1"] == "Echo: 1 number request"
    assert r.server.stats()["waiting"] == 0


def test_a_disconnected_stream_is_cancelled_at_once_and_the_next_request_served(rig: Callable[..., Rig]) -> None:
    r = rig(token_s=0.1)
    sock = post_raw(r.server.port, "/v1/chat/completions", {
        "model": "alpha", "stream": True, "messages": [{"role": "user", "content": " ".join(["word"] * 60)}]})
    received = b""
    while b'"content":"Ech"' not in received:
        received += sock.recv(4096)
    sock.close()
    closed = time.perf_counter()
    deadline = time.monotonic() + 10
    while not r.server.recent() and time.monotonic() < deadline:
        time.sleep(0.01)
    engine = r.engines[0]
    assert engine.cancel_times, "the engine was never told to cancel"
    assert len([t for t in engine.token_times if t > closed]) <= 1  # within one token
    record = r.server.recent()[0]
    assert record.finish_reason == "cancelled" and record.completion_tokens < 10
    started = time.perf_counter()
    assert chat(r.client(), "next please").choices[0].message.content == "Echo: please next"
    assert time.perf_counter() - started < 2


def test_another_model_switches_the_engine_or_takes_a_second_one(rig: Callable[..., Rig]) -> None:
    one = rig()
    client = one.client()
    for model in ("alpha", "beta", "beta", "alpha"):
        assert chat(client, "x y", model=model).model == model
    assert len(one.engines) == 1 and one.engines[0].loads == ["alpha.gguf", "beta.gguf", "alpha.gguf"]

    two = rig(max_engines=2)
    client = two.client()
    for model in ("alpha", "beta", "beta", "alpha"):
        chat(client, "x y", model=model)
    assert sorted(e.loads[0] for e in two.engines) == ["alpha.gguf", "beta.gguf"]
    assert all(len(e.loads) == 1 for e in two.engines)


def test_text_completions_whole_and_streamed_with_usage(rig: Callable[..., Rig]) -> None:
    r = rig()
    client = r.client()
    whole = client.completions.create(model="alpha", prompt="one two three", max_tokens=100, temperature=0,
                                      seed=7, stop=["END"], top_p=0.5)
    assert whole.object == "text_completion" and whole.id.startswith("cmpl-") and whole.model == "alpha"
    assert whole.choices[0].text == " ONE TWO THREE" and whole.choices[0].finish_reason == "stop"
    assert (whole.usage.prompt_tokens, whole.usage.completion_tokens, whole.usage.total_tokens) == (4, 5, 9)
    prompt, params = r.engines[0].completions[-1]
    assert prompt == "one two three"  # the text as written: no chat template, no messages
    assert (params.temperature, params.seed, params.stop, params.top_p, params.max_tokens) == (0, 7, ("END",), 0.5, 100)

    chunks = list(client.completions.create(model="alpha", prompt=["red green"], stream=True,
                                            stream_options={"include_usage": True}))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == " RED GREEN"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert all(c.object == "text_completion" for c in chunks) and len({c.id for c in chunks}) == 1
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert r.engines[0].completions[-1][0] == "red green"  # a list of one prompt is that prompt

    # OpenAI's defaults for this endpoint: 16 tokens, temperature 1.
    alphabet = " ".join("abcdefghijklmnopqrstuvwxyz")
    cut = client.completions.create(model="alpha", prompt=alphabet)
    assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 16
    assert cut.choices[0].text == continuation_for(alphabet)[:48]
    assert r.engines[0].completions[-1][1].temperature == 1.0


def test_echo_puts_the_prompt_before_the_continuation(rig: Callable[..., Rig]) -> None:
    client = rig().client()
    whole = client.completions.create(model="alpha", prompt="Once upon", echo=True)
    assert whole.choices[0].text == "Once upon ONCE UPON"
    chunks = list(client.completions.create(model="alpha", prompt="Once upon", echo=True, stream=True))
    assert chunks[0].choices[0].text == "Once upon"  # the echo comes first, alone
    assert "".join(c.choices[0].text for c in chunks) == "Once upon ONCE UPON"


@pytest.mark.parametrize(
    ("fields", "param", "words"),
    [
        ({"prompt": ["first", "second"]}, "prompt", "Several prompts in one request (2"),
        ({"prompt": [1, 2, 3]}, "prompt", "token ids"),
        ({"prompt": [[1, 2, 3]]}, "prompt", "token ids"),
        ({"prompt": []}, "prompt", "a list holding one string"),
        ({"prompt": ""}, "prompt", "must not be empty"),
        ({"prompt": 42}, "prompt", "Expected `str | array`"),
        ({"n": 2}, "n", "not supported"),
        ({"best_of": 3}, "best_of", "not supported"),
        ({"logprobs": 2}, "logprobs", "not supported"),
        ({"suffix": "end."}, "suffix", "Insertion"),
        ({"max_tokens": 0}, "max_tokens", "at least 1"),
        ({"temperature": 3}, "temperature", "between 0 and 2"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "only allowed when stream is true"),
    ],
)
def test_bad_completion_requests_name_the_field(rig: Callable[..., Rig], fields: dict[str, Any], param: str,
                                                words: str) -> None:
    r = rig()
    body = json.dumps({"model": "alpha", "prompt": "x", **fields}).encode()
    status, _, answer = r.raw("POST", "/v1/completions", body)
    assert status == 400, answer
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["param"] == param, answer
    assert words in answer["error"]["message"], answer
    assert r.engines == []  # nothing reached an engine


def test_a_completion_prompt_beyond_the_context_answers_413(rig: Callable[..., Rig]) -> None:
    r = rig(n_ctx=64, limits=Limits(max_prompt_chars=2000))
    client = r.client()
    for stream in (False, True):  # the engine would keep the text's end: the API refuses instead
        with pytest.raises(openai.APIStatusError) as error:
            client.completions.create(model="alpha", prompt="word " * 100, stream=stream)
        assert error.value.status_code == 413 and error.value.code == "context_length_exceeded"
        expected = "context is 64 tokens; the prompt is longer than the 48 tokens that fit beside 16 for the reply"
        assert expected in error.value.message
        assert error.value.param == "prompt"
    with pytest.raises(openai.APIStatusError) as error:  # fits alone, not with 40 tokens of reply
        client.completions.create(model="alpha", prompt="word " * 20, max_tokens=40)
    assert error.value.status_code == 413 and "the prompt takes 26 tokens plus 40 for the reply" in error.value.message
    assert client.completions.create(model="alpha", prompt="word " * 20, max_tokens=30).usage.prompt_tokens == 26
    status, _, body = r.raw("POST", "/v1/completions", json.dumps({"model": "alpha", "prompt": "z" * 2001}).encode())
    assert status == 413 and body["error"]["code"] == "prompt_too_large" and body["error"]["param"] == "prompt"
    assert "The prompt holds 2001 characters" in body["error"]["message"]


def test_a_disconnected_completion_stream_is_cancelled(rig: Callable[..., Rig]) -> None:
    r = rig(token_s=0.1)
    sock = post_raw(r.server.port, "/v1/completions",
                    {"model": "alpha", "stream": True, "max_tokens": 100, "prompt": " ".join(["word"] * 60)})
    received = b""
    while b'"text":" WO"' not in received:
        received += sock.recv(4096)
    sock.close()
    deadline = time.monotonic() + 10
    while not r.server.recent() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert r.engines[0].cancel_times, "the engine was never told to cancel"
    record = r.server.recent()[0]
    assert record.finish_reason == "cancelled" and record.completion_tokens < 10
    assert r.client().completions.create(model="alpha", prompt="next").choices[0].text == " NEXT"


def test_stop_serves_no_more_and_closes_the_engines(rig: Callable[..., Rig]) -> None:
    r = rig()
    chat(r.client(), "hello")
    port = r.server.port
    r.server.stop()
    assert not r.server.running and r.engines[0].closed
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_port_in_use_is_a_clear_error(rig: Callable[..., Rig]) -> None:
    r = rig()
    second = ApiServer(ServerConfig(port=r.server.port, api_key=KEY), ModelCatalog(fixed=[ALPHA]),
                       lambda model: LoadSettings())
    with pytest.raises(UserError, match=f"Cannot listen on 127.0.0.1:{r.server.port}"):
        second.start()
    second.stop()


def test_network_addresses_need_the_key() -> None:
    with pytest.raises(UserError, match="without an API key"):
        ServerConfig(host="0.0.0.0", require_key=False)
    assert ServerConfig(host="::1", require_key=False).loopback
    assert ServerConfig(host="127.0.0.2", require_key=False).loopback
    assert not ServerConfig(host="192.168.1.5").loopback


def test_an_engine_crash_mid_stream_is_an_error_event_and_the_next_request_reloads(rig: Callable[..., Rig]) -> None:
    r = rig()
    client = r.client()
    chat(client, "warm up")
    r.engines[0].crash_after = 2
    stream = chat(client, "one two three four five six", stream=True)
    with pytest.raises(openai.APIError, match="The engine stopped while generating") as error:
        for _ in stream:
            pass
    assert error.value.code == "engine_crashed"
    r.engines[0].crash_after = None
    assert chat(client, "again please").choices[0].message.content == "Echo: please again"
    assert r.engines[0].loads == ["alpha.gguf", "alpha.gguf"]  # loaded again after the crash
    assert [record.finish_reason for record in r.server.recent()] == ["stop", "error", "stop"]


def test_a_client_gone_before_its_whole_reply_cancels_it(rig: Callable[..., Rig]) -> None:
    r = rig(token_s=0.1)
    sock = post_raw(r.server.port, "/v1/chat/completions",
                    {"model": "alpha", "messages": [{"role": "user", "content": " ".join(["word"] * 60)}]})
    deadline = time.monotonic() + 10
    while not (r.engines and r.engines[0].token_times) and time.monotonic() < deadline:
        time.sleep(0.01)
    sock.close()
    while not r.server.recent() and time.monotonic() < deadline:
        time.sleep(0.01)
    record = r.server.recent()[0]
    assert record.finish_reason == "cancelled" and record.completion_tokens < 10


def test_stopping_the_server_ends_a_running_stream_with_an_error(rig: Callable[..., Rig]) -> None:
    r = rig(token_s=0.1)
    stream = chat(r.client(), " ".join(["word"] * 60), stream=True)
    chunks = iter(stream)
    next(chunks)  # the role chunk: the reply runs
    stopper = threading.Thread(target=r.server.stop)
    stopper.start()
    with pytest.raises(openai.APIError, match="the server is stopping") as error:
        for _ in chunks:
            pass
    stopper.join(15)
    assert error.value.code == "server_stopping" and not r.server.running
