"""GGUF files as :class:`~slmdesk.core.model_spec.ModelSpec`: read a header from disk, build the spec.

The header itself is parsed by :mod:`slmdesk.formats.gguf_reader` (records and errors in
:mod:`slmdesk.formats.gguf_header`); this module re-exports their public names, so
``from slmdesk.formats.gguf import parse_header, GGUFFormatError, ...`` keeps working.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.quant_types import (
    GGML_TYPES,
    file_type_from_tensor_type,
    file_type_name,
)
from slmdesk.formats.gguf_header import (
    DEFAULT_ALIGNMENT,
    EOG_TOKEN_TEXTS,
    INTEGER_TYPES,
    MAGIC,
    MAX_DECODED_ARRAY,
    MAX_DIMS,
    MAX_HEADER_BYTES,
    MAX_TENSOR_NAME,
    SUPPORTED_VERSIONS,
    T_ARRAY,
    T_BOOL,
    T_FLOAT32,
    T_FLOAT64,
    T_INT8,
    T_INT16,
    T_INT32,
    T_INT64,
    T_STRING,
    T_UINT8,
    T_UINT16,
    T_UINT32,
    T_UINT64,
    TYPE_NAMES,
    GGUFArray,
    GGUFFormatError,
    GGUFHeader,
    GGUFHeaderIncomplete,
    GGUFTensorInfo,
    GGUFValue,
)
from slmdesk.formats.gguf_reader import parse_header

__all__ = [
    "DEFAULT_ALIGNMENT",
    "EOG_TOKEN_TEXTS",
    "FIRST_READ_BYTES",
    "INTEGER_TYPES",
    "MAGIC",
    "MAX_DECODED_ARRAY",
    "MAX_DIMS",
    "MAX_HEADER_BYTES",
    "MAX_LAYERS",
    "MAX_TENSOR_NAME",
    "SUPPORTED_VERSIONS",
    "SWA_DEFAULT_PATTERNS",
    "SWA_DEFAULT_WINDOWS",
    "TYPE_NAMES",
    "T_ARRAY",
    "T_BOOL",
    "T_FLOAT32",
    "T_FLOAT64",
    "T_INT8",
    "T_INT16",
    "T_INT32",
    "T_INT64",
    "T_STRING",
    "T_UINT8",
    "T_UINT16",
    "T_UINT32",
    "T_UINT64",
    "GGUFArray",
    "GGUFFormatError",
    "GGUFHeader",
    "GGUFHeaderIncomplete",
    "GGUFTensorInfo",
    "GGUFValue",
    "parse_header",
    "read_gguf",
    "read_header",
    "spec_from_headers",
    "swa_layers_from_pattern",
]

MAX_LAYERS = 4096
"""Block counts above this are treated as corrupt (llama.cpp's ``LLAMA_MAX_LAYERS`` is 512)."""

FIRST_READ_BYTES = 2 * 1024 * 1024
"""First read from disk; the buffer grows 4x while the header continues (reads cost ~1 ms/MiB)."""

_BLOCK_RE = re.compile(r"blk\.(\d+)\.")


def read_header(path: Path) -> GGUFHeader:
    """Read and parse the header of the GGUF file at ``path``, reading only the header bytes.

    Reads :data:`FIRST_READ_BYTES` first and more, doubling, while the header continues.

    Raises:
        GGUFFormatError: not a readable GGUF file (see :func:`parse_header`).
        UserError: the file cannot be opened or read.
    """
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, FIRST_READ_BYTES))
            return parse_header(data, size, path, handle.read)
    except OSError as error:
        raise UserError(
            f"Cannot read {path}: {error.strerror}.", "Check that the file exists and is readable."
        ) from error


# -- ModelSpec ---------------------------------------------------------------------------

