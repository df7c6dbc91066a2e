"""Importance matrices: computed from a calibration text through slmdesk's own llama.cpp (in a
child process), written and read in llama.cpp's formats, and handed to the quantizer.

An importance matrix holds, for each weight matrix of a model, the mean of the squared input
activations per input column (per expert for a merged-experts tensor), measured while the model
reads a calibration text. llama.cpp's quantizer weighs rounding errors by it, which the IQ1/IQ2
quantization types require and which improves every k-quant at a few bits.

How it is computed (choice and why): through llama.cpp's graph eval callback
(``llama_context_params.cb_eval``) in the llama-cpp-python build slmdesk already ships, doing
what ``llama-imatrix``'s ``collect_imatrix`` does (:mod:`slmdesk.quantize.imatrix_child`),
rather than by shipping the ``llama-imatrix`` executable: no second native binary to build,
sign and keep in step for every platform and CPU variant, the same safe CPU-variant choice as
the engine, and progress and cancel under slmdesk's control. The cost is reading
``struct ggml_tensor`` from Python, which the child checks against the loaded library before
it starts. The tests compare the result with ``llama-imatrix`` of the same source.

Formats (``tools/imatrix/imatrix.cpp`` and ``common/imatrix-loader.cpp``):

- GGUF (what ``llama-imatrix`` writes by default): KVs ``general.type = "imatrix"``,
  ``imatrix.datasets`` (string array), ``imatrix.chunk_count`` and ``imatrix.chunk_size``
  (u32); per weight, tensors ``<name>.in_sum2`` (F32, ``[n_cols, n_mat]``: raw sums of squares)
  and ``<name>.counts`` (F32, ``[1, n_mat]``: rows seen), names sorted. Mean = sum / count;
  count 0 -> 1.0.
- legacy ``.dat``: ``int32 n_entries``; per entry ``int32 len, name, int32 ncall, int32 nval,
  float[nval]`` holding ``mean * ncall``; then optionally ``int32 chunk_count, int32 len,
  dataset``. Mean = value / ncall (the value itself when ncall is 0).
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import CancelToken, Progress

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
GGUF_ALIGNMENT = 32
_GGUF_UINT32 = 4
_GGUF_STRING = 8
_GGUF_ARRAY = 9
_GGML_TYPE_F32 = 0

CALIBRATION_TEXT = ("calibration", "calibration.txt")
"""The shipped calibration text (``resources/calibration/README.md`` says what it is)."""


@dataclass(frozen=True)
class ImatrixStats:
    """Raw statistics, as the GGUF format stores them.

    Attributes:
        sums: per weight name, sums of squared activations, float32 ``(n_mat, n_cols)``.
        counts: per weight name, activation rows seen, float32 ``(n_mat,)`` (or ``(1,)`` for
            a dense weight used as one matrix).
        datasets: the calibration texts (as named when computed).
        chunk_count: chunks of ``chunk_size`` tokens the statistics were computed on.
        chunk_size: tokens per chunk (0 when read from a legacy file, which does not say).
        legacy: read from a legacy ``.dat`` file (``sums`` then hold ``mean * ncall`` and
            ``counts`` hold ``ncall``).
    """

    sums: Mapping[str, npt.NDArray[np.float32]]
    counts: Mapping[str, npt.NDArray[np.float32]]
    datasets: list[str] = field(default_factory=list)
    chunk_count: int = 0
    chunk_size: int = 0
    legacy: bool = False

    def means(self) -> dict[str, npt.NDArray[np.float32]]:
        """Per weight name, the flat per-column means (``n_mat * n_cols`` float32), as
        ``llama-quantize`` derives them (``load_imatrix`` in ``tools/quantize/quantize.cpp``)."""
        result: dict[str, npt.NDArray[np.float32]] = {}
        for name, sums in self.sums.items():
            counts = np.asarray(self.counts[name], dtype=np.float32).reshape(-1)
            rows = np.asarray(sums, dtype=np.float32).reshape(max(len(counts), 1), -1)
            if self.legacy:
                ncall = float(counts[0]) if counts.size else 0.0
                mean = rows / np.float32(ncall) if ncall > 0 else rows.copy()
            else:
                counts = np.rint(counts).astype(np.float32)  # common_imatrix_load: lround
                if len(counts) == 1 and rows.shape[0] > 1:
                    counts = np.full(rows.shape[0], counts[0], dtype=np.float32)
                safe = np.where(counts > 0, counts, np.float32(1.0))
                mean = np.where(counts[:, None] > 0, rows / safe[:, None], np.float32(1.0))
            result[name] = np.ascontiguousarray(mean, dtype=np.float32).reshape(-1)
        return result


@dataclass(frozen=True)
class ImatrixData:
    """An importance matrix ready for the quantizer.

    Attributes:
        values: per weight name, the per-column mean squared activations, flat float32 of
            ``n_mat * n_cols`` (``ne[0] * ne[2]`` of the weight: what
            ``llama_model_imatrix_data.size`` must equal).
        datasets: the calibration texts it was computed on.
        chunk_count: chunks it was computed on.
        chunk_size: tokens per chunk (0 for a legacy file).
    """

    values: Mapping[str, npt.NDArray[np.float32]]
    datasets: list[str]
    chunk_count: int
    chunk_size: int


# -- writing ---------------------------------------------------------------------------------------

def _gguf_string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def _n_dims(shape: tuple[int, ...]) -> int:
    """``ggml_n_dims``: trailing dimensions of 1 are not written."""
    dims = len(shape)
    while dims > 1 and shape[dims - 1] == 1:
        dims -= 1
    return dims


def write_imatrix_gguf(stats: ImatrixStats, out: Path) -> None:
    """Write ``stats`` in llama.cpp's GGUF imatrix format, laid out as ``gguf_write_to_file``
    does for ``llama-imatrix`` (KVs in its order, tensors sorted by name, 32-byte alignment).

    Raises:
        OSError: the file cannot be written.
    """
    names = sorted(stats.sums)
    kvs = [
        _gguf_string("general.type") + struct.pack("<I", _GGUF_STRING) + _gguf_string("imatrix"),
        _gguf_string("imatrix.datasets") + struct.pack("<IIQ", _GGUF_ARRAY, _GGUF_STRING, len(stats.datasets))
        + b"".join(_gguf_string(d) for d in stats.datasets),
        _gguf_string("imatrix.chunk_count") + struct.pack("<II", _GGUF_UINT32, stats.chunk_count),
        _gguf_string("imatrix.chunk_size") + struct.pack("<II", _GGUF_UINT32, stats.chunk_size),
    ]
    tensors: list[tuple[str, tuple[int, ...], bytes]] = []
    for name in names:
        sums = np.asarray(stats.sums[name], dtype="<f4")
        counts = np.asarray(stats.counts[name], dtype="<f4").reshape(-1)
        n_mat = len(counts)
        sums = sums.reshape(n_mat, -1)
        tensors.append((f"{name}.in_sum2", (sums.shape[1], n_mat), sums.tobytes()))
        tensors.append((f"{name}.counts", (1, n_mat), counts.tobytes()))
    infos = []
    offset = 0
    for name, shape, data in tensors:
        dims = _n_dims(shape)
        infos.append(_gguf_string(name) + struct.pack("<I", dims) + struct.pack(f"<{dims}Q", *shape[:dims])
                     + struct.pack("<IQ", _GGML_TYPE_F32, offset))
        offset += -(-len(data) // GGUF_ALIGNMENT) * GGUF_ALIGNMENT
    header = GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(infos)
    with out.open("wb") as handle:
        handle.write(header)
        handle.write(b"\0" * (-len(header) % GGUF_ALIGNMENT))
        for _name, _shape, data in tensors:
            handle.write(data)
            handle.write(b"\0" * (-len(data) % GGUF_ALIGNMENT))


def write_imatrix_dat(stats: ImatrixStats, out: Path) -> None:
    """Write ``stats`` in the legacy ``.dat`` format (``save_imatrix_legacy``): values are
    ``mean * ncall`` with ``ncall = ceil(max count / chunk_size)``; weights without data are left
    out. Needs ``chunk_size`` > 0. Raises OSError."""
    if stats.chunk_size <= 0:
        raise ValueError("the legacy format needs the chunk size")
    entries = []
    for name in sorted(stats.sums):
        counts = np.asarray(stats.counts[name], dtype=np.float64).reshape(-1)
        if not np.any(counts):
            continue
        sums = np.asarray(stats.sums[name], dtype=np.float32).reshape(len(counts), -1)
        ncall = int((counts.max() + stats.chunk_size - 1) // stats.chunk_size)
        safe = np.where(counts > 0, counts, 1.0).astype(np.float32)
        mean = np.where(counts[:, None] > 0, sums / safe[:, None], np.float32(1.0)).astype(np.float32)
        values = (mean * np.float32(ncall)).astype("<f4").reshape(-1)
        raw = name.encode()
        entries.append(struct.pack("<i", len(raw)) + raw + struct.pack("<ii", ncall, values.size) + values.tobytes())
    dataset = (stats.datasets[-1] if stats.datasets else "").encode()
    with out.open("wb") as handle:
        handle.write(struct.pack("<i", len(entries)))
        handle.write(b"".join(entries))
        handle.write(struct.pack("<ii", stats.chunk_count, len(dataset)) + dataset)


# -- reading ---------------------------------------------------------------------------------------

def read_imatrix_stats(path: Path) -> ImatrixStats:
    """The statistics in ``path``, GGUF or legacy ``.dat`` (told apart by the GGUF magic).

    Raises:
        UserError: the file cannot be read or is not an importance matrix.
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        raise UserError(f"Cannot read the importance matrix {path}: {error.strerror or error}.") from error
    if magic == GGUF_MAGIC:
        return _read_gguf(path)
    return _read_legacy(path)


