"""Importance-matrix files: the GGUF format llama-imatrix writes and the legacy ``.dat`` one,
read back as the means the quantizer uses, and the ctypes array handed to llama.cpp."""

from __future__ import annotations

import ctypes
import struct
from pathlib import Path

import gguf
import numpy as np
import pytest

from slmdesk.core.errors import UserError
from slmdesk.quantize.imatrix import (
    ImatrixStats,
    imatrix_for_quantize,
    load_imatrix,
    read_imatrix_stats,
    write_imatrix_dat,
    write_imatrix_gguf,
)


def _stats() -> ImatrixStats:
    rng = np.random.default_rng(7)
    return ImatrixStats(
        sums={
            "blk.0.attn_q.weight": (rng.random((1, 8)) * 100).astype(np.float32),
            "blk.0.ffn_down.weight": (rng.random((1, 16)) * 100).astype(np.float32),
            # merged experts: three matrices, the last never routed to
            "blk.1.ffn_up_exps.weight": np.vstack([rng.random((2, 8)) * 50, np.zeros((1, 8))]).astype(np.float32),
        },
        counts={
            "blk.0.attn_q.weight": np.array([256], dtype=np.float32),
            "blk.0.ffn_down.weight": np.array([256], dtype=np.float32),
            "blk.1.ffn_up_exps.weight": np.array([100, 156, 0], dtype=np.float32),
        },
        datasets=["calibration.txt"],
        chunk_count=2,
        chunk_size=128,
    )


def test_gguf_round_trip_keeps_sums_counts_and_metadata(tmp_path: Path) -> None:
    stats = _stats()
    path = tmp_path / "imatrix.gguf"
    write_imatrix_gguf(stats, path)

    back = read_imatrix_stats(path)

    assert back.datasets == ["calibration.txt"]
    assert (back.chunk_count, back.chunk_size, back.legacy) == (2, 128, False)
    assert sorted(back.sums) == sorted(stats.sums)
    for name in stats.sums:
        np.testing.assert_array_equal(back.sums[name], stats.sums[name])
        np.testing.assert_array_equal(back.counts[name], stats.counts[name])


def test_the_file_is_laid_out_as_llama_imatrix_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "imatrix.gguf"
    write_imatrix_gguf(_stats(), path)

    reader = gguf.GGUFReader(path)

    assert [key for key in reader.fields if not key.startswith("GGUF.")] == [
        "general.type", "imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"]
    assert reader.fields["general.type"].contents() == "imatrix"
    assert reader.fields["imatrix.chunk_count"].types == [gguf.GGUFValueType.UINT32]
    names = [str(t.name) for t in reader.tensors]
    # weights sorted by name, each as gguf_add_tensor got them: in_sum2, then counts
    assert names == ["blk.0.attn_q.weight.in_sum2", "blk.0.attn_q.weight.counts", "blk.0.ffn_down.weight.in_sum2",
                     "blk.0.ffn_down.weight.counts", "blk.1.ffn_up_exps.weight.in_sum2",
                     "blk.1.ffn_up_exps.weight.counts"]
    shapes = {str(t.name): [int(n) for n in t.shape] for t in reader.tensors}
    # ggml order [n_cols, n_mat]; trailing 1s dropped as ggml_n_dims does
    assert shapes["blk.0.attn_q.weight.in_sum2"] == [8]
    assert shapes["blk.0.attn_q.weight.counts"] == [1]
    assert shapes["blk.1.ffn_up_exps.weight.in_sum2"] == [8, 3]
    assert shapes["blk.1.ffn_up_exps.weight.counts"] == [1, 3]
    assert all(t.tensor_type == gguf.GGMLQuantizationType.F32 for t in reader.tensors)


def test_means_divide_by_counts_and_unseen_experts_read_as_one(tmp_path: Path) -> None:
    stats = _stats()
    path = tmp_path / "imatrix.gguf"
    write_imatrix_gguf(stats, path)

    data = load_imatrix(path)

    np.testing.assert_allclose(data.values["blk.0.attn_q.weight"], stats.sums["blk.0.attn_q.weight"][0] / 256,
                               rtol=1e-6)
    experts = data.values["blk.1.ffn_up_exps.weight"].reshape(3, 8)
    np.testing.assert_allclose(experts[0], stats.sums["blk.1.ffn_up_exps.weight"][0] / 100, rtol=1e-6)
    np.testing.assert_allclose(experts[1], stats.sums["blk.1.ffn_up_exps.weight"][1] / 156, rtol=1e-6)
    np.testing.assert_array_equal(experts[2], np.ones(8, dtype=np.float32))
    assert data.values["blk.1.ffn_up_exps.weight"].dtype == np.float32
    assert (data.chunk_count, data.chunk_size, data.datasets) == (2, 128, ["calibration.txt"])


def _legacy_bytes(entries: list[tuple[str, int, list[float]]], tail: tuple[int, str] | None) -> bytes:
    """A ``.dat`` file exactly as ``save_imatrix_legacy`` (tools/imatrix/imatrix.cpp) writes it."""
    out = struct.pack("<i", len(entries))
    for name, ncall, values in entries:
        raw = name.encode()
        out += struct.pack("<i", len(raw)) + raw + struct.pack("<ii", ncall, len(values))
        out += struct.pack(f"<{len(values)}f", *values)
    if tail is not None:
        chunks, dataset = tail
        out += struct.pack("<ii", chunks, len(dataset)) + dataset.encode()
    return out


