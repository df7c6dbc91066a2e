"""The ONNX GenAI backend's contract with onnxruntime_genai, checked against a recording stand-in."""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest

from slmdesk.engine.backend_base import GenerationControl
from slmdesk.engine.backend_onnx import OnnxBackend, read_folder_template
from slmdesk.engine.types import LoadSettings, SamplingParams

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _fake_genai(calls: list[str], reply: list[int]) -> types.ModuleType:
    """A stand-in onnxruntime_genai: words are token ids, id 2 is EOS."""
    og = types.ModuleType("onnxruntime_genai")
    og.__version__ = "0.18.0"  # type: ignore[attr-defined]
    vocab = {7: "Paris", 8: " is", 9: " nice", 2: "<|im_end|>", 1: "<|im_start|>", 5: "<|im_end|>"}

    def disable_telemetry_events() -> None:
        calls.append("disable_telemetry_events")

    class Config:
        def __init__(self, path: str) -> None:
            calls.append("Config")

        def clear_providers(self) -> None:
            calls.append("clear_providers")

        def overlay(self, text: str) -> None:
            calls.append(f"overlay {text}")

    class Model:
        type = "llama"

        def __init__(self, config: Config) -> None:
            calls.append("Model")

    class Stream:
        def decode(self, token: int) -> str:
            return vocab[token]

    class Tokenizer:
        eos_token_ids = (2,)

        def __init__(self, model: Model) -> None:
            pass

        def encode(self, text: str) -> list[int]:
            return list(range(len(text.split())))

        def create_stream(self) -> Stream:
            return Stream()

    class GeneratorParams:
        def __init__(self, model: Model) -> None:
            pass

        def set_search_options(self, **options: Any) -> None:
            calls.append(f"search {sorted(options.items())}")

    class Generator:
        def __init__(self, model: Model, params: GeneratorParams) -> None:
            self.tokens = list(reply)
            self.current = -1

        def append_tokens(self, tokens: list[int]) -> None:
            calls.append(f"append {len(tokens)}")

        def is_done(self) -> bool:
            return not self.tokens

        def generate_next_token(self) -> None:
            self.current = self.tokens.pop(0)

        def get_next_tokens(self) -> list[int]:
            return [self.current]

    for item in (disable_telemetry_events, Config, Model, Tokenizer, GeneratorParams, Generator):
        setattr(og, item.__name__, item)
    return og


def _folder(tmp_path: Path, template: str | None = CHATML) -> Path:
    folder = tmp_path / "model-onnx"
    folder.mkdir()
    (folder / "genai_config.json").write_text(json.dumps({"model": {"context_length": 8192}}))
    config: dict[str, Any] = {"bos_token": {"content": "<s>"}, "eos_token": "<|im_end|>"}
    if template is not None:
        config["chat_template"] = template
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def test_telemetry_is_disabled_before_the_model_is_created(tmp_path: Path) -> None:
    calls: list[str] = []
    backend = OnnxBackend(_fake_genai(calls, [7, 2]))
    info = backend.load(str(_folder(tmp_path)), LoadSettings(n_ctx=1024, n_threads=2))
    assert calls.index("disable_telemetry_events") < calls.index("Config") < calls.index("Model")
    assert calls[2] == "clear_providers"  # CPU execution provider
    overlay = json.loads(calls[3].removeprefix("overlay "))
    assert overlay == {
        "search": {"max_length": 1024},
        "model": {"decoder": {"session_options": {"intra_op_num_threads": 2}}},
    }
    assert (info.backend, info.backend_version) == ("onnxruntime-genai", "0.18.0")
    assert (info.n_ctx, info.n_ctx_train) == (1024, 8192)
    assert info.chat_template_source == "model" and info.template_warning == ""


def test_generation_stops_on_eos_without_its_text(tmp_path: Path) -> None:
    calls: list[str] = []
    backend = OnnxBackend(_fake_genai(calls, [7, 8, 9, 2, 8]))
    backend.load(str(_folder(tmp_path)), LoadSettings(n_ctx=1024))
    sent: list[str] = []
    text, stats = backend.generate(
        [{"role": "user", "content": "capital of France?"}],
        SamplingParams(temperature=0.0, max_tokens=50),
        GenerationControl(),
        on_prompt=lambda n, dropped: sent.append(f"prompt {n}"),
        on_prefill=lambda done, total: None,
        on_text=sent.append,
        started=0.0,
    )
    assert text == "Paris is nice"
    assert "<|im_end|>" not in "".join(sent)
    assert (stats.completion_tokens, stats.finish_reason) == (4, "stop")
    # 5 prompt tokens (the stand-in tokenizer counts words) + max_tokens 50
    assert calls[-2:] == ["search [('do_sample', False), ('max_length', 55), ('repetition_penalty', 1.0)]", "append 5"]


def test_a_folder_without_a_template_gets_the_fallback_and_a_warning(tmp_path: Path) -> None:
    backend = OnnxBackend(_fake_genai([], []))
    info = backend.load(str(_folder(tmp_path, template=None)), LoadSettings())
    assert info.chat_template_source == "fallback"
    assert info.template_warning.startswith("This model has no chat template")
    assert info.stop_strings == ("<|im_end|>", "<|im_start|>")


def test_folder_template_sources(tmp_path: Path) -> None:
    folder = _folder(tmp_path, template=[{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}])  # type: ignore[arg-type]
    assert read_folder_template(folder) == ("D", "<s>", "<|im_end|>")
    (folder / "chat_template.jinja").write_text("J")
    assert read_folder_template(folder)[0] == "J"


def test_a_folder_that_is_not_a_genai_model_is_refused(tmp_path: Path) -> None:
    from slmdesk.engine.types import EngineError

    with pytest.raises(EngineError, match=r"no genai_config\.json"):
        OnnxBackend(_fake_genai([], [])).load(str(tmp_path), LoadSettings())


def test_special_tokens_end_the_turn_or_are_skipped(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    added = [
        {"id": 1, "content": "<|im_start|>", "special": True},
        {"id": 5, "content": "<|im_end|>", "special": True},
        {"id": 6, "content": "plain", "special": False},
    ]
    (folder / "tokenizer.json").write_text(json.dumps({"added_tokens": added}))
    og = _fake_genai([], [7, 1, 8, 5, 9])
    backend = OnnxBackend(og)
    backend.load(str(folder), LoadSettings(n_ctx=256))
    def run(max_tokens: int) -> tuple[str, int, str]:
        text, stats = backend.generate(
            [{"role": "user", "content": "q"}], SamplingParams(temperature=0, max_tokens=max_tokens),
            GenerationControl(), lambda n, d: None, lambda d, t: None, lambda t: None, 0.0,
        )
        return text, stats.completion_tokens, stats.finish_reason

    # 1 (<|im_start|>) is skipped; 5 (<|im_end|>) ends the turn by its text, although
    # genai_config lists only 2 as EOS.
    assert run(10) == ("Paris is", 4, "stop")
    assert run(3) == ("Paris is", 3, "length")  # the skipped token still counts
