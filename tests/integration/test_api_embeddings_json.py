"""The local API server's embeddings, JSON mode and models loaded at once, over real HTTP on 127.0.0.1
with stand-in engines (:mod:`tests.integration.api_rig`): OpenAI's shapes (float and base64), errors
that name the field, ONNX models refused with the models that can, a disconnect that cancels, the
schema each JSON mode sends to the engine, least-recently-used eviction. tests/e2e/test_api_openai.py
checks the same routes over the real engine and SmolLM2."""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import Callable
from typing import Any

import openai
import pytest

from slmdesk.api.openai_embeddings import MAX_INPUTS
from slmdesk.api.openai_schema import ANY_JSON_OBJECT
from slmdesk.api.server import ServerConfig
from slmdesk.core.settings import Settings
from tests.integration.api_rig import ALPHA, BETA, GAMMA, OMEGA, Rig, chat, post_raw, vector_for

# -- embeddings --------------------------------------------------------------------------------


def test_embeddings_come_in_openai_shape_as_floats_or_base64(rig: Callable[..., Rig]) -> None:
    r = rig()
    client = r.client()
    texts = ["hello big world", "xy"]
    default = client.embeddings.create(model="alpha", input=texts)  # the openai package asks for base64
    floats = client.embeddings.create(model="alpha", input=texts, encoding_format="float")
    for answer in (default, floats):
        assert [d.index for d in answer.data] == [0, 1] and answer.model == "alpha"
        assert [d.embedding for d in answer.data] == [vector_for(t) for t in texts]
        assert (answer.usage.prompt_tokens, answer.usage.total_tokens) == (4, 4)  # a word a token
    assert client.embeddings.create(model="alpha", input="one").data[0].embedding == vector_for("one")
    ids = client.embeddings.create(model="alpha", input=[5, 6, 7], encoding_format="float")
    assert [d.embedding for d in ids.data] == [vector_for([5, 6, 7])]  # one list of ids is one input
    lists = client.embeddings.create(model="alpha", input=[[9], [8, 7]], encoding_format="float")
    assert [d.embedding for d in lists.data] == [vector_for([9]), vector_for([8, 7])]
    assert r.engines[0].embedded[-2:] == [[(5, 6, 7)], [(9,), (8, 7)]]

    status, _, raw = r.raw("POST", "/v1/embeddings", json.dumps(
        {"model": "alpha", "input": "abc", "encoding_format": "base64"}).encode())
    assert status == 200 and raw["object"] == "list" and raw["data"][0]["object"] == "embedding"
    assert struct.unpack("<4f", base64.b64decode(raw["data"][0]["embedding"])) == tuple(vector_for("abc"))
    assert r.server.recent()[-1].finish_reason == "embedded" and r.server.recent()[-1].prompt_tokens == 1


@pytest.mark.parametrize(
    ("fields", "param", "words"),
    [
        ({"input": ""}, "input", "empty string"),
        ({"input": []}, "input", "must not be empty"),
        ({"input": ["fine", ""]}, "input[1]", "must not be empty"),
        ({"input": [[1, -2]]}, "input[0]", "Token id -2 is negative"),
        ({"input": [1.5]}, "input[0]", "a list of strings, a list of token ids"),
        ({"input": [{"text": "x"}]}, "input[0]", "a list of strings, a list of token ids"),
        ({"input": ["x"] * (MAX_INPUTS + 1)}, "input", f"at most {MAX_INPUTS}"),
        ({"input": 7}, "input", "Expected `str | array`"),
        ({"encoding_format": "hex"}, "encoding_format", "float or base64"),
        ({"dimensions": 0}, "dimensions", "at least 1"),
    ],
)
def test_bad_embedding_requests_name_the_field(rig: Callable[..., Rig], fields: dict[str, Any], param: str,
                                               words: str) -> None:
    r = rig()
    status, _, answer = r.raw("POST", "/v1/embeddings", json.dumps({"model": "alpha", "input": "x", **fields}).encode())
    assert status == 400, answer
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["param"] == param, answer
    assert words in answer["error"]["message"], answer
    assert r.engines == []  # refused before any engine started


def test_embedding_errors_from_the_engine_and_the_catalog(rig: Callable[..., Rig]) -> None:
    r = rig(models=(ALPHA, BETA, OMEGA))
    client = r.client()
    with pytest.raises(openai.BadRequestError) as error:  # the engine refuses the id: the client's to fix
        client.embeddings.create(model="alpha", input=[[1, 2], [5000]])
    assert error.value.param == "input" and error.value.code == "invalid_request"
    assert "outside this model's vocabulary" in error.value.message
    with pytest.raises(openai.BadRequestError) as error:  # the fake model's vectors have 4 values
        client.embeddings.create(model="alpha", input="x", dimensions=8)
    assert error.value.param == "dimensions" and "this model's embeddings have 4" in error.value.message
    assert client.embeddings.create(model="alpha", input="x", dimensions=4).data[0].embedding == vector_for("x")
    with pytest.raises(openai.BadRequestError) as error:
        client.embeddings.create(model="omega-onnx", input="x")
    assert error.value.param == "model" and error.value.code == "embeddings_not_supported"
    assert "omega-onnx is an ONNX model; embeddings are computed by llama.cpp for GGUF models (alpha, beta)." \
        in error.value.message
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="nope", input="x")
    assert all(e.loads == ["alpha.gguf"] for e in r.engines)  # the ONNX model was never loaded


