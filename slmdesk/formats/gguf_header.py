"""The parts of a GGUF header as slmdesk reads them: layout limits, value types, errors, records.

Shared by the byte parser (:mod:`slmdesk.formats.gguf_reader`) and the model-spec builder
(:mod:`slmdesk.formats.gguf`). Layout: GGUF spec, ggml ``docs/gguf.md``; llama.cpp
``ggml/src/gguf.cpp``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmdesk.core.errors import UserError

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
"""v2 and v3 share one layout (v1 used 32-bit counts; llama.cpp dropped it)."""

DEFAULT_ALIGNMENT = 32
"""``GGUF_DEFAULT_ALIGNMENT`` (``ggml/include/gguf.h``)."""

MAX_DIMS = 4
"""``GGML_MAX_DIMS``: llama.cpp rejects tensors with more dimensions."""

MAX_TENSOR_NAME = 63
"""``GGML_MAX_NAME - 1``: llama.cpp rejects longer tensor names (``gguf.cpp``)."""

MAX_DECODED_ARRAY = 4096
"""Numeric arrays up to this length are decoded (per-layer hparams); longer ones are skipped."""

MAX_HEADER_BYTES = 256 * 1024 * 1024
"""A header (everything before tensor data) larger than 256 MiB is treated as corrupt
(a 262k-token vocabulary takes 6.5 MB)."""

# llama.cpp ``src/llama-vocab.cpp`` (``load``: auto-detected EOG tokens by text). llama.cpp
# adds these to ``special_eog_ids`` whatever their declared token type.
EOG_TOKEN_TEXTS: tuple[str, ...] = (
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "<|end_of_text|>",
    "<end_of_utterance>",
)

# GGUF value types (``enum gguf_type``).
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL = range(8)
T_STRING, T_ARRAY, T_UINT64, T_INT64, T_FLOAT64 = 8, 9, 10, 11, 12

INTEGER_TYPES = frozenset({T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_UINT64, T_INT64})
TYPE_NAMES: dict[int, str] = {
    T_UINT8: "u8",
    T_INT8: "i8",
    T_UINT16: "u16",
    T_INT16: "i16",
    T_UINT32: "u32",
    T_INT32: "i32",
    T_FLOAT32: "f32",
    T_BOOL: "bool",
    T_STRING: "string",
    T_ARRAY: "array",
    T_UINT64: "u64",
    T_INT64: "i64",
    T_FLOAT64: "f64",
}


SCALAR_FORMATS: dict[int, str] = {
    T_UINT8: "B",
    T_INT8: "b",
    T_UINT16: "H",
    T_INT16: "h",
    T_UINT32: "I",
    T_INT32: "i",
    T_FLOAT32: "f",
    T_BOOL: "B",
    T_UINT64: "Q",
    T_INT64: "q",
    T_FLOAT64: "d",
}
"""The :mod:`struct` format of each fixed-size value type (little-endian in the file)."""

SCALAR_BYTES: dict[int, int] = {t: struct.calcsize("<" + f) for t, f in SCALAR_FORMATS.items()}
"""Bytes of one value of each fixed-size type (``gguf_type_size`` in ggml's ``gguf.cpp``)."""


class GGUFFormatError(UserError):
    """The file is not a GGUF file slmdesk (and llama.cpp) can read.

    Attributes:
        what: the defect, e.g. "string length 1099511627776 exceeds the 812 bytes left".
        offset: byte offset in the file where the defect was found, or None.
        path: the file, when known.
    """

    def __init__(self, what: str, offset: int | None = None, path: Path | str | None = None) -> None:
        self.what = what
        self.offset = offset
        self.path = Path(path) if path is not None else None
        name = self.path.name if self.path is not None else "The data"
        where = f" (at byte {offset})" if offset is not None else ""
        super().__init__(
            f"{name} is not a readable GGUF file: {what}{where}.",
            "The file may be incomplete or damaged, or written by a newer tool: "
            "download it again or remove it from the library.",
        )


class GGUFHeaderIncomplete(GGUFFormatError):
    """Raised by :func:`parse_header` when ``data`` is a prefix of a larger file and ends
    inside the header. ``needed_bytes`` is a prefix length worth retrying with (a lower bound
    guess; a retry may ask for more). Callers reading from disk or HTTP ranges catch it."""

    def __init__(self, needed_bytes: int, offset: int, path: Path | str | None = None) -> None:
        self.needed_bytes = needed_bytes
        super().__init__(f"the header continues past the {offset} bytes read so far", offset, path)


@dataclass(frozen=True)
class GGUFArray:
    """An array value that was skipped, not decoded: element type, length and byte range."""

    item_type: int
    count: int
    offset: int
    end: int


@dataclass(frozen=True)
class GGUFValue:
    """One metadata value: GGUF type, Python value and byte offset of its key.

    ``value`` is an int/float/bool/str for scalars, a tuple for numeric arrays of at most
    :data:`MAX_DECODED_ARRAY` elements, else a :class:`GGUFArray`. ``item_type`` is the
    element type of an array (None for scalars).
    """

    type: int
    value: Any
    offset: int
    item_type: int | None = None


@dataclass(frozen=True, slots=True)
class GGUFTensorInfo:
    """One tensor info: name, ``ne`` (innermost first), ggml type, data offset, sizes.

    ``offset`` is relative to the start of the tensor data section; ``nbytes`` is the
    unpadded size: ``n_elements / block_size * type_size``.
    """

    name: str
    shape: tuple[int, ...]
    ggml_type: int
    offset: int
    n_elements: int
    nbytes: int


@dataclass(frozen=True)
class GGUFHeader:
    """Everything before the tensor data of one GGUF file.

    Attributes:
        version: 2 or 3.
        kv: key -> :class:`GGUFValue`, in file order.
        tensors: tensor infos in file order.
        alignment: ``general.alignment`` or 32.
        data_offset: byte offset of the tensor data section (aligned).
        file_size: size of the whole file in bytes.
        eog_text_ids: token text -> id for the :data:`EOG_TOKEN_TEXTS` found in
            ``tokenizer.ggml.tokens`` (found by a byte search, the token list is never built).
    """

    version: int
    kv: Mapping[str, GGUFValue]
    tensors: tuple[GGUFTensorInfo, ...]
    alignment: int
    data_offset: int
    file_size: int
    eog_text_ids: Mapping[str, int] = field(default_factory=dict)

    def value(self, key: str, default: Any = None) -> Any:
        """The Python value of ``key``, or ``default`` when absent."""
        item = self.kv.get(key)
        return default if item is None else item.value

    @property
    def weights_bytes(self) -> int:
        """Sum of the tensors' unpadded byte sizes."""
        return sum(t.nbytes for t in self.tensors)