def _read_gguf(path: Path) -> ImatrixStats:
    """The statistics of a GGUF imatrix, read with slmdesk's own header reader (gguf-py is not a
    runtime dependency): ``<weight>.in_sum2`` and ``<weight>.counts`` F32 tensors."""
    from slmdesk.formats.gguf import read_header
    from slmdesk.formats.gguf_header import GGUFArray

    header = read_header(path)  # GGUFFormatError (a UserError) when it is not a readable GGUF file
    sums: dict[str, npt.NDArray[np.float32]] = {}
    counts: dict[str, npt.NDArray[np.float32]] = {}
    try:
        with path.open("rb") as handle:
            for tensor in header.tensors:
                if tensor.ggml_type != 0:  # GGML_TYPE_F32: llama-imatrix writes nothing else
                    raise UserError(f"{path.name} is not an importance matrix: {tensor.name} is not F32.")
                handle.seek(header.data_offset + tensor.offset)
                raw = handle.read(tensor.nbytes)
                if len(raw) != tensor.nbytes:
                    raise UserError(f"{path.name} is truncated: {tensor.name} ends past the end of the file.",
                                    "Compute or copy the importance matrix again.")
                data = np.frombuffer(raw, dtype="<f4").astype(np.float32)
                if tensor.name.endswith(".in_sum2"):
                    sums[tensor.name.removesuffix(".in_sum2")] = data
                elif tensor.name.endswith(".counts"):
                    counts[tensor.name.removesuffix(".counts")] = data
    except OSError as error:
        raise UserError(f"Cannot read the importance matrix {path}: {error.strerror or error}.") from error
    if not sums:
        raise UserError(f"{path.name} holds no importance-matrix data.",
                        "Compute one with slmdesk or llama-imatrix (GGUF or .dat).")
    unmatched = sorted(set(sums) ^ set(counts))
    if unmatched:
        raise UserError(f"{path.name} has sums without counts (or counts without sums) for {unmatched[0]}.")
    shaped = {name: values.reshape(len(counts[name]), -1) for name, values in sums.items()}
    datasets = header.value("imatrix.datasets") or ()
    if isinstance(datasets, GGUFArray):  # the header reader skips string arrays: decode this small one
        datasets = _string_array(path, datasets)
    return ImatrixStats(
        sums=shaped, counts=counts, datasets=[str(d) for d in datasets],
        chunk_count=int(header.value("imatrix.chunk_count") or 0),
        chunk_size=int(header.value("imatrix.chunk_size") or 0),
    )


