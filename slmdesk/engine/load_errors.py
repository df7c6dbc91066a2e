"""Why a model load failed: llama.cpp's error lines mapped to a cause and the hint that fits it.

llama.cpp reports every load failure the same way to its caller (llama-cpp-python raises
``ValueError("Failed to load model from file: ...")`` or ``ValueError("Failed to create
llama_context")``, ``llama_cpp/_internals.py``); the cause is only in its log. The patterns
below are the log texts of the vendored llama.cpp (llama-cpp-python 0.3.36,
``vendor/llama.cpp``), cited per cause. No inference library is imported here, so unit tests
use it directly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from slmdesk.engine.types import EngineError

OUT_OF_MEMORY = "out_of_memory"
CORRUPT = "corrupt"
SPLIT = "split"
UNSUPPORTED = "unsupported"
UNKNOWN = "unknown"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # src/llama-model-loader.cpp: "illegal split file idx: %d (file: %s), model must be loaded
    # with the first split", "%s: failed to load GGUF split from %s".
    (SPLIT, re.compile(r"failed to load GGUF split|must be loaded with the first split", re.IGNORECASE)),
    # ggml/src/gguf.cpp (gguf_init_from_file_impl): "failed to read magic", "invalid magic
    # characters", "failed to read header / key-value pairs / tensor info / tensor data",
    # "encountered bad_alloc error while reading ..." (a huge length read from a damaged
    # header, not a lack of memory), "failed to open GGUF file"; src/llama-model-loader.cpp
    # (load_all_data / check bounds): "tensor '%s' data is not within the file bounds".
    (CORRUPT, re.compile(
        r"not within the file bounds|failed to read (?:magic|header|key-value|tensor)|invalid magic"
        r"|while reading (?:value|key|tensor)|exceeds remaining file size|failed to seek"
        r"|unexpectedly reached end of file|tensor '[^']*' has offset|has invalid ggml type"
        r"|is corrupted|failed to open GGUF file",
        re.IGNORECASE,
    )),
    # Memory: ggml/src/ggml-backend.cpp ggml_backend_cpu_buffer_type_alloc_buffer "failed to
    # allocate buffer of size %zu"; ggml/src/ggml.c ggml_aligned_malloc "insufficient memory
    # (attempted to allocate %6.2f MB)"; ggml/src/ggml-alloc.c "failed to allocate %s buffer of
    # size %zu"; src/llama-model.cpp "unable to allocate %s buffer"; src/llama-kv-cache.cpp
    # "failed to allocate buffer for kv cache"; src/llama-context.cpp "failed to allocate
    # compute pp buffers"; src/llama-mmap.cpp "mmap failed: Cannot allocate memory"; CUDA
    # "out of memory", Vulkan "ErrorOutOfDeviceMemory"; std::bad_alloc from the C++ runtime
    # ("std::bad_alloc" with libstdc++, "bad allocation" with MSVC's). ONNX Runtime:
    # "Failed to allocate memory for requested buffer of size" (core/framework/bfc_arena.cc).
    (OUT_OF_MEMORY, re.compile(
        r"failed to allocate|unable to allocate|_alloc_buffer|out of memory|outofdevicememory"
        r"|outofhostmemory|insufficient memory|cannot allocate memory|bad_alloc|bad allocation|memoryerror",
        re.IGNORECASE,
    )),
    # src/llama-model.cpp / llama-arch.cpp: "unknown model architecture: '%s'";
    # src/llama-vocab.cpp: "unknown pre-tokenizer type: '%s'"; gguf.cpp: "this GGUF file is
    # version %u but this software only supports up to version %d".
    (UNSUPPORTED, re.compile(
        r"unknown model architecture|unknown pre-tokenizer|only supports up to version|unsupported",
        re.IGNORECASE,
    )),
)

HINTS = {
    OUT_OF_MEMORY: (
        "There is not enough free memory for this model with these settings. Use a smaller "
        "context (n_ctx), a quantized KV cache (q8_0), fewer GPU layers, or close other "
        "programs; the Fit panel (`slmdesk fit`) estimates what fits."
    ),
    CORRUPT: "The file is truncated or corrupt: download it again.",
    SPLIT: "Load the first part of the split set (-00001-of-...), with every part in the same folder.",
    UNSUPPORTED: "The file was made for a newer llama.cpp than the one slmdesk ships; update slmdesk.",
    UNKNOWN: (
        "llama.cpp's full output is in the engine log. A damaged download or a model made for a "
        "newer llama.cpp are the usual causes."
    ),
}
"""What to do, per cause."""


@dataclass(frozen=True)
class LoadFailure:
    """A classified load failure: ``cause`` (one of the constants above), the llama.cpp line
    that says it best (``detail``, without its function prefix) and the ``hint``."""

    cause: str
    detail: str
    hint: str


def _strip_prefix(line: str) -> str:
    """``"llama_model_load: error loading model: x"`` -> ``"error loading model: x"`` (also
    drops an exception's type name: ``"ValueError: x"`` -> ``"x"``)."""
    prefix, sep, rest = line.partition(": ")
    return rest if sep and rest.strip() and " " not in prefix else line


def classify(lines: Sequence[str], exception_text: str = "") -> LoadFailure:
    """Classify a failed load from llama.cpp's error lines (oldest first) and the exception
    llama-cpp-python raised. The first cause in :data:`_PATTERNS` order that any line matches
    wins (a damaged header's ``bad_alloc`` is corruption, not a lack of memory).

    Returns the cause, the most telling line for it and its hint; cause ``"unknown"`` with the
    ``"error loading model"`` line (else the first line, else the exception text) when no
    pattern matches.
    """
    texts = [line.strip() for line in lines if line.strip()]
    if exception_text:
        texts.append(exception_text.strip())
    for cause, pattern in _PATTERNS:
        matching = [text for text in texts if pattern.search(text)]
        if matching:
            # The context's own summary names the allocation that failed ("failed to
            # initialize the context: failed to allocate buffer for kv cache").
            best = next((t for t in matching if "initialize the context" in t or "error loading model" in t),
                        matching[0])
            return LoadFailure(cause, _strip_prefix(best), HINTS[cause])
    best = next((t for t in texts if "error loading model" in t), texts[0] if texts else "")
    return LoadFailure(UNKNOWN, _strip_prefix(best), HINTS[UNKNOWN])


def load_error(file_name: str, lines: Sequence[str], exception_text: str = "") -> EngineError:
    """The :class:`EngineError` for a failed llama.cpp load of ``file_name``: the message says
    what llama.cpp reported (``"llama.cpp cannot load m.gguf: ..."``; for a lack of memory
    ``"Not enough memory to load m.gguf with these settings (llama.cpp: ...)"``), the hint
    what to do about that cause (:func:`classify`)."""
    failure = classify(lines, exception_text)
    if failure.cause == OUT_OF_MEMORY:
        message = f"Not enough memory to load {file_name} with these settings (llama.cpp: {failure.detail})."
    else:
        message = f"llama.cpp cannot load {file_name}: {failure.detail}"
    return EngineError(message, failure.hint)


def crash_hint(stderr_tail: str) -> str | None:
    """The hint for an engine that died, when its last log lines say it ran out of memory
    (``ggml_malloc`` aborts the process after "failed to allocate", ggml/src/ggml.c); None
    otherwise."""
    failure = classify(stderr_tail.splitlines())
    return failure.hint if failure.cause == OUT_OF_MEMORY else None
