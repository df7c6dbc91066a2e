"""The readers on the real starter models: what the files say, checked against gguf-py, and the
GGUF header reader fuzzed with their corrupted headers."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import gguf
import pytest

from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.detect import discover, format_of, read_spec
from tests.gguf_mutations import header_seeds, mutate, read_header_bytes, synthetic_seeds

VARIANTS_PER_SEED = 1500
HANG_GUARD_S = 5.0
"""Generous bound per variant: a guard against hangs (loops over absurd counts), not a speed check."""


def _gguf_py_facts(path: Path) -> dict[str, object]:
    """What gguf-py's full reader finds (seconds per file: the reason our reader exists)."""
    reader = gguf.GGUFReader(path)

    def value(key: str) -> object:
        field = reader.get_field(key)
        return None if field is None else field.contents()

    return {
        "n_params": sum(int(t.n_elements) for t in reader.tensors),
        "weights_bytes": sum(int(t.n_bytes) for t in reader.tensors),
        "data_offset": reader.data_offset,
        "types": Counter(t.tensor_type.name for t in reader.tensors),
        "chat_template": value("tokenizer.chat_template"),
        "n_tokens": len(reader.get_field("tokenizer.ggml.tokens").data),
        "tokens": reader.get_field("tokenizer.ggml.tokens"),
    }


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf: Path) -> tuple[ModelSpec, dict[str, object]]:
    return read_spec(smollm2_gguf), _gguf_py_facts(smollm2_gguf)


@pytest.fixture(scope="module")
def gemma3(gemma3_gguf: Path) -> tuple[ModelSpec, dict[str, object]]:
    return read_spec(gemma3_gguf), _gguf_py_facts(gemma3_gguf)


def _token_text(facts: dict[str, object], token_id: int) -> str:
    field = facts["tokens"]
    return bytes(field.parts[field.data[token_id]]).decode()  # type: ignore[attr-defined]


def _check_sizes(spec: ModelSpec, facts: dict[str, object], path: Path) -> None:
    assert spec.n_params == facts["n_params"]
    assert spec.weights_bytes == facts["weights_bytes"]
    assert spec.data_offset == facts["data_offset"]
    assert spec.file_bytes == path.stat().st_size
    # Tensor data fills the file after the header, up to 31 bytes of padding per tensor.
    n_tensors = sum(count for _, count in spec.tensor_types)
    assert 0 <= spec.file_bytes - spec.data_offset - spec.weights_bytes < 32 * n_tensors
    assert dict(spec.tensor_types) == dict(facts["types"])
    assert spec.input_weights_bytes + sum(spec.layer_weights_bytes) + spec.output_weights_bytes == spec.weights_bytes
    assert spec.n_vocab == facts["n_tokens"]


def test_smollm2_header(smollm2: tuple[ModelSpec, dict[str, object]], smollm2_gguf: Path) -> None:
    spec, facts = smollm2
    assert spec.format == "gguf" and format_of(smollm2_gguf) == "gguf"
    assert spec.architecture == "llama"
    assert spec.size_label == "135M"
    assert spec.quantization == "Q4_1"
    assert spec.n_layer == 30
    assert spec.n_head_kv == (3,) * 30
    assert spec.n_head == (9,) * 30
    assert spec.n_embd == 576 and spec.head_dim_k == 64
    assert spec.context_length == 8192
    assert spec.n_vocab == 49152
    assert (spec.sliding_window, spec.swa_layers) == (None, ())
    assert spec.tied_embeddings is True
    _check_sizes(spec, facts, smollm2_gguf)
    assert spec.chat_template is not None and spec.chat_template == facts["chat_template"]
    assert "<|im_start|>" in spec.chat_template
    # EOS and the EOG tokens found by text are the ChatML end tokens.
    assert spec.eos_token_id == 2
    assert {_token_text(facts, i) for i in spec.eog_token_ids} == {"<|im_end|>", "<|endoftext|>"}


def test_gemma3_header(gemma3: tuple[ModelSpec, dict[str, object]], gemma3_gguf: Path) -> None:
    spec, facts = gemma3
    assert spec.architecture == "gemma3"
    assert spec.quantization == "Q4_K_M"
    assert spec.n_layer == 18
    assert spec.n_head_kv == (1,) * 18
    assert spec.context_length == 32768
    assert spec.head_dim_k == spec.head_dim_v == 256
    assert spec.sliding_window == 512
    # Pattern 6: every sixth layer (5, 11, 17) attends globally.
    assert [il for il, swa in enumerate(spec.swa_layers) if not swa] == [5, 11, 17]
    assert spec.n_vocab == 262144
    _check_sizes(spec, facts, gemma3_gguf)
    # The base model ships no chat template; the file says so too.
    assert facts["chat_template"] is None
    assert spec.chat_template is None
    assert spec.eos_token_id == 1
    assert "<end_of_turn>" in {_token_text(facts, i) for i in spec.eog_token_ids}


def test_discover_finds_the_starter_file(smollm2_gguf: Path) -> None:
    assert list(discover(smollm2_gguf.parent)) == [smollm2_gguf]


def test_corrupted_headers_give_a_spec_or_one_format_error(
    tmp_path: Path, smollm2_gguf: Path, gemma3_gguf: Path
) -> None:
    seeds = synthetic_seeds(tmp_path) + header_seeds(smollm2_gguf, gemma3_gguf)
    rng = random.Random(20240601)
    outcomes: Counter[str] = Counter()
    slowest = 0.0
    for seed_index, seed in enumerate(seeds):
        for variant in range(VARIANTS_PER_SEED):
            data = mutate(seed, rng)
            started = time.perf_counter()
            try:
                result = read_header_bytes(data)
            except Exception as error:  # noqa: BLE001 - the point of the test
                pytest.fail(f"seed {seed_index} variant {variant}: {type(error).__name__}: {error}")
            slowest = max(slowest, time.perf_counter() - started)
            if isinstance(result, ModelSpec):
                outcomes["spec"] += 1
            else:
                assert result.offset is None or 0 <= result.offset <= len(data) + 2**64
                assert "not a readable GGUF file" in result.message
                outcomes["error"] += 1
    assert sum(outcomes.values()) == len(seeds) * VARIANTS_PER_SEED >= 10_000
    # Both outcomes occur: mutations in tensor data or unused keys leave a valid header.
    assert outcomes["spec"] > 100 and outcomes["error"] > 1000, outcomes
    assert slowest < HANG_GUARD_S