def _string_array(path: Path, array: Any) -> list[str]:
    """The strings of a GGUF string array (each a little-endian uint64 length, then UTF-8 bytes)
    at ``array.offset``..``array.end`` of the file; [] for any other element type."""
    if array.item_type != 8:  # GGUF_TYPE_STRING
        return []
    with path.open("rb") as handle:
        handle.seek(array.offset)
        raw = handle.read(array.end - array.offset)
    items: list[str] = []
    offset = 0
    for _ in range(array.count):
        (length,) = struct.unpack_from("<Q", raw, offset)
        items.append(raw[offset + 8:offset + 8 + length].decode("utf-8", errors="replace"))
        offset += 8 + length
    return items


def _read_legacy(path: Path) -> ImatrixStats:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"Cannot read the importance matrix {path}: {error.strerror or error}.") from error
    bad = UserError(f"{path.name} is neither a GGUF nor a legacy .dat importance matrix.",
                    "Compute one with slmdesk or llama-imatrix.")
    try:
        (n_entries,) = struct.unpack_from("<i", raw, 0)
        if n_entries < 1:
            raise bad
        offset = 4
        sums: dict[str, npt.NDArray[np.float32]] = {}
        counts: dict[str, npt.NDArray[np.float32]] = {}
        for _ in range(n_entries):
            (length,) = struct.unpack_from("<i", raw, offset)
            if not 0 < length < 4096:
                raise bad
            name = raw[offset + 4:offset + 4 + length].decode("utf-8")
            offset += 4 + length
            ncall, nval = struct.unpack_from("<ii", raw, offset)
            offset += 8
            if nval < 1 or offset + 4 * nval > len(raw):
                raise bad
            sums[name] = np.frombuffer(raw, dtype="<f4", count=nval, offset=offset).astype(np.float32).reshape(1, -1)
            counts[name] = np.array([ncall], dtype=np.float32)
            offset += 4 * nval
        chunk_count = 0
        datasets: list[str] = []
        if offset + 4 <= len(raw):  # the trailing chunk count and dataset are optional
            (chunk_count,) = struct.unpack_from("<i", raw, offset)
            offset += 4
            if offset + 4 <= len(raw):
                (length,) = struct.unpack_from("<i", raw, offset)
                if 0 < length <= len(raw) - offset - 4:
                    datasets.append(raw[offset + 4:offset + 4 + length].decode("utf-8", errors="replace"))
    except (struct.error, UnicodeDecodeError) as error:
        raise bad from error
    return ImatrixStats(sums=sums, counts=counts, datasets=datasets, chunk_count=chunk_count, chunk_size=0,
                        legacy=True)


