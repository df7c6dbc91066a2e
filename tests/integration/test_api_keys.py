"""The server's API key (generated, kept in a keyring or a 0600 file, compared in constant time), the
OpenAI request translation and the served models' names."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from slmdesk.api import keys
from slmdesk.api.models import ModelCatalog, ServedModel, base_name, served_models
from slmdesk.api.openai_schema import ApiError, ChatCompletionRequest, chat_call, decode
from slmdesk.inventory.records import ArtifactRecord


class FakeKeyring:
    """A keyring backend in memory; ``keeps=False`` behaves like one that drops what it is given."""

    name = "fake keyring"

    def __init__(self, keeps: bool = True) -> None:
        self.keeps = keeps
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.keeps:
            self.secrets[(service, username)] = password


def test_the_key_file_is_private_and_reused(tmp_path: Path) -> None:
    first = keys.load_or_create_key(tmp_path, use_keyring=False)
    assert first.created and first.key.startswith("sk-slmdesk-") and len(first.key) == 11 + 43
    path = tmp_path / keys.KEY_FILE_NAME
    assert first.location == str(path)
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = keys.load_or_create_key(tmp_path, use_keyring=False)
    assert (again.key, again.created) == (first.key, False)
    fresh = keys.load_or_create_key(tmp_path, use_keyring=False, regenerate=True)
    assert fresh.key != first.key and path.read_text().strip() == fresh.key


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_key_file_readable_by_others_is_narrowed(tmp_path: Path) -> None:
    path = tmp_path / keys.KEY_FILE_NAME
    path.write_text("sk-slmdesk-handwritten\n")
    os.chmod(path, 0o644)
    stored = keys.load_or_create_key(tmp_path, use_keyring=False)
    assert stored.key == "sk-slmdesk-handwritten"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_keyring_is_used_when_it_keeps_the_key(tmp_path: Path) -> None:
    ring = FakeKeyring()
    stored = keys.load_or_create_key(tmp_path, ring)
    assert stored.location == "keyring (fake keyring)"
    assert ring.secrets[(keys.KEYRING_SERVICE, keys.KEYRING_USERNAME)] == stored.key
    assert not (tmp_path / keys.KEY_FILE_NAME).exists()
    assert keys.load_or_create_key(tmp_path, ring).key == stored.key
    # A keyring that silently drops secrets (keyring's null backend does) falls back to the file.
    dropped = keys.load_or_create_key(tmp_path, FakeKeyring(keeps=False))
    assert dropped.location == str(tmp_path / keys.KEY_FILE_NAME) and dropped.key != stored.key


def test_keys_match_exactly() -> None:
    assert keys.keys_match("sk-slmdesk-abc", "sk-slmdesk-abc")
    assert not keys.keys_match("sk-slmdesk-abd", "sk-slmdesk-abc")
    assert not keys.keys_match("sk-slmdesk-ab", "sk-slmdesk-abc")
    assert not keys.keys_match(None, "sk-slmdesk-abc")
    assert not keys.keys_match("", "sk-slmdesk-abc")


def _call(**fields: object) -> object:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields}
    return chat_call(decode(json.dumps(body).encode(), ChatCompletionRequest), 10_000)


def test_openai_fields_become_engine_sampling() -> None:
    call = _call(
        messages=[
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}]},
        ],
        temperature=0, seed=7, stop="END", max_tokens=9, max_completion_tokens=12, top_k=5,
    )
    assert call.messages == ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"})
    assert (call.params.temperature, call.params.seed, call.params.stop) == (0, 7, ("END",))
    assert call.max_tokens == 12 and call.params.top_k == 5  # max_completion_tokens wins
    default = _call()
    assert default.max_tokens is None and default.params.temperature == 1.0 and default.params.top_p == 1.0
    assert _call(top_p=0).params.temperature == 0  # top-p 0 keeps one token: greedy


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"temperature": 2.5}, "temperature"),
        ({"tools": [{"type": "function"}]}, "tools"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"logprobs": True}, "logprobs"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
         "messages[0].content[0]"),
        ({"messages": [{"role": "tool", "content": "42"}]}, "messages[0].role"),
    ],
)
def test_what_the_engine_cannot_do_is_refused_by_name(fields: dict[str, object], param: str) -> None:
    with pytest.raises(ApiError) as error:
        _call(**fields)
    assert error.value.status == 400 and error.value.param == param


def test_the_prompt_size_limit_is_413() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x" * 101}]}
    with pytest.raises(ApiError) as error:
        chat_call(decode(json.dumps(body).encode(), ChatCompletionRequest), 100)
    assert error.value.status == 413 and error.value.code == "prompt_too_large"


def _record(artifact_id: int, path: str, **fields: object) -> ArtifactRecord:
    return ArtifactRecord(id=artifact_id, path=Path(path), format=fields.pop("format", "gguf"),
                          files=(Path(path),), status=fields.pop("status", "ok"),
                          size_bytes=1, mtime_ns=None, source_kind=str(fields.pop("source_kind", "folder")),
                          **fields)


def test_model_names_are_file_names_unique_and_resolvable() -> None:
    records = [
        _record(3, "/a/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", context_length=32768),
        _record(5, "/b/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"),
        _record(7, "/c/big-00001-of-00003.gguf"),
        _record(8, "/d/sha256-0123abcd", source_kind="ollama", source_detail={"name": "llama3.2:1b"}),
        _record(9, "/e/phi-onnx", format="onnx"),
        _record(10, "/f/broken.gguf", status="corrupt"),
        _record(11, "/g/raw-folder", format="hf"),
    ]
    models = served_models(records)
    assert [m.id for m in models] == [
        "Qwen2.5-0.5B-Instruct-Q4_K_M", "Qwen2.5-0.5B-Instruct-Q4_K_M@5", "big", "llama3.2:1b", "phi-onnx",
    ]
    catalog = ModelCatalog(fixed=models)
    assert catalog.resolve("qwen2.5-0.5b-instruct-q4_k_m").artifact_id == 3
    assert catalog.resolve("5").id == "Qwen2.5-0.5B-Instruct-Q4_K_M@5"
    assert catalog.resolve("/c/big-00001-of-00003.gguf").id == "big"
    assert catalog.resolve("broken") is None
    assert base_name(Path("model.GGUF"), "gguf") == "model"
    assert ServedModel("x", Path("x"), "gguf").created == 0
