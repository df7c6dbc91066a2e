"""The Ollama Modelfile against the grammar of Ollama's Modelfile reference."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.deploy import DeployRequest, ollama
from slmdesk.engine.types import SamplingParams
from tests.unit.deploy.validators import ModelfileError, parse_modelfile


def test_the_modelfile_carries_the_load_plan_and_sampling_defaults(toy_request: DeployRequest) -> None:
    parsed = parse_modelfile(ollama.modelfile(toy_request))
    assert parsed.first("FROM") == str(toy_request.spec.path)
    assert Path(parsed.first("FROM") or "").is_absolute()
    assert parsed.parameters["num_ctx"] == [1024]
    assert parsed.parameters["num_gpu"] == [9]  # -1 = all: 8 repeating layers + the output layer
    assert parsed.parameters["num_thread"] == [4]
    assert parsed.parameters["temperature"] == [0.7]
    assert parsed.parameters["top_p"] == [0.95]
    assert parsed.parameters["top_k"] == [40]
    assert parsed.parameters["num_predict"] == [512]
    assert parsed.parameters["stop"] == ["<|im_end|>"]  # from the ChatML template
    assert parsed.first("SYSTEM") == "Answer briefly."


def test_automatic_gpu_layers_are_left_to_ollama(toy_request: DeployRequest) -> None:
    request = replace(toy_request, plan=replace(toy_request.plan, n_gpu_layers=None, n_threads=None))
    parsed = parse_modelfile(ollama.modelfile(request))
    assert "num_gpu" not in parsed.parameters
    assert "num_thread" not in parsed.parameters


def test_a_multi_line_system_prompt_and_extra_stops_read_back_exactly(toy_request: DeployRequest) -> None:
    prompt = 'You are "Toy".\nAnswer in one line.'
    request = replace(toy_request, system_prompt=prompt, license="apache-2.0",
                      sampling=SamplingParams(temperature=0.2, seed=7, stop=("END", "<|im_end|>")))
    parsed = parse_modelfile(ollama.modelfile(request))
    assert parsed.first("SYSTEM") == prompt
    assert parsed.first("LICENSE") == "apache-2.0"
    assert parsed.parameters["stop"] == ["END", "<|im_end|>"]
    assert parsed.parameters["seed"] == [7]
    assert parsed.parameters["temperature"] == [0.2]


def test_the_quantized_kv_cache_becomes_server_settings(toy_request: DeployRequest) -> None:
    assert ollama.server_environment(toy_request) == {"OLLAMA_FLASH_ATTENTION": "1", "OLLAMA_KV_CACHE_TYPE": "q8_0"}
    plain = replace(toy_request, plan=LoadPlan(n_ctx=1024), port=11500)
    assert ollama.server_environment(plain) == {"OLLAMA_HOST": "127.0.0.1:11500"}
    script = next(f for f in ollama.build(toy_request).files if f.path == "ollama/create.sh")
    assert "export OLLAMA_KV_CACHE_TYPE=q8_0" in script.text
    assert f"ollama create {toy_request.slug} -f Modelfile" in script.text
    assert script.executable


def test_an_ollama_store_model_is_built_from_its_name(toy_request: DeployRequest) -> None:
    parsed = parse_modelfile(ollama.modelfile(replace(toy_request, ollama_from="smollm2:135m")))
    assert parsed.first("FROM") == "smollm2:135m"


def test_a_split_gguf_set_is_refused(toy_request: DeployRequest) -> None:
    spec = replace(toy_request.spec, files=(Path("/m/a-00001-of-00002.gguf"), Path("/m/a-00002-of-00002.gguf")))
    with pytest.raises(UserError, match="split GGUF set"):
        ollama.modelfile(replace(toy_request, spec=spec))


@pytest.mark.parametrize(("text", "problem"), [
    ("PARAMETER num_ctx 4096\n", "needs a FROM"),
    ("FROM ./m.gguf\nPARAMETER num_cxt 4096\n", "unknown parameter 'num_cxt'"),
    ("FROM ./m.gguf\nPARAMETER num_ctx lots\n", "num_ctx takes a int"),
    ("FROM ./m.gguf\nPARAMETER temperature warm\n", "temperature takes a float"),
    ("FROM ./m.gguf\nSYSTEM \"\"\"open\n", "unterminated"),
    ("FROM ./m.gguf\nPROMPTT hi\n", "unknown instruction"),
    ("FROM ./m.gguf\nMESSAGE robot hi\n", "MESSAGE role 'robot'"),
    ("FROM ./m.gguf\nPARAMETER num_ctx 1\nPARAMETER num_ctx 2\n", "set twice"),
])
def test_the_validator_rejects_what_the_reference_does_not_allow(text: str, problem: str) -> None:
    with pytest.raises(ModelfileError, match=problem.replace("(", r"\(")):
        parse_modelfile(text)


def test_the_validator_accepts_the_references_own_example() -> None:
    example = ('FROM llama3.2\n# sets the temperature to 1\nPARAMETER temperature 1\nPARAMETER num_ctx 4096\n\n'
               "SYSTEM You are Mario from super mario bros, acting as an assistant.\n"
               'TEMPLATE """{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"""\n'
               'PARAMETER stop "<|im_start|>"\nMESSAGE user Is Toronto in Canada?\nMESSAGE assistant yes\n')
    parsed = parse_modelfile(example)
    assert parsed.parameters == {"temperature": [1.0], "num_ctx": [4096], "stop": ["<|im_start|>"]}
    assert parsed.first("SYSTEM") == "You are Mario from super mario bros, acting as an assistant."
