"""The importance-matrix child: collects per-column sums of squared activations through
llama.cpp's graph eval callback, exactly as ``llama-imatrix`` does.

``llama_context_params.cb_eval`` (a ``ggml_backend_sched_eval_callback``) is called for every
graph node, first with ``ask=True`` ("do you want this node's data?"), then, for the nodes
answered yes, with ``ask=False`` once they are computed. The collector mirrors
``IMatrixCollector::collect_imatrix`` of ``tools/imatrix/imatrix.cpp`` (llama.cpp vendored by
llama-cpp-python 0.3.36): it takes ``MUL_MAT`` nodes whose weight (``src0``) is named
``blk.*`` and whose activations (``src1``) are F32 with at least 16 rows, and every
``MUL_MAT_ID`` node; for each it adds ``src1``'s squared values per column to the weight's
``in_sum2`` (per expert for ``MUL_MAT_ID``) and the number of rows to its ``counts``.

Reading a node needs the ``ggml_tensor`` layout, which is not part of llama-cpp-python:
:class:`GgmlTensor` copies it from ``ggml/include/ggml.h`` of the same llama.cpp, and
:func:`check_layout` compares its size with what the loaded ggml reports
(``ggml_tensor_overhead() - GGML_OBJECT_SIZE``) before any callback runs; the op numbers
are looked up by name (``ggml_op_name``), not copied.
"""

from __future__ import annotations

import ctypes
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slmdesk.quantize.quality_child import (
    ChildError,
    Emit,
    chunk_logits,
    init_runtime,
    load,
    load_vocab_only,
    make_plan,
    read_text,
    tokenize,
)

GGML_MAX_DIMS = 4
GGML_MAX_SRC = 10
GGML_MAX_OP_PARAMS = 64
GGML_MAX_NAME = 64
GGML_OBJECT_SIZE = 32
"""``sizeof(struct ggml_object)`` in ``ggml/src/ggml.c``: offs, size, next, type + padding."""
GGML_TYPE_F32 = 0
MIN_ROWS = 16
"""``collect_imatrix`` ignores matrix products of fewer than 16 activation rows."""


class GgmlTensor(ctypes.Structure):
    """``struct ggml_tensor`` of ``ggml/include/ggml.h`` (llama.cpp ``0c1e57098``)."""


