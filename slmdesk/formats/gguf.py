"""Header-only GGUF reader: key-value metadata and tensor infos, without tensor data or vocab.

Layout (GGUF spec, ggml ``docs/gguf.md``; llama.cpp ``ggml/src/gguf.cpp``): ``b"GGUF"``,
``u32 version``, ``u64 n_tensors``, ``u64 n_kv``; each KV = ``u64 len + key``, ``u32 type``,
value; then tensor infos (``string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type,
u64 offset``); tensor data starts at the next multiple of ``general.alignment`` (default 32).

Unlike ``gguf.GGUFReader`` (which turns every vocab entry into a numpy array: seconds per
file, ``research/field-notes.md`` section 0.1), big arrays are skipped by walking their length
prefixes with ``struct.unpack_from`` over an in-memory copy of the header, and every count and
length is checked against the bytes that remain before anything is allocated or looped over.
Every defect raises one error type, :class:`GGUFFormatError`, naming the byte offset.
"""

from __future__ import annotations

import os
import re
import struct
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.quant_types import (
    GGML_TYPES,
    file_type_from_tensor_type,
    file_type_name,
)

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
"""v2 and v3 share one layout (v1 used 32-bit counts; llama.cpp dropped it)."""

DEFAULT_ALIGNMENT = 32
"""``GGUF_DEFAULT_ALIGNMENT`` (``ggml/include/gguf.h``)."""

MAX_DIMS = 4
"""``GGML_MAX_DIMS``: llama.cpp rejects tensors with more dimensions."""

MAX_TENSOR_NAME = 63
"""``GGML_MAX_NAME - 1``: llama.cpp rejects longer tensor names (``gguf.cpp``)."""

MAX_LAYERS = 4096
"""Block counts above this are treated as corrupt (llama.cpp's ``LLAMA_MAX_LAYERS`` is 512)."""

MAX_DECODED_ARRAY = 4096
"""Numeric arrays up to this length are decoded (per-layer hparams); longer ones are skipped."""

MAX_HEADER_BYTES = 256 * 1024 * 1024
"""A header (everything before tensor data) larger than 256 MiB is treated as corrupt
(a 262k-token vocabulary takes 6.5 MB)."""

FIRST_READ_BYTES = 2 * 1024 * 1024
"""First read from disk; the buffer grows 4x while the header continues (reads cost ~1 ms/MiB)."""

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