def test_legacy_dat_means_are_values_over_ncall(tmp_path: Path) -> None:
    path = tmp_path / "imatrix.dat"
    path.write_bytes(_legacy_bytes([("blk.0.attn_q.weight", 4, [4.0, 8.0, 2.0]),
                                    ("blk.0.attn_k.weight", 0, [3.0, 5.0])], (4, "wiki.train.raw")))

    data = load_imatrix(path)

    np.testing.assert_allclose(data.values["blk.0.attn_q.weight"], [1.0, 2.0, 0.5])
    np.testing.assert_allclose(data.values["blk.0.attn_k.weight"], [3.0, 5.0])  # ncall 0: the values as stored
    assert (data.chunk_count, data.chunk_size, data.datasets) == (4, 0, ["wiki.train.raw"])


def test_legacy_dat_without_the_optional_tail(tmp_path: Path) -> None:
    path = tmp_path / "old.dat"
    path.write_bytes(_legacy_bytes([("blk.3.ffn_up.weight", 2, [6.0, 2.0])], None))

    data = load_imatrix(path)

    np.testing.assert_allclose(data.values["blk.3.ffn_up.weight"], [3.0, 1.0])
    assert (data.chunk_count, data.datasets) == (0, [])


def test_legacy_writer_and_gguf_give_the_same_means(tmp_path: Path) -> None:
    stats = _stats()
    write_imatrix_gguf(stats, tmp_path / "a.gguf")
    write_imatrix_dat(stats, tmp_path / "a.dat")

    from_gguf = load_imatrix(tmp_path / "a.gguf").values
    from_dat = load_imatrix(tmp_path / "a.dat").values

    assert sorted(from_dat) == sorted(from_gguf)
    for name in from_gguf:
        np.testing.assert_allclose(from_dat[name], from_gguf[name], rtol=1e-5)


@pytest.mark.parametrize("content", [b"", b"\x00\x00\x00\x00", b"not an imatrix at all", b"\x05\x00\x00\x00\xff"])
def test_other_files_are_refused_with_a_message(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.dat"
    path.write_bytes(content)

    with pytest.raises(UserError, match="importance matrix"):
        load_imatrix(path)


def test_a_gguf_model_is_not_an_imatrix(tmp_path: Path) -> None:
    from tests.gguf_factory import write_gguf

    [model] = write_gguf(tmp_path / "Toy.gguf")

    with pytest.raises(UserError, match="no importance-matrix data"):
        load_imatrix(model)


def test_the_ctypes_array_is_terminated_and_points_at_the_means(tmp_path: Path) -> None:
    import llama_cpp

    stats = _stats()
    path = tmp_path / "imatrix.gguf"
    write_imatrix_gguf(stats, path)

    array, keepalive = imatrix_for_quantize(path)

    assert keepalive is not None
    assert len(array) == 4
    assert isinstance(array[0], llama_cpp.llama_model_imatrix_data)
    assert array[3].name is None and not array[3].data and array[3].size == 0
    entries = {array[i].name.decode(): array[i] for i in range(3)}
    assert sorted(entries) == sorted(stats.sums)
    assert entries["blk.1.ffn_up_exps.weight"].size == 24
    values = np.ctypeslib.as_array(entries["blk.0.attn_q.weight"].data, shape=(8,))
    np.testing.assert_allclose(values, stats.sums["blk.0.attn_q.weight"][0] / 256, rtol=1e-6)


def test_llama_cpp_quantizes_with_the_array_what_it_refuses_without(tmp_path: Path) -> None:
    """IQ2_XS needs an importance matrix (field notes 2.1): with the array it succeeds."""
    import llama_cpp

    from tests.gguf_factory import write_gguf

    [model] = write_gguf(tmp_path / "Toy.F32.gguf", n_embd=256, n_ff=512, n_head=4, n_head_kv=4, n_vocab=256)
    reader = gguf.GGUFReader(model)
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        if tensor.name.startswith("blk.") and len(tensor.shape) == 2:
            sums[tensor.name] = np.full((1, int(tensor.shape[0])), 512.0, dtype=np.float32)
            counts[tensor.name] = np.array([256], dtype=np.float32)
    imatrix = tmp_path / "toy.imatrix.gguf"
    write_imatrix_gguf(ImatrixStats(sums=sums, counts=counts, datasets=["t"], chunk_count=2, chunk_size=128),
                       imatrix)

    def quantize(with_imatrix: bool) -> int:
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_IQ2_XS
        params.nthread = 1
        keep = None
        if with_imatrix:
            array, keep = imatrix_for_quantize(imatrix)
            params.imatrix = ctypes.cast(array, type(params.imatrix))
        out = tmp_path / f"toy-{with_imatrix}.gguf"
        rc: int = llama_cpp.llama_model_quantize(str(model).encode(), str(out).encode(), ctypes.byref(params))
        del keep
        return rc

    assert quantize(False) == 1
    assert quantize(True) == 0
