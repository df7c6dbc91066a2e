"""Embeddings and JSON mode over the real engine, driven by the official ``openai`` package: SmolLM2's
mean-pooled embeddings (576 values, paraphrases closer than unrelated texts), a JSON object and a
schema-valid JSON reply, chat still right after embeddings on the same engine, and the ONNX engine's
refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import openai
import pytest

from slmdesk.api.models import ModelCatalog, model_for_path
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.engine.client import EngineClient
from slmdesk.engine.types import InvalidRequestError, LoadSettings, SamplingParams

KEY = "sk-e2e-embeddings-0123"
MODEL = "SmolLM2-135M-Instruct.Q4_1"

SENTENCES = [
    "The cat sits on the mat.",
    "A kitten is resting on the rug.",
    "Stock markets fell sharply after the interest rate decision.",
    "How do I bake bread at home?",
    "What is a simple recipe for homemade bread?",
    "The spacecraft entered orbit around Mars.",
]
"""Two paraphrase pairs (0-1, 3-4) among unrelated sentences (the pairs measured in
slmdesk.engine.embed_llama's docstring)."""


@pytest.fixture(scope="module")
def server(smollm2_gguf: Path) -> Iterator[ApiServer]:
    catalog = ModelCatalog(fixed=[model_for_path(smollm2_gguf)])
    # One thread: other test runs share the 2 cores, and llama.cpp's spinning threads suffer most.
    api = ApiServer(ServerConfig(port=0, api_key=KEY), catalog, lambda model: LoadSettings(n_ctx=1024, n_threads=1))
    api.start()
    api.preload(catalog.models()[0])
    yield api
    api.stop()


def client_for(api: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=api.address, api_key=KEY, max_retries=0, timeout=120)


def test_paraphrases_embed_closer_than_unrelated_texts(server: ApiServer) -> None:
    client = client_for(server)
    answer = client.embeddings.create(model=MODEL, input=SENTENCES)  # base64, decoded by the openai package
    vectors = np.array([d.embedding for d in answer.data])
    assert vectors.shape == (6, 576)  # SmolLM2-135M's n_embd
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)  # unit length, as OpenAI's
    cosine = vectors @ vectors.T
    pairs = {(0, 1), (3, 4)}
    unrelated = [cosine[i, j] for i in range(6) for j in range(i + 1, 6) if (i, j) not in pairs]
    assert min(cosine[0, 1], cosine[3, 4]) > max(unrelated), cosine.round(3)
    assert answer.usage.prompt_tokens == answer.usage.total_tokens > 40

    floats = client.embeddings.create(model=MODEL, input=SENTENCES[0], encoding_format="float")
    assert np.allclose(floats.data[0].embedding, vectors[0], atol=1e-6)  # float and base64 agree
    tokens = client.embeddings.create(model=MODEL, input=[[504, 2365, 30]], encoding_format="float")
    assert len(tokens.data[0].embedding) == 576 and tokens.usage.prompt_tokens == 3
    with pytest.raises(openai.BadRequestError) as error:
        client.embeddings.create(model=MODEL, input=[[1, 49152]])
    assert error.value.param == "input" and "outside this model's vocabulary of 49152" in error.value.message
    with pytest.raises(openai.APIStatusError) as error:
        client.embeddings.create(model=MODEL, input="word " * 1100)
    assert error.value.status_code == 413 and error.value.code == "context_length_exceeded"

    # The same engine, same context: chat is unchanged after embeddings.
    reply = client.chat.completions.create(model=MODEL, temperature=0, max_tokens=24, messages=[
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "Name the capital city of France."}])
    assert "Paris" in (reply.choices[0].message.content or "")
    assert len(server.stats()["models"]) == 1  # no second engine, no second load


PLACE = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "country": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["city", "country", "population"],
    "additionalProperties": False,
}


def test_json_mode_replies_parse_and_match_their_schema(server: ApiServer) -> None:
    client = client_for(server)
    messages: Any = [{"role": "user", "content": "Give the city, country and population of Paris as JSON."}]
    anything = client.chat.completions.create(model=MODEL, messages=messages, temperature=0, max_tokens=120,
                                              response_format={"type": "json_object"})
    assert anything.choices[0].finish_reason == "stop", anything.choices[0].message.content
    assert isinstance(json.loads(anything.choices[0].message.content or ""), dict)

    schema_format: Any = {"type": "json_schema", "json_schema": {"name": "place", "schema": PLACE, "strict": True}}
    reply = client.chat.completions.create(model=MODEL, messages=messages, temperature=0, max_tokens=120,
                                           response_format=schema_format)
    assert reply.choices[0].finish_reason == "stop", reply.choices[0].message.content
    jsonschema.validate(json.loads(reply.choices[0].message.content or ""), PLACE)
    chunks = client.chat.completions.create(model=MODEL, messages=messages, temperature=0, max_tokens=120,
                                            response_format=schema_format, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply.choices[0].message.content

    with pytest.raises(openai.BadRequestError) as error:  # llama.cpp's converter knows no such type
        client.chat.completions.create(model=MODEL, messages=messages, max_tokens=8, response_format={
            "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "colour"}}})
    assert error.value.param == "response_format" and "Unrecognized schema" in error.value.message


def test_the_onnx_engine_refuses_embeddings_and_json_schemas(smollm2_onnx: Path) -> None:
    with EngineClient() as engine:
        engine.load(smollm2_onnx, LoadSettings(n_ctx=512, n_threads=1))
        with pytest.raises(InvalidRequestError, match="onnxruntime-genai backend cannot compute embeddings"):
            engine.embed(["hello"])
        with pytest.raises(InvalidRequestError, match="onnxruntime-genai backend does not offer"):
            engine.chat([{"role": "user", "content": "hi"}], SamplingParams(max_tokens=4, json_schema="{}"))
        reply = engine.chat([{"role": "user", "content": "Name the capital city of France."}],
                            SamplingParams(temperature=0, max_tokens=12))
        assert reply.text  # the engine still serves after both refusals