def test_an_embeddings_client_gone_cancels_its_request(rig: Callable[..., Rig]) -> None:
    r = rig()
    chat(r.client(), "start the engine")
    r.engines[0].embed_s = 0.1  # 4 s for 40 inputs
    sock = post_raw(r.server.port, "/v1/embeddings", {"model": "alpha", "input": [f"text {i}" for i in range(40)]})
    deadline = time.monotonic() + 10
    while len(r.engines[0].embedded) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    sock.close()
    closed = time.monotonic()
    while len(r.server.recent()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert r.engines[0].cancel_times, "the engine was never told to cancel"
    assert r.server.recent()[-1].finish_reason == "cancelled" and time.monotonic() - closed < 1
    r.engines[0].embed_s = 0.0
    assert r.client().embeddings.create(model="alpha", input="next").data[0].embedding == vector_for("next")


# -- JSON mode ---------------------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


def test_each_json_mode_reaches_the_engine_as_a_schema(rig: Callable[..., Rig]) -> None:
    r = rig()
    client = r.client()
    formats: list[tuple[Any, str]] = [
        ({"type": "text"}, ""),
        ({"type": "json_object"}, ANY_JSON_OBJECT),
        ({"type": "json_schema", "json_schema": {"name": "place", "schema": SCHEMA, "strict": True}},
         json.dumps(SCHEMA, separators=(",", ":"))),
        ({"type": "json_schema", "json_schema": {"name": "anything"}}, "{}"),  # any JSON value, as llama.cpp's server
    ]
    for response_format, schema in formats:
        reply = chat(client, "one two", response_format=response_format)
        assert reply.choices[0].message.content == "Echo: two one"
        assert r.engines[0].params[-1].json_schema == schema
    assert json.loads(r.engines[0].params[2].json_schema) == SCHEMA
    chunks = list(chat(client, "a b", stream=True, response_format={"type": "json_object"}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Echo: b a"
    assert r.engines[0].params[-1].json_schema == ANY_JSON_OBJECT


def test_json_mode_errors_name_the_field(rig: Callable[..., Rig]) -> None:
    r = rig(models=(ALPHA, OMEGA))
    client = r.client()
    cases: list[tuple[Any, str, str]] = [
        ({"type": "json_schema"}, "response_format.json_schema", "required when the type is json_schema"),
        ({"type": "json_schema", "json_schema": {"name": "x", "schema": [1]}}, "response_format.json_schema.schema",
         "must be a JSON Schema object"),
        ({"type": "yaml"}, "response_format.type", "use text, json_object or json_schema"),
    ]
    for response_format, param, words in cases:
        with pytest.raises(openai.BadRequestError) as error:
            chat(client, "x", response_format=response_format)
        assert error.value.param == param and words in error.value.message
    assert r.engines == []  # refused before any engine started
    for stream in (False, True):  # the engine cannot make a grammar of it: a 400 before any chunk
        with pytest.raises(openai.BadRequestError) as error:
            chat(client, "x", stream=stream, response_format={
                "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "nonsense"}}})
        assert error.value.param == "response_format" and error.value.code == "invalid_request"
        assert "cannot be turned into a grammar" in error.value.message
    with pytest.raises(openai.BadRequestError) as error:
        chat(client, "x", model="omega-onnx", response_format={"type": "json_object"})
    assert error.value.param == "response_format"
    assert "llama.cpp offers for GGUF models; omega-onnx is an ONNX model" in error.value.message
    assert chat(client, "x y", model="omega-onnx").choices[0].message.content == "Echo: y x"  # text is fine


# -- models loaded at once ---------------------------------------------------------------------


def test_a_new_model_evicts_the_least_recently_used_engine_at_the_limit(rig: Callable[..., Rig]) -> None:
    r = rig(max_engines=2, models=(ALPHA, BETA, GAMMA))
    client = r.client()
    for model in ("alpha", "beta", "alpha", "gamma"):  # beta was used least recently: gamma takes its engine
        assert chat(client, "x y", model=model).model == model
    assert [e.loads for e in r.engines] == [["alpha.gguf"], ["beta.gguf", "gamma.gguf"]]
    chat(client, "x y", model="beta")  # now alpha is the least recently used
    assert [e.loads for e in r.engines] == [["alpha.gguf", "beta.gguf"], ["beta.gguf", "gamma.gguf"]]
    assert r.server.stats()["models"] == ["beta", "gamma"]
    client.embeddings.create(model="gamma", input="x")  # embeddings share the engines and the rule
    assert len(r.engines) == 2 and r.engines[1].loads[-1] == "gamma.gguf"


def test_settings_set_the_models_loaded_at_once() -> None:
    assert ServerConfig.from_settings(Settings(api_max_loaded_models=3)).max_engines == 3
    assert ServerConfig.from_settings(Settings()).max_engines == 1  # one engine that swaps models
