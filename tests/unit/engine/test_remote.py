"""Remote engines without a server: base URLs, SSE parsing, model listings, server kinds, error bodies."""

from __future__ import annotations

import pytest

from slmdesk.core.errors import UserError
from slmdesk.engine.remote import (
    RemoteEngineClient,
    RemoteError,
    RemoteModel,
    error_text,
    host_of,
    is_loopback,
    kind_from_models,
    normalize_base_url,
    parse_models,
)
from slmdesk.engine.sse import SseEvent, SseParser
from slmdesk.engine.types import SamplingParams


@pytest.mark.parametrize(("given", "expected"), [
    ("http://gpu-box:8000", "http://gpu-box:8000/v1"),
    ("gpu-box:8000/", "http://gpu-box:8000/v1"),
    ("https://API.example.com/v1/", "https://api.example.com/v1"),
    ("http://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"),
    ("http://host/openai/v1?x=1#y", "http://host/openai/v1"),
])
def test_base_urls_are_normalized(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected


@pytest.mark.parametrize(("given", "match"), [
    ("ftp://host/v1", "not a server address"),
    ("http://", "not a server address"),
    ("http://user:secret@host/v1", "API key in its own field"),
    ("http://host:99999/v1", "invalid port"),
])
def test_bad_base_urls_are_refused(given: str, match: str) -> None:
    with pytest.raises(UserError, match=match):
        normalize_base_url(given)


def test_hosts_and_loopback() -> None:
    assert host_of("http://gpu-box:8000/v1") == "gpu-box:8000"
    assert is_loopback("http://127.0.0.1:8000/v1")
    assert is_loopback("http://localhost:8000/v1")
    assert is_loopback("http://[::1]:8000/v1")
    assert not is_loopback("http://192.168.1.20:8000/v1")


def test_sse_events_keepalives_multiline_data_and_crlf() -> None:
    parser = SseParser()
    lines = [b": ping\r\n", b"\r\n", b"event: delta\n", b"data: {\"a\":\n", b"data: 1}\n", b"\n",
             b"data:[DONE]\r\n", b"\r\n", b"id: 3\n", b"retry: 10\n", b"\n"]
    events = [e for e in (parser.feed(line) for line in lines) if e is not None]
    assert events == [SseEvent('{"a":\n1}', "delta"), SseEvent("[DONE]")]
    assert parser.feed("data: tail") is None
    assert parser.finish() == SseEvent("tail")


def test_models_and_the_kind_their_owner_tells() -> None:
    payload = {"data": [{"id": "Qwen/Qwen2.5-0.5B", "owned_by": "vllm", "max_model_len": 32768},
                        {"object": "model"}, {"id": "other", "owned_by": "me"}]}
    models = parse_models(payload)
    assert models == [RemoteModel("Qwen/Qwen2.5-0.5B", "vllm", 32768), RemoteModel("other", "me", None)]
    assert kind_from_models(models) == "vllm"
    assert kind_from_models([RemoteModel("x", "someone")]) is None
    with pytest.raises(RemoteError, match="not a model list"):
        parse_models({"detail": "Not Found"})


def test_error_bodies_of_several_servers() -> None:
    assert error_text(b'{"error": {"message": "model not found", "code": 404}}') == "model not found"
    assert error_text(b'{"object": "error", "message": "max_tokens too large"}') == "max_tokens too large"
    assert error_text(b'{"detail": "Not Found"}') == "Not Found"
    assert error_text(b'{"error": "Invalid API key"}') == "Invalid API key"
    assert error_text(b"<html>Bad Gateway</html>") == "<html>Bad Gateway</html>"


def test_the_request_body_has_openai_fields_and_the_kind_s_own() -> None:
    params = SamplingParams(temperature=0.2, top_k=30, min_p=0.1, repeat_penalty=1.1, max_tokens=64, seed=3,
                            stop=("###",))
    llama = RemoteEngineClient("http://127.0.0.1:1/v1", model="m", kind="llama.cpp")._body(params)
    assert llama == {"model": "m", "stream": True, "stream_options": {"include_usage": True}, "max_tokens": 64,
                     "temperature": 0.2, "top_p": 0.95, "seed": 3, "stop": ["###"], "top_k": 30, "min_p": 0.1,
                     "repeat_penalty": 1.1}
    ollama = RemoteEngineClient("http://127.0.0.1:1/v1", model="m", kind="ollama")._body(params)
    assert "top_k" not in ollama and "repeat_penalty" not in ollama


def test_the_key_never_shows_in_repr() -> None:
    client = RemoteEngineClient("http://127.0.0.1:1/v1", "sk-secret-123", model="m")
    assert "sk-secret" not in repr(client)
