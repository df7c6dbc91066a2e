"""Header-only GGUF reader: key-value metadata and tensor infos, without tensor data or vocab.

Layout (GGUF spec, ggml ``docs/gguf.md``; llama.cpp ``ggml/src/gguf.cpp``): ``b"GGUF"``,
``u32 version``, ``u64 n_tensors``, ``u64 n_kv``; each KV = ``u64 len + key``, ``u32 type``,
value; then tensor infos (``string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type,
u64 offset``); tensor data starts at the next multiple of ``general.alignment`` (default 32).

Unlike ``gguf.GGUFReader`` (which turns every vocab entry into a numpy array: seconds per
file, ``research/field-notes.md`` section 0.1), big arrays are skipped by walking their length
prefixes with ``struct.unpack_from`` over an in-memory copy of the header, and every count and
length is checked against the bytes that remain before anything is allocated or looped over.
Every defect raises one error type, :class:`GGUFFormatError`, naming the byte offset. The
records it returns and the limits it enforces are in :mod:`slmdesk.formats.gguf_header`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from slmdesk.core.quant_types import GGML_TYPES
from slmdesk.formats.gguf_header import (
    DEFAULT_ALIGNMENT,
    EOG_TOKEN_TEXTS,
    INTEGER_TYPES,
    MAGIC,
    MAX_DECODED_ARRAY,
    MAX_DIMS,
    MAX_HEADER_BYTES,
    MAX_TENSOR_NAME,
    SCALAR_FORMATS,
    SUPPORTED_VERSIONS,
    T_ARRAY,
    T_BOOL,
    T_STRING,
    TYPE_NAMES,
    GGUFArray,
    GGUFFormatError,
    GGUFHeader,
    GGUFHeaderIncomplete,
    GGUFTensorInfo,
    GGUFValue,
)

_SCALAR_STRUCTS = {t: struct.Struct("<" + f) for t, f in SCALAR_FORMATS.items()}

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HEAD = struct.Struct("<4sIQQ")
_INT64_MAX = 2**63 - 1


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
        for k in range(count >> 3):  # noqa: B007 - k counts the groups read when one fails
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
        for j in range(count - done):  # noqa: B007 - j counts the items read when one fails
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
        value: int = _U32.unpack_from(self.buf, pos)[0]
        return value

    def u64(self, what: str) -> int:
        pos = self.pos
        self.ensure(pos + 8, what, pos)
        self.pos = pos + 8
        value: int = _U64.unpack_from(self.buf, pos)[0]
        return value

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
                values = struct.unpack_from(f"<{count}{SCALAR_FORMATS[item_type]}", self.buf, items_at)
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
            if align_item.type not in INTEGER_TYPES or alignment <= 0 or alignment & (alignment - 1):
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


def parse_header(
    data: bytes,
    file_size: int | None = None,
    path: Path | str | None = None,
    more: Callable[[int], bytes] | None = None,
) -> GGUFHeader:
    """Parse a GGUF header from ``data``: the whole file, or a prefix of a ``file_size``-byte file.

    Args:
        data: bytes from the start of the file (``bytes``, ``bytearray`` or ``mmap``).
        file_size: size of the whole file; default ``len(data)``.
        path: used in error messages only.
        more: when the header runs past ``data``, called with a byte count to supply the next
            bytes (a file's ``read``); without it the header must lie inside ``data``.

    Raises:
        GGUFHeaderIncomplete: ``data`` is a prefix that ends inside the header (and ``more`` is
            not given); retry with at least ``error.needed_bytes`` bytes.
        GGUFFormatError: anything else wrong, with the byte offset of the defect.
    """
    size = len(data) if file_size is None else file_size
    if size < len(data):
        raise ValueError(f"file_size {size} is smaller than the {len(data)} bytes given")
    return _Parser(data, size, path, more).parse()
