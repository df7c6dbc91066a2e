"""llama.cpp's load failures mapped to the hint that fits: memory, a damaged file, a split set.

The log lines are llama.cpp's own (llama-cpp-python 0.3.36), as the engine log recorded them.
"""

from __future__ import annotations

import pytest

from slmdesk.engine.load_errors import (
    CORRUPT,
    OUT_OF_MEMORY,
    SPLIT,
    UNKNOWN,
    UNSUPPORTED,
    classify,
    crash_hint,
    load_error,
)

# SmolLM2-135M with n_ctx 131072 (a 2.9 GB KV cache) under a 1 GiB data limit.
KV_CACHE_OOM = [
    "ggml_aligned_malloc: insufficient memory (attempted to allocate 2880.00 MB)",
    "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 3019898880",
    "alloc_tensor_range: failed to allocate CPU buffer of size 3019898880",
    "llama_init_from_model: failed to initialize the context: failed to allocate buffer for kv cache",
]
WEIGHTS_OOM = [
    "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 7516192768",
    "llama_model_load: error loading model: unable to allocate CPU buffer",
    "llama_model_load_from_file_impl: failed to load model",
]
TRUNCATED = [
    (
        "llama_model_load: error loading model: tensor 'blk.16.ffn_down.weight' data is not within the file "
        "bounds, model is corrupted or incomplete"
    ),
    "llama_model_load_from_file_impl: failed to load model",
]
# A damaged header claims a huge string: gguf.cpp's bad_alloc is corruption, not memory.
DAMAGED_HEADER = [
    "gguf_init_from_file_impl: encountered bad_alloc error while reading value for key 'tokenizer.ggml.tokens'",
    "llama_model_load: error loading model: llama_model_loader: failed to load model from /m/x.gguf",
    "llama_model_load_from_file_impl: failed to load model",
]
NEWER = [
    "llama_model_load: error loading model: error loading model architecture: unknown model architecture: 'qwen9'",
]
SECOND_PART = [
    (
        "llama_model_load: error loading model: illegal split file idx: 1 (file: /m/x-00002-of-00003.gguf), "
        "model must be loaded with the first split"
    ),
]


def test_a_kv_cache_that_does_not_fit_is_reported_as_memory_not_as_a_damaged_file() -> None:
    error = load_error("SmolLM2.gguf", KV_CACHE_OOM, "ValueError: Failed to create llama_context")
    assert error.message == (
        "Not enough memory to load SmolLM2.gguf with these settings "
        "(llama.cpp: failed to initialize the context: failed to allocate buffer for kv cache)."
    )
    assert "smaller context (n_ctx)" in error.hint and "quantized KV cache" in error.hint
    assert "fewer GPU layers" in error.hint and "close other programs" in error.hint
    assert "corrupt" not in error.hint and "truncated" not in error.hint


@pytest.mark.parametrize(
    ("lines", "exception", "cause", "detail"),
    [
        (WEIGHTS_OOM, "ValueError: Failed to load model from file: x.gguf", OUT_OF_MEMORY,
         "error loading model: unable to allocate CPU buffer"),
        (TRUNCATED, "", CORRUPT, TRUNCATED[0].partition(": ")[2]),
        (DAMAGED_HEADER, "", CORRUPT, DAMAGED_HEADER[0].partition(": ")[2]),
        (NEWER, "", UNSUPPORTED, NEWER[0].partition(": ")[2]),
        (SECOND_PART, "", SPLIT, SECOND_PART[0].partition(": ")[2]),
        ([], "MemoryError: ", OUT_OF_MEMORY, "MemoryError:"),
        ([], "RuntimeError: std::bad_alloc", OUT_OF_MEMORY, "std::bad_alloc"),
        (["ggml_vk_create_buffer: vk::Device::allocateMemory: ErrorOutOfDeviceMemory"], "", OUT_OF_MEMORY,
         "vk::Device::allocateMemory: ErrorOutOfDeviceMemory"),
        (["llama_model_load: error loading model: something new"], "ValueError: x", UNKNOWN,
         "error loading model: something new"),
    ],
)
def test_each_cause_is_recognised(lines: list[str], exception: str, cause: str, detail: str) -> None:
    failure = classify(lines, exception)
    assert (failure.cause, failure.detail) == (cause, detail)


def test_hints_name_what_to_do_for_each_cause() -> None:
    assert load_error("x.gguf", TRUNCATED).hint == "The file is truncated or corrupt: download it again."
    assert load_error("x.gguf", TRUNCATED).message.startswith("llama.cpp cannot load x.gguf: error loading model")
    assert "first part of the split set" in load_error("x.gguf", SECOND_PART).hint
    assert "newer llama.cpp" in load_error("x.gguf", NEWER).hint
    unknown = load_error("x.gguf", [], "ValueError: Failed to load model from file: x.gguf")
    assert unknown.message == "llama.cpp cannot load x.gguf: Failed to load model from file: x.gguf"
    assert "engine log" in unknown.hint


def test_an_engine_that_died_of_memory_gets_the_memory_hint() -> None:
    tail = "\n".join(["llama_context: n_ctx = 131072", "ggml_malloc: failed to allocate 2880.00 MB"])
    hint = crash_hint(tail)
    assert hint is not None and "smaller context" in hint
    assert crash_hint("llama_context: n_ctx = 512\nGGML_ASSERT(x) failed") is None