# Default SWA pattern per architecture when the file has no sliding_window_pattern key
# (llama.cpp ``src/llama-model.cpp`` ``load_hparams``: ``hparams.set_swa_pattern(n)``;
# gguf-parser-go ``file_architecture.go`` has the same numbers). Window defaults apply when
# the file has no ``attention.sliding_window`` (gemma2: 4096, llama4: 8192 chunked attention).
SWA_DEFAULT_PATTERNS: dict[str, int] = {
    "gemma2": 2,
    "gemma3": 6,
    "gemma-embedding": 6,
    "cohere2": 4,
    "llama4": 4,
    "gpt-oss": 2,
}
SWA_DEFAULT_WINDOWS: dict[str, int] = {"gemma2": 4096, "llama4": 8192}

# Keys turned into dedicated ModelSpec fields (not repeated in ``metadata``).
_CONSUMED_GENERAL = {
    "general.architecture",
    "general.name",
    "general.size_label",
    "general.file_type",
    "general.alignment",
}


_CONSUMED_ARCH = {
    "block_count",
    "context_length",
    "embedding_length",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.value_length",
    "attention.sliding_window",
    "attention.sliding_window_pattern",
    "vocab_size",
}


def swa_layers_from_pattern(n_layer: int, pattern: int | tuple[bool, ...]) -> tuple[bool, ...]:
    """Per-layer SWA flags: ``il % n < n - 1`` for an integer pattern ``n`` (``n == 0``: all SWA);
    a bool tuple is used as is (``llama_hparams::set_swa_pattern``, ``src/llama-hparams.cpp``).

    Example: gemma3 (n=6) with 18 layers -> layers 5, 11, 17 are global (False), the rest SWA.
    """
    if isinstance(pattern, tuple):
        return tuple(bool(v) for v in pattern)
    if pattern == 0:
        return (True,) * n_layer
    return tuple(il % pattern < pattern - 1 for il in range(n_layer))


class _Keys:
    """Typed access to a header's KVs with errors that name the key and its offset."""

    def __init__(self, header: GGUFHeader, path: Path) -> None:
        self.header = header
        self.path = path

    def fail(self, key: str, what: str) -> GGUFFormatError:
        item = self.header.kv.get(key)
        return GGUFFormatError(f"{key} {what}", item.offset if item else None, self.path)

    def string(self, key: str) -> str | None:
        item = self.header.kv.get(key)
        if item is None:
            return None
        if item.type != T_STRING:
            raise self.fail(key, f"is a {TYPE_NAMES.get(item.type, item.type)}, not a string")
        return str(item.value)

    def integer(self, key: str, minimum: int = 0) -> int | None:
        item = self.header.kv.get(key)
        if item is None:
            return None
        if item.type not in INTEGER_TYPES:
            raise self.fail(key, f"is a {TYPE_NAMES.get(item.type, item.type)}, not an integer")
        if item.value < minimum:
            raise self.fail(key, f"is {item.value}, less than {minimum}")
        return int(item.value)

    def per_layer(self, key: str, n_layer: int | None) -> tuple[int, ...] | None:
        """A u32-or-array hparam as ``n_layer`` values (``llama_model_loader::get_key_or_arr``)."""
        item = self.header.kv.get(key)
        if item is None:
            return None
        if item.type == T_ARRAY:
            if item.item_type not in INTEGER_TYPES:
                raise self.fail(key, "is an array of non-integers")
            values = item.value
            count = values.count if isinstance(values, GGUFArray) else len(values)
            if n_layer is None or count != n_layer or isinstance(values, GGUFArray):
                raise self.fail(key, f"has {count} values but block_count is {n_layer}")
            if any(v < 0 for v in values):
                raise self.fail(key, "has negative values")
            return tuple(values)
        value = self.integer(key)
        if value is None or n_layer is None:
            return None
        return (value,) * n_layer