GgmlTensor._fields_ = [
    ("type", ctypes.c_int),
    ("buffer", ctypes.c_void_p),
    ("ne", ctypes.c_int64 * GGML_MAX_DIMS),
    ("nb", ctypes.c_size_t * GGML_MAX_DIMS),
    ("op", ctypes.c_int),
    ("op_params", ctypes.c_int32 * (GGML_MAX_OP_PARAMS // 4)),
    ("flags", ctypes.c_int32),
    ("src", ctypes.POINTER(GgmlTensor) * GGML_MAX_SRC),
    ("view_src", ctypes.POINTER(GgmlTensor)),
    ("view_offs", ctypes.c_size_t),
    ("data", ctypes.c_void_p),
    ("name", ctypes.c_char * GGML_MAX_NAME),
    ("extra", ctypes.c_void_p),
    ("padding", ctypes.c_char * 8),
]


def _ggml() -> ctypes.CDLL:
    from slmdesk.engine import llama_runtime

    lib = llama_runtime.libggml()
    lib.ggml_tensor_overhead.restype = ctypes.c_size_t
    lib.ggml_tensor_overhead.argtypes = []
    lib.ggml_op_name.restype = ctypes.c_char_p
    lib.ggml_op_name.argtypes = [ctypes.c_int]
    lib.ggml_backend_buffer_is_host.restype = ctypes.c_bool
    lib.ggml_backend_buffer_is_host.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_tensor_get.restype = None
    lib.ggml_backend_tensor_get.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
    lib.ggml_nbytes.restype = ctypes.c_size_t
    lib.ggml_nbytes.argtypes = [ctypes.c_void_p]
    return lib


def check_layout(lib: ctypes.CDLL) -> None:
    """Raise ChildError when the loaded ggml's tensor struct is not :class:`GgmlTensor`'s size."""
    expected = lib.ggml_tensor_overhead() - GGML_OBJECT_SIZE
    if ctypes.sizeof(GgmlTensor) != expected:
        raise ChildError(f"This llama.cpp build's tensor layout ({expected} bytes) is not the one slmdesk reads "
                         f"({ctypes.sizeof(GgmlTensor)} bytes); the importance matrix cannot be computed.")


def op_numbers(lib: ctypes.CDLL) -> tuple[int, int]:
    """``(GGML_OP_MUL_MAT, GGML_OP_MUL_MAT_ID)`` of the loaded ggml, found by name."""
    found: dict[str, int] = {}
    for op in range(1, 200):
        name = lib.ggml_op_name(op)
        if name in (b"MUL_MAT", b"MUL_MAT_ID"):
            found[name.decode()] = op
        if len(found) == 2:
            return found["MUL_MAT"], found["MUL_MAT_ID"]
    raise ChildError("This llama.cpp build has no MUL_MAT operation; the importance matrix cannot be computed.")


def filter_tensor_name(name: str) -> str:
    """``CUDA0#blk.0.attn_k.weight#0`` -> ``blk.0.attn_k.weight`` (``filter_tensor_name``)."""
    if "#" in name:
        rest = name.split("#", 1)[1]
        return rest.split("#", 1)[0]
    return name


class Collector:
    """``IMatrixCollector``'s statistics: per weight name, ``values`` (float64, ``n_mat *
    n_cols``) and ``counts`` (int64, one per matrix; one in all for a dense weight)."""

    def __init__(self, lib: ctypes.CDLL, process_output: bool = False) -> None:
        self.lib = lib
        self.mul_mat, self.mul_mat_id = op_numbers(lib)
        self.process_output = process_output
        self.values: dict[str, npt.NDArray[np.float64]] = {}
        self.counts: dict[str, npt.NDArray[np.int64]] = {}
        self.error: BaseException | None = None
        self.callback = self._make_callback()

    def _make_callback(self) -> Any:
        import llama_cpp

        def callback(node: int, ask: bool, _user_data: int) -> bool:
            try:
                return self._on_node(node, ask)
            except BaseException as error:  # noqa: BLE001  (no exception may cross into C: kept, raised after)
                if self.error is None:
                    self.error = error
                return False

        return llama_cpp.ggml_backend_sched_eval_callback(callback)

    def _array(self, tensor: GgmlTensor, address: int, dtype: type) -> npt.NDArray[Any]:
        """The tensor's data as an array of shape ``(ne3, ne2, ne1, ne0)`` (copied from the
        device when its buffer is not in host memory)."""
        nbytes = self.lib.ggml_nbytes(address)
        if tensor.buffer and not self.lib.ggml_backend_buffer_is_host(tensor.buffer):
            host = np.empty(nbytes, dtype=np.uint8)
            self.lib.ggml_backend_tensor_get(address, host.ctypes.data, 0, nbytes)
            base = host
        else:
            base = np.ctypeslib.as_array(ctypes.cast(tensor.data, ctypes.POINTER(ctypes.c_uint8)), shape=(nbytes,))
        shape = tuple(int(tensor.ne[i]) for i in (3, 2, 1, 0))
        strides = tuple(int(tensor.nb[i]) for i in (3, 2, 1, 0))
        return np.ndarray(shape=shape, dtype=dtype, buffer=base, strides=strides)

    def _on_node(self, node: int, ask: bool) -> bool:
        t = GgmlTensor.from_address(node)
        if t.op not in (self.mul_mat, self.mul_mat_id):
            return False
        src0 = t.src[0].contents
        src1_pointer = t.src[1]
        src1 = src1_pointer.contents
        wname = filter_tensor_name(src0.name.decode("utf-8", errors="replace"))
        if ask:
            if t.op == self.mul_mat_id:
                return True
            if src1.ne[1] < MIN_ROWS or src1.type != GGML_TYPE_F32:
                return False
            return wname.startswith("blk.") or (self.process_output and wname == "output.weight")
        src1_address = ctypes.addressof(src1)
        x = self._array(src1, src1_address, np.float32)  # (ne3, ne2, ne1, ne0)
        ne0 = int(src1.ne[0])
        if t.op == self.mul_mat_id:
            ids_tensor = t.src[2].contents
            ids = self._array(ids_tensor, ctypes.addressof(ids_tensor), np.int32)[0, 0]  # (n_tokens, n_ids)
            n_as = int(src0.ne[2])
            values = self.values.setdefault(wname, np.zeros((n_as, ne0)))
            counts = self.counts.setdefault(wname, np.zeros(n_as, dtype=np.int64))
            if counts.size == 1 and n_as > 1:
                counts = self.counts[wname] = np.full(n_as, counts[0], dtype=np.int64)
            if values.shape != (n_as, ne0):
                raise ChildError(f"Inconsistent size for {wname}.")
            activations = x[0]  # (n_tokens, ne1, ne0)
            for idx in range(ids.shape[1]):
                experts = ids[:, idx].astype(np.int64)
                rows = activations[:, idx % activations.shape[1], :].astype(np.float64)
                np.add.at(values, experts, rows * rows)
                counts += np.bincount(experts, minlength=n_as)
        else:
            n_mat = int(src0.ne[2] * src0.ne[3])
            values = self.values.setdefault(wname, np.zeros((n_mat, ne0)))
            counts = self.counts.setdefault(wname, np.zeros(1, dtype=np.int64))
            if counts.size > 1 and np.all(counts == counts[0]):
                counts = self.counts[wname] = counts[:1].copy()
            if values.shape != (n_mat, ne0):
                raise ChildError(f"Inconsistent size for {wname}: {values.shape} and {(n_mat, ne0)}.")
            squares = np.square(x, dtype=np.float64).sum(axis=2)  # (ne3, ne2, ne0)
            for i3 in range(squares.shape[0]):
                for i2 in range(squares.shape[1]):
                    mat_id = (i3 % int(src0.ne[3])) * int(src0.ne[2]) + (i2 % int(src0.ne[2]))
                    values[mat_id] += squares[i3, i2]
            counts += int(src1.ne[1] * src1.ne[2] * src1.ne[3]) // n_mat
        if not np.all(np.isfinite(values)):
            raise ChildError(f"Non-finite activations in {wname}: the model produced NaN or infinity.")
        return True


def run_imatrix(request: dict[str, Any], emit: Emit) -> dict[str, Any]:
    """Compute the importance matrix of ``request["model"]`` on ``request["text"]`` and write it
    (GGUF imatrix format) to ``request["out"]``; returns ``{"chunk_count", "chunk_size",
    "entries", "n_tokens", "seconds"}``."""
    from slmdesk.quantize.imatrix import ImatrixStats, write_imatrix_gguf

    started = time.monotonic()
    repack = init_runtime()
    lib = _ggml()
    check_layout(lib)
    model = Path(request["model"])
    text = read_text(Path(request["text"]))
    probe = load_vocab_only(model)
    try:
        tokens = tokenize(probe.vocab, text)
    finally:
        probe.close()
    plan = make_plan(len(tokens), int(request["n_ctx"]), request.get("n_batch"), request.get("chunks"))
    collector = Collector(lib)
    emit({"event": "progress", "done": 0, "total": plan.n_chunk, "message": f"Loading {model.name}"})
    loaded = load(model, plan, repack, request.get("threads"), cb_eval=collector.callback)
    try:
        for done, _ in chunk_logits(loaded, tokens, plan, all_outputs=True, want_logits=False):
            if collector.error is not None:
                break
            emit({"event": "progress", "done": done, "total": plan.n_chunk,
                  "message": f"{done}/{plan.n_chunk} chunks of {plan.n_ctx} tokens"})
    finally:
        loaded.close()
    if collector.error is not None:
        if isinstance(collector.error, ChildError):
            raise collector.error
        raise ChildError(f"Collecting activations failed: {type(collector.error).__name__}: {collector.error}")
    if not collector.values:
        raise ChildError(f"No weight of {model.name} was seen in a matrix product; nothing to write.")
    chunk_size = plan.n_ctx
    chunk_count = max(int(c.max()) for c in collector.counts.values()) // chunk_size
    stats = ImatrixStats(
        sums={name: values.astype(np.float32) for name, values in collector.values.items()},
        counts={name: counts.astype(np.float32) for name, counts in collector.counts.items()},
        datasets=[str(request.get("dataset") or request["text"])],
        chunk_count=chunk_count,
        chunk_size=chunk_size,
    )
    write_imatrix_gguf(stats, Path(request["out"]))
    return {"chunk_count": chunk_count, "chunk_size": chunk_size, "entries": len(collector.values),
            "n_tokens": plan.n_chunk * plan.n_ctx, "seconds": time.monotonic() - started}