_SCALAR_FORMATS: dict[int, str] = {
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
_SCALAR_STRUCTS = {t: struct.Struct("<" + f) for t, f in _SCALAR_FORMATS.items()}
_INTEGER_TYPES = frozenset({T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_UINT64, T_INT64})
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

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HEAD = struct.Struct("<4sIQQ")
_INT64_MAX = 2**63 - 1
_BLOCK_RE = re.compile(r"blk\.(\d+)\.")


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


def _walk_strings(buf: bytes, pos: int, count: int) -> tuple[int, int]:
    """Skip up to ``count`` length-prefixed strings from ``pos``.

    Returns ``(pos, done)``: the offset after the last string skipped and how many were
    skipped; ``done < count`` means the next length prefix is not in ``buf``. Unrolled by 8,
    which is about 30% faster than one ``unpack_from`` per loop turn here.
    """
    unpack = _U64.unpack_from
    start = pos
    k = 0
    try:
        for k in range(count >> 3):
            start = pos
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
            pos += 8 + unpack(buf, pos)[0]
        done = (count >> 3) << 3
    except (struct.error, OverflowError):
        # Redo the failed group one by one to stop exactly at the missing length prefix.
        pos, done = start, 8 * k
    j = 0
    try:
        for j in range(count - done):
            pos += 8 + unpack(buf, pos)[0]
    except (struct.error, OverflowError):
        return pos, done + j
    return pos, count


def _string_indices(buf: bytes, pos: int, count: int, targets: list[int]) -> dict[int, int]:
    """Index of each element of a string array that starts exactly at an offset in ``targets``
    (sorted). ``buf`` must hold the whole array (already walked)."""
    unpack = _U64.unpack_from
    found: dict[int, int] = {}
    waiting = iter(targets)
    target = next(waiting, None)
    for i in range(count):
        while target is not None and target <= pos:
            if target == pos:
                found[target] = i
            target = next(waiting, None)
        if target is None:
            break
        pos += 8 + unpack(buf, pos)[0]
    return found


class _Parser:
    """One pass over a GGUF header.

    ``buf`` holds the first bytes of a ``size``-byte file. When the header runs past ``buf``,
    ``more(n)`` (if given) supplies the next ``n`` bytes and parsing continues; without it,
    :class:`GGUFHeaderIncomplete` is raised.
    """

    def __init__(
        self, buf: bytes, size: int, path: Path | str | None, more: Callable[[int], bytes] | None = None
    ) -> None:
        self.buf = buf
        self.have = len(buf)
        self.size = size
        self.path = path
        self.more = more
        self.pos = 0
        self.eog_text_ids: dict[str, int] = {}

    # -- errors --------------------------------------------------------------------------
    def fail(self, what: str, offset: int | None = None) -> GGUFFormatError:
        return GGUFFormatError(what, self.pos if offset is None else offset, self.path)

    def ensure(self, end: int, what: str, offset: int) -> None:
        """Make bytes up to ``end`` available, or raise (truncated file / incomplete prefix)."""
        if end > self.size:
            raise self.fail(f"the file ends at byte {self.size} inside {what}", offset)
        if end > self.have:
            self.grow(end, offset)

    def grow(self, end: int, offset: int) -> None:
        want = min(self.size, max(end, min(4 * self.have, MAX_HEADER_BYTES)))
        if self.more is None:
            raise GGUFHeaderIncomplete(want, self.have, self.path)
        if end > MAX_HEADER_BYTES:
            raise self.fail(f"the header is larger than {MAX_HEADER_BYTES // 2**20} MiB", offset)
        chunk = self.more(want - self.have)
        if len(chunk) < want - self.have:
            raise self.fail(f"the file ended at byte {self.have + len(chunk)} while it was read", offset)
        self.buf = self.buf + chunk
        self.have = len(self.buf)

    def left(self) -> int:
        return self.size - self.pos

    # -- primitives ----------------------------------------------------------------------
    def u32(self, what: str) -> int:
        pos = self.pos
        self.ensure(pos + 4, what, pos)
        self.pos = pos + 4
        return _U32.unpack_from(self.buf, pos)[0]

    def u64(self, what: str) -> int:
        pos = self.pos
        self.ensure(pos + 8, what, pos)
        self.pos = pos + 8
        return _U64.unpack_from(self.buf, pos)[0]

    def string(self, what: str) -> str:
        start = self.pos
        length = self.u64(f"the length of {what}")
        if length > self.size - self.pos:
            raise self.fail(
                f"{what} claims {length} bytes but only {self.size - self.pos} bytes are left", start
            )
        self.ensure(self.pos + length, what, start)
        raw = self.buf[self.pos : self.pos + length]
        self.pos += length
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self.fail(f"{what} is not valid UTF-8", start + 8 + error.start) from None

    # -- values --------------------------------------------------------------------------
    def value(self, vtype: int, key: str, key_offset: int) -> GGUFValue:
        if vtype in _SCALAR_STRUCTS:
            st = _SCALAR_STRUCTS[vtype]
            pos = self.pos
            self.ensure(pos + st.size, f"the value of {key!r}", pos)
            self.pos = pos + st.size
            value = st.unpack_from(self.buf, pos)[0]
            return GGUFValue(vtype, bool(value) if vtype == T_BOOL else value, key_offset)
        if vtype == T_STRING:
            return GGUFValue(vtype, self.string(f"the string value of {key!r}"), key_offset)
        if vtype == T_ARRAY:
            return self.array(key, key_offset)
        raise self.fail(f"key {key!r} has unknown value type {vtype}", self.pos - 4)

    def array(self, key: str, key_offset: int) -> GGUFValue:
        start = self.pos
        item_type = self.u32(f"the element type of array {key!r}")
        count = self.u64(f"the length of array {key!r}")
        items_at = self.pos
        left = self.size - items_at
        if item_type in _SCALAR_STRUCTS:
            itemsize = _SCALAR_STRUCTS[item_type].size
            nbytes = count * itemsize
            if nbytes > left:
                raise self.fail(
                    f"array {key!r} claims {count} {TYPE_NAMES[item_type]} values "
                    f"({nbytes} bytes) but only {left} bytes are left",
                    start,
                )
            end = items_at + nbytes
            self.ensure(end, f"array {key!r}", start)
            self.pos = end
            if count <= MAX_DECODED_ARRAY:
                values = struct.unpack_from(f"<{count}{_SCALAR_FORMATS[item_type]}", self.buf, items_at)
                if item_type == T_BOOL:
                    values = tuple(bool(v) for v in values)
                return GGUFValue(T_ARRAY, tuple(values), key_offset, item_type)
            return GGUFValue(T_ARRAY, GGUFArray(item_type, count, items_at, end), key_offset, item_type)
        if item_type == T_STRING:
            if count * 8 > left:
                raise self.fail(
                    f"array {key!r} claims {count} strings but only {left} bytes are left", start
                )
            end = self.skip_strings(key, start, items_at, count)
            self.pos = end
            return GGUFValue(T_ARRAY, GGUFArray(item_type, count, items_at, end), key_offset, item_type)
        if item_type == T_ARRAY:
            raise self.fail(f"array {key!r} holds arrays, which llama.cpp does not support", start)
        raise self.fail(f"array {key!r} has unknown element type {item_type}", start)

    def skip_strings(self, key: str, start: int, pos: int, count: int) -> int:
        """Walk ``count`` length-prefixed strings from ``pos``; return the end offset.

        For ``tokenizer.ggml.tokens`` it also finds the ids of :data:`EOG_TOKEN_TEXTS`: a C
        speed ``bytes.find`` locates candidate ``u64 len + text`` records inside the array,
        and a second walk, only as far as the last candidate, turns offsets into ids.
        """
        items_at = pos
        done = 0
        while True:
            pos, step = _walk_strings(self.buf, pos, count - done)
            done += step
            if done == count:
                break
            self.ensure(pos + 8, f"string array {key!r} (element {done})", start)
        if pos > self.size:
            raise self.fail(f"string array {key!r} runs past the end of the file", start)
        self.ensure(pos, f"string array {key!r}", start)
        if key == "tokenizer.ggml.tokens":
            targets: dict[int, str] = {}
            for text in EOG_TOKEN_TEXTS:
                raw = text.encode()
                needle = _U64.pack(len(raw)) + raw
                hit = self.buf.find(needle, items_at, pos)
                while hit != -1:
                    targets.setdefault(hit, text)
                    hit = self.buf.find(needle, hit + 1, pos)
            if targets:
                found = _string_indices(self.buf, items_at, count, sorted(targets))
                for offset, index in sorted(found.items()):
                    self.eog_text_ids.setdefault(targets[offset], index)
        return pos

    # -- whole header --------------------------------------------------------------------
    def parse(self) -> GGUFHeader:
        self.ensure(4, "the magic number", 0)
        if self.buf[:4] != MAGIC:
            raise self.fail(f"the file starts with {bytes(self.buf[:4])!r}, not b'GGUF'", 0)
        self.ensure(24, "the file header", 0)
        _, version, n_tensors, n_kv = _HEAD.unpack_from(self.buf, 0)
        if version not in SUPPORTED_VERSIONS:
            if version & 0xFFFF == 0:
                raise self.fail(f"version {version} looks byte-swapped (a big-endian GGUF file)", 4)
            raise self.fail(f"GGUF version {version} is not supported (only 2 and 3)", 4)
        self.pos = 24
        # Each KV takes at least 13 bytes (key length, type, a u8), each tensor info 24.
        if n_kv * 13 + n_tensors * 24 > self.left():
            raise self.fail(
                f"the header claims {n_tensors} tensors and {n_kv} key-value pairs, "
                f"more than the {self.left()} bytes left can hold",
                8,
            )
        kv: dict[str, GGUFValue] = {}
        for _ in range(n_kv):
            key_offset = self.pos
            key = self.string("a metadata key")
            vtype = self.u32(f"the value type of {key!r}")
            if key in kv:
                raise self.fail(f"duplicate key {key!r}", key_offset)
            kv[key] = self.value(vtype, key, key_offset)

        alignment = DEFAULT_ALIGNMENT
        align_item = kv.get("general.alignment")
        if align_item is not None:
            alignment = align_item.value
            if align_item.type not in _INTEGER_TYPES or alignment <= 0 or alignment & (alignment - 1):
                raise self.fail(
                    f"general.alignment {alignment!r} is not a positive power of two", align_item.offset
                )

        tensors: list[GGUFTensorInfo] = []
        names: set[str] = set()
        expected_offset = 0
        for index in range(n_tensors):
            info_at = self.pos
            name = self.string(f"the name of tensor {index}")
            if len(name.encode()) > MAX_TENSOR_NAME:
                raise self.fail(f"tensor name {name[:80]!r} is longer than {MAX_TENSOR_NAME} bytes", info_at)
            if name in names:
                raise self.fail(f"duplicate tensor {name!r}", info_at)
            names.add(name)
            n_dims = self.u32(f"the dimension count of tensor {name!r}")
            if n_dims > MAX_DIMS:
                raise self.fail(f"tensor {name!r} has {n_dims} dimensions (at most {MAX_DIMS})", self.pos - 4)
            shape = tuple(self.u64(f"the shape of tensor {name!r}") for _ in range(n_dims))
            n_elements = 1
            for dim in shape:
                n_elements *= dim
            if any(dim > _INT64_MAX for dim in shape) or n_elements > _INT64_MAX:
                raise self.fail(f"tensor {name!r} has an impossible shape {list(shape)}", info_at)
            type_id = self.u32(f"the type of tensor {name!r}")
            ggml_type = GGML_TYPES.get(type_id)
            if ggml_type is None:
                raise self.fail(f"tensor {name!r} has unknown ggml type {type_id}", self.pos - 4)
            row = shape[0] if shape else 1
            if row % ggml_type.block_size:
                raise self.fail(
                    f"tensor {name!r} ({ggml_type.name}) has a row of {row} values, "
                    f"not a multiple of its block size {ggml_type.block_size}",
                    info_at,
                )
            nbytes = ggml_type.nbytes(n_elements)
            offset = self.u64(f"the data offset of tensor {name!r}")
            # gguf.cpp: tensors are stored in order, each padded to the alignment.
            if offset != expected_offset:
                raise self.fail(
                    f"tensor {name!r} has data offset {offset}, expected {expected_offset}", self.pos - 8
                )
            expected_offset += -(-nbytes // alignment) * alignment
            tensors.append(GGUFTensorInfo(name, shape, type_id, offset, n_elements, nbytes))

        data_offset = -(-self.pos // alignment) * alignment
        if tensors:
            last = tensors[-1]
            end = data_offset + last.offset + last.nbytes
            if end > self.size:
                raise self.fail(
                    f"tensor data ends at byte {end} but the file has only {self.size} bytes "
                    f"(tensor {last.name!r})",
                    data_offset + last.offset,
                )
        return GGUFHeader(
            version=version,
            kv=kv,
            tensors=tuple(tensors),
            alignment=alignment,
            data_offset=data_offset,
            file_size=self.size,
            eog_text_ids=dict(self.eog_text_ids),
        )


def parse_header(data: bytes, file_size: int | None = None, path: Path | str | None = None) -> GGUFHeader:
    """Parse a GGUF header from ``data``: the whole file, or a prefix of a ``file_size``-byte file.

    Args:
        data: bytes from the start of the file (``bytes``, ``bytearray`` or ``mmap``).
        file_size: size of the whole file; default ``len(data)``.
        path: used in error messages only.

    Raises:
        GGUFHeaderIncomplete: ``data`` is a prefix that ends inside the header; retry with
            at least ``error.needed_bytes`` bytes.
        GGUFFormatError: anything else wrong, with the byte offset of the defect.
    """
    size = len(data) if file_size is None else file_size
    if size < len(data):
        raise ValueError(f"file_size {size} is smaller than the {len(data)} bytes given")
    return _Parser(data, size, path).parse()


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
            return _Parser(data, size, path, handle.read).parse()
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
        return item.value

    def integer(self, key: str, minimum: int = 0) -> int | None:
        item = self.header.kv.get(key)
        if item is None:
            return None
        if item.type not in _INTEGER_TYPES:
            raise self.fail(key, f"is a {TYPE_NAMES.get(item.type, item.type)}, not an integer")
        if item.value < minimum:
            raise self.fail(key, f"is {item.value}, less than {minimum}")
        return item.value

    def per_layer(self, key: str, n_layer: int | None) -> tuple[int, ...] | None:
        """A u32-or-array hparam as ``n_layer`` values (``llama_model_loader::get_key_or_arr``)."""
        item = self.header.kv.get(key)
        if item is None:
            return None
        if item.type == T_ARRAY:
            if item.item_type not in _INTEGER_TYPES:
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


def _file_bytes(files: tuple[Path, ...], headers: tuple[GGUFHeader, ...]) -> int:
    return sum(h.file_size for h in headers)


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
        file_bytes=_file_bytes(files, headers),
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
        chat_template=keys.string("tokenizer.chat_template"),
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
        if isinstance(values, GGUFArray) or item.item_type not in _INTEGER_TYPES:
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
            key.startswith("general.")
            or key.startswith(arch_prefix)
            or key in ("tokenizer.ggml.model", "tokenizer.ggml.pre")
            or key.startswith("split.")
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