def spec_from_headers(
    path: Path, files: tuple[Path, ...], headers: tuple[GGUFHeader, ...]
) -> ModelSpec:
    """Build a :class:`ModelSpec` from parsed headers: one file, or every part of a split set
    (metadata from the first part, tensors summed over all parts).

    Raises:
        GGUFFormatError: a required key is missing or has the wrong type, a per-layer array
            has the wrong length, or the block count is implausible.
    """
    first = headers[0]
    keys = _Keys(first, path)
    arch = keys.string("general.architecture")
    if not arch:
        raise GGUFFormatError("general.architecture is missing", None, path)
    a = f"{arch}."

    n_layer = keys.integer(a + "block_count")
    if n_layer is not None and n_layer > MAX_LAYERS:
        raise keys.fail(a + "block_count", f"is {n_layer}, more than {MAX_LAYERS} layers")
    n_embd = keys.integer(a + "embedding_length")
    n_ff = keys.per_layer(a + "feed_forward_length", n_layer) or ()
    n_head = keys.per_layer(a + "attention.head_count", n_layer) or ()
    n_head_kv = keys.per_layer(a + "attention.head_count_kv", n_layer) or n_head
    head_dim_k = keys.integer(a + "attention.key_length")
    head_dim_v = keys.integer(a + "attention.value_length")
    if n_embd is not None and n_head and n_head[0] > 0:
        # llama.cpp: n_embd_head_k defaults to n_embd / n_head(0) (llama-model.cpp).
        head_dim_k = n_embd // n_head[0] if head_dim_k is None else head_dim_k
        head_dim_v = n_embd // n_head[0] if head_dim_v is None else head_dim_v

    sliding_window, swa_layers = _sliding_window(keys, arch, a, n_layer)

    n_vocab = keys.integer(a + "vocab_size")
    tokens = first.kv.get("tokenizer.ggml.tokens")
    if n_vocab is None and tokens is not None and tokens.type == T_ARRAY:
        n_vocab = tokens.value.count if isinstance(tokens.value, GGUFArray) else len(tokens.value)

    bos = keys.integer("tokenizer.ggml.bos_token_id")
    eos = keys.integer("tokenizer.ggml.eos_token_id")
    eog: list[int] = []
    for key in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"):
        value = keys.integer(key)
        if value is not None and value not in eog:
            eog.append(value)
    for text in EOG_TOKEN_TEXTS:
        token_id = first.eog_text_ids.get(text)
        if token_id is not None and token_id not in eog:
            eog.append(token_id)

    # Tensor accounting over every part.
    n_params = 0
    weights = 0
    type_counts: Counter[str] = Counter()
    main_type_counts: Counter[str] = Counter()
    layer_bytes = [0] * (n_layer or 0)
    input_bytes = 0
    output_bytes = 0
    has_output = False
    for header in headers:
        for t in header.tensors:
            n_params += t.n_elements
            weights += t.nbytes
            type_name = GGML_TYPES[t.ggml_type].name
            type_counts[type_name] += 1
            if len(t.shape) >= 2:
                main_type_counts[type_name] += 1
            name = t.name
            if name.startswith("blk."):
                match = _BLOCK_RE.match(name)
                if match is not None:
                    il = int(match.group(1))
                    if il < len(layer_bytes):
                        layer_bytes[il] += t.nbytes
            elif name.startswith(("token_embd", "token_types", "position_embd")):
                input_bytes += t.nbytes
            elif name.startswith("output"):
                output_bytes += t.nbytes
                has_output = has_output or name == "output.weight"

    file_type = keys.integer("general.file_type")
    quantization = file_type_name(file_type) if file_type is not None else None
    metadata: list[tuple[str, str]] = []
    if quantization is None and main_type_counts:
        dominant = main_type_counts.most_common(1)[0][0]
        quantization = file_type_from_tensor_type(dominant)
        metadata.append(("quantization_guessed", "true"))
    metadata.extend(_metadata(first, a))

    split_count = keys.integer("split.count") or 1
    split_no = keys.integer("split.no") or 0

    return ModelSpec(
        format="gguf",
        path=path,
        files=files,
        file_bytes=sum(h.file_size for h in headers),
        architecture=arch,
        name=keys.string("general.name"),
        size_label=keys.string("general.size_label"),
        n_params=n_params,
        quantization=quantization,
        tensor_types=tuple(sorted(type_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        weights_bytes=weights,
        data_offset=first.data_offset,
        n_layer=n_layer,
        context_length=keys.integer(a + "context_length"),
        n_embd=n_embd,
        n_ff=n_ff,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim_k=head_dim_k,
        head_dim_v=head_dim_v,
        sliding_window=sliding_window,
        swa_layers=swa_layers,
        n_vocab=n_vocab,
        chat_template=_chat_template(keys),
        bos_token_id=bos,
        eos_token_id=eos,
        eog_token_ids=tuple(eog),
        split_count=split_count,
        split_no=split_no,
        layer_weights_bytes=tuple(layer_bytes),
        input_weights_bytes=input_bytes,
        output_weights_bytes=output_bytes,
        tied_embeddings=not has_output,
        alignment=first.alignment,
        metadata=tuple(metadata),
    )


def _chat_template(keys: _Keys) -> str | None:
    """``tokenizer.chat_template``, None when missing, empty or whitespace only: such a
    template renders every conversation as that whitespace, so the model has no usable chat
    template (the engine uses its named fallback, ``slmdesk.engine.templates``)."""
    template = keys.string("tokenizer.chat_template")
    return template if template and template.strip() else None


def _sliding_window(
    keys: _Keys, arch: str, a: str, n_layer: int | None
) -> tuple[int | None, tuple[bool, ...]]:
    """``(window in tokens, per-layer SWA flags)`` or ``(None, ())`` without SWA."""
    key = a + "attention.sliding_window"
    item = keys.header.kv.get(key)
    window: int | None
    if item is not None and item.type == T_ARRAY:
        # A few converters store one window per layer; the KV cache is sized by the largest.
        values = item.value
        if isinstance(values, GGUFArray) or item.item_type not in INTEGER_TYPES:
            raise keys.fail(key, "is not a short integer array")
        window = max(values, default=0)
    else:
        window = keys.integer(key)
    if window is None:
        window = SWA_DEFAULT_WINDOWS.get(arch)
    if not window or n_layer is None:
        return None, ()

    pattern_key = a + "attention.sliding_window_pattern"
    pattern_item = keys.header.kv.get(pattern_key)
    pattern: int | tuple[bool, ...] | None
    if pattern_item is None:
        pattern = SWA_DEFAULT_PATTERNS.get(arch)
    elif pattern_item.type == T_ARRAY:
        values = pattern_item.value
        if isinstance(values, GGUFArray) or len(values) != n_layer:
            count = values.count if isinstance(values, GGUFArray) else len(values)
            raise keys.fail(pattern_key, f"has {count} values but block_count is {n_layer}")
        pattern = tuple(bool(v) for v in values)
    else:
        pattern = keys.integer(pattern_key)
    if pattern is None:
        # Architectures llama.cpp does not run with SWA (phi3 stores a window but ignores it).
        return None, ()
    return window, swa_layers_from_pattern(n_layer, pattern)


def _metadata(header: GGUFHeader, arch_prefix: str) -> list[tuple[str, str]]:
    """Scalar keys worth showing: ``general.*`` (license, basename, quantized_by...), the
    architecture's scalar hparams not already in fields (rope, experts, SSM) and
    ``tokenizer.ggml.model``/``pre``. Strings are cut at 200 characters."""
    out: list[tuple[str, str]] = []
    for key, item in header.kv.items():
        if item.type == T_ARRAY or key in _CONSUMED_GENERAL:
            continue
        if key.startswith(arch_prefix) and key[len(arch_prefix) :] in _CONSUMED_ARCH:
            continue
        wanted = (
            key.startswith(("general.", arch_prefix, "split."))
            or key in ("tokenizer.ggml.model", "tokenizer.ggml.pre")
        )
        if not wanted:
            continue
        value = item.value
        text = value if isinstance(value, str) else repr(value)
        out.append((key, text if len(text) <= 200 else text[:199] + "…"))
    return out


def read_gguf(path: Path) -> ModelSpec:
    """Read the header of one GGUF file into a :class:`ModelSpec` (no tensor data is read).

    A part of a split set is described alone here (its own tensors only); use
    :func:`slmdesk.formats.split.read_split_set` or :func:`slmdesk.formats.detect.read_spec`
    for the whole set.

    Raises:
        GGUFFormatError: not a readable GGUF model file; the message names the byte offset.
        UserError: the file cannot be read.
    """
    header = read_header(path)
    return spec_from_headers(path, (path,), (header,))