def load_imatrix(path: Path) -> ImatrixData:
    """The importance matrix in ``path`` (GGUF or legacy ``.dat``) as per-column means.

    Raises:
        UserError: the file cannot be read or is not an importance matrix.
    """
    stats = read_imatrix_stats(path)
    return ImatrixData(values=stats.means(), datasets=list(stats.datasets), chunk_count=stats.chunk_count,
                       chunk_size=stats.chunk_size)


def imatrix_for_quantize(path: Path) -> tuple[Any, object]:
    """``(array, keepalive)``: a ctypes array of ``llama_cpp.llama_model_imatrix_data`` (one
    entry per weight, ``size = n_mat * n_cols``) terminated by an entry with ``name=None``,
    for ``llama_model_quantize_params.imatrix``; ``keepalive`` owns the names and float
    buffers the array points into and must live until quantization ends.

    Raises:
        UserError: as :func:`load_imatrix`.
    """
    import llama_cpp

    data = load_imatrix(path)
    names = sorted(data.values)
    array = (llama_cpp.llama_model_imatrix_data * (len(names) + 1))()
    buffers = []
    encoded = []
    for index, name in enumerate(names):
        values = np.ascontiguousarray(data.values[name], dtype=np.float32)
        raw_name = ctypes.create_string_buffer(name.encode("utf-8"))
        array[index].name = ctypes.cast(raw_name, ctypes.c_char_p)  # type: ignore[assignment]  # a pointer into raw_name, kept alive
        array[index].data = values.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        array[index].size = values.size
        buffers.append(values)
        encoded.append(raw_name)
    # The terminator: the zero-filled entry ctypes made (name NULL, data NULL, size 0).
    return array, (array, buffers, encoded, data)


# -- computing -------------------------------------------------------------------------------------

def calibration_text() -> Path:
    """The calibration text shipped with slmdesk."""
    from slmdesk.core.resources import resource_path

    return resource_path(*CALIBRATION_TEXT)


def compute_imatrix_task(model: Path, text: Path | None, out: Path, n_ctx: int = 512,
                         chunks: int | None = None) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
    """A task computing the importance matrix of the GGUF ``model`` on ``text`` (None: the shipped
    calibration text) in chunks of ``n_ctx`` tokens (at most ``chunks`` of them), written to
    ``out`` in GGUF imatrix format; it returns ``out``.

    Runs in a child process (``slmdesk quality-child``), with llama-imatrix's defaults (batch
    2048 split into ``2048 // n_ctx`` sequences, every output computed); progress counts
    chunks. The file is written under a temporary name, checked by reading it back, then
    renamed; cancel terminates the child and leaves no file.

    Raises (from the task):
        UserError: the model cannot be loaded, the text is shorter than ``2 * n_ctx`` tokens,
            or the child stopped (the message says how).
        Cancelled: the token was cancelled.
    """
    from slmdesk.quantize.quality import child_task

    source = text or calibration_text()

    def task(token: CancelToken) -> Generator[Progress, None, Path]:
        partial = out.with_name(out.name + ".partial")
        request = {"kind": "imatrix", "model": str(model), "text": str(source), "out": str(partial),
                   "n_ctx": n_ctx, "chunks": chunks, "dataset": source.name if text is None else str(text)}
        try:
            yield from child_task(request, f"Importance matrix of {model.name}")(token)
            load_imatrix(partial)  # it must read back before it takes the final name
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        return out

    return task
