"""The header-only GGUF reader on synthetic files: every ModelSpec field, and one clear error
per kind of damage."""

from __future__ import annotations

import struct
from pathlib import Path

import gguf
import pytest

from slmdesk.core import quant_types
from slmdesk.formats import gguf as reader
from slmdesk.formats.gguf import GGUFFormatError, GGUFHeaderIncomplete, parse_header, read_gguf
from tests.gguf_factory import write_gguf

# -- raw GGUF bytes, for damage a well-behaved writer cannot produce ------------------------


def _str(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def _kv_u32(key: str, value: int) -> bytes:
    return _str(key) + struct.pack("<II", reader.T_UINT32, value)


def _kv_str(key: str, value: str | bytes) -> bytes:
    return _str(key) + struct.pack("<I", reader.T_STRING) + _str(value)


def _tensor_info(name: str, shape: tuple[int, ...], ggml_type: int = 0, offset: int = 0) -> bytes:
    return (
        _str(name)
        + struct.pack("<I", len(shape))
        + b"".join(struct.pack("<Q", d) for d in shape)
        + struct.pack("<IQ", ggml_type, offset)
    )


def _raw(
    kvs: list[bytes],
    tensors: list[bytes] = (),  # type: ignore[assignment]
    data: bytes = b"",
    version: int = 3,
    n_tensors: int | None = None,
    n_kv: int | None = None,
) -> bytes:
    head = b"GGUF" + struct.pack(
        "<IQQ", version, len(tensors) if n_tensors is None else n_tensors, len(kvs) if n_kv is None else n_kv
    )
    body = head + b"".join(kvs) + b"".join(tensors)
    body += b"\0" * (-len(body) % 32)
    return body + data


ARCH = _kv_str("general.architecture", "llama")
ONE_TENSOR = [_tensor_info("token_embd.weight", (4, 2))]  # 8 x f32 = 32 bytes
ONE_TENSOR_DATA = b"\0" * 32


def _gguf_reader_totals(paths: list[Path]) -> tuple[int, int]:
    readers = [gguf.GGUFReader(p) for p in paths]
    return (
        sum(int(t.n_elements) for r in readers for t in r.tensors),
        sum(int(t.n_bytes) for r in readers for t in r.tensors),
    )


# -- the quant-type table ---------------------------------------------------------------------


def test_ggml_type_table_matches_gguf_py() -> None:
    for qtype, (block, size) in gguf.GGML_QUANT_SIZES.items():
        mine = quant_types.GGML_TYPES[int(qtype)]
        assert (mine.name, mine.block_size, mine.type_size) == (qtype.name, block, size)
    assert len(quant_types.GGML_TYPES) == len(gguf.GGML_QUANT_SIZES)


def test_file_type_names_match_gguf_py() -> None:
    for ftype in gguf.LlamaFileType:
        if ftype == gguf.LlamaFileType.GUESSED:
            continue
        expected = ftype.name.removeprefix("MOSTLY_").removeprefix("ALL_")
        assert quant_types.file_type_name(int(ftype)) == expected
    assert quant_types.file_type_name(15) == "Q4_K_M"
    assert quant_types.file_type_name(1024 | 15) == "Q4_K_M"
    assert quant_types.file_type_name(999) is None


def test_kv_cache_row_sizes_follow_ggml_row_size() -> None:
    # 128 values per head row: f16 2n, f32 4n, q8_0 34n/32, q4_0 18n/32, q5_1 24n/32.
    assert quant_types.row_size("f16", 128) == 256
    assert quant_types.row_size("BF16", 128) == 256
    assert quant_types.row_size("f32", 128) == 512
    assert quant_types.row_size("q8_0", 128) == 136
    assert quant_types.row_size("q4_0", 128) == 72
    assert quant_types.row_size("q4_1", 128) == 80
    assert quant_types.row_size("q5_0", 128) == 88
    assert quant_types.row_size("q5_1", 128) == 96
    assert quant_types.row_size("iq4_nl", 128) == 72
    assert quant_types.row_size(8, 64) == 68  # ggml type id of Q8_0
    with pytest.raises(ValueError, match="not a KV-cache type"):
        quant_types.row_size("q4_k", 256)
    with pytest.raises(ValueError, match="multiple"):
        quant_types.row_size("q8_0", 100)


# -- spec fields from synthetic files ---------------------------------------------------------


def test_llama_spec_matches_header_and_gguf_reader(tmp_path: Path) -> None:
    [path] = write_gguf(
        tmp_path / "toy.gguf",
        n_layer=3,
        n_embd=64,
        n_head=8,
        n_head_kv=2,
        n_ff=96,
        context_length=4096,
        n_vocab=40,
        size_label="1M",
        chat_template="{{ messages }}",
        file_type=0,
        tied=False,
        extra_kv={"general.license": "apache-2.0"},
    )
    spec = read_gguf(path)
    n_params, n_bytes = _gguf_reader_totals([path])
    assert spec.format == "gguf"
    assert spec.architecture == "llama"
    assert (spec.name, spec.size_label) == ("Toy", "1M")
    assert spec.n_params == n_params
    assert spec.weights_bytes == n_bytes
    assert spec.data_offset == gguf.GGUFReader(path).data_offset
    assert spec.file_bytes == path.stat().st_size
    assert spec.n_layer == 3
    assert spec.context_length == 4096
    assert spec.n_embd == 64
    assert spec.n_ff == (96, 96, 96)
    assert spec.n_head == (8, 8, 8)
    assert spec.n_head_kv == (2, 2, 2)
    assert (spec.head_dim_k, spec.head_dim_v) == (8, 8)  # n_embd / n_head
    assert spec.n_vocab == 40
    assert spec.chat_template == "{{ messages }}"
    assert spec.quantization == "F32"
    assert spec.tensor_types == (("F32", 3 * 9 + 3),)
    assert spec.tied_embeddings is False
    assert (spec.bos_token_id, spec.eos_token_id) == (1, 2)
    assert spec.alignment == 32
    assert (spec.sliding_window, spec.swa_layers) == (None, ())
    assert ("general.license", "apache-2.0") in spec.metadata
    # Every byte is in exactly one bucket: input + layers + output.
    assert spec.input_weights_bytes == 40 * 64 * 4
    assert spec.output_weights_bytes == 40 * 64 * 4 + 64 * 4
    assert spec.input_weights_bytes + sum(spec.layer_weights_bytes) + spec.output_weights_bytes == n_bytes
    assert len(set(spec.layer_weights_bytes)) == 1


def test_per_layer_arrays_and_defaults(tmp_path: Path) -> None:
    [path] = write_gguf(
        tmp_path / "hybrid.gguf", n_layer=4, n_head=4, n_head_kv=[4, 0, 2, 1], n_ff=[64, 128, 64, 128], key_length=32
    )
    spec = read_gguf(path)
    assert spec.n_head_kv == (4, 0, 2, 1)
    assert spec.n_head_kv_max == 4
    assert spec.n_ff == (64, 128, 64, 128)
    assert spec.head_dim_k == 32
    assert spec.head_dim_v == 64 // 4  # value_length absent: n_embd / n_head


def test_missing_head_count_kv_defaults_to_head_count(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "mha.gguf", n_head=4, n_head_kv=None)
    assert read_gguf(path).n_head_kv == (4, 4)


def test_per_layer_array_of_wrong_length_is_reported(tmp_path: Path) -> None:
    [path] = write_gguf(
        tmp_path / "bad.gguf", n_layer=3, n_head_kv=None, extra_kv={"llama.attention.head_count_kv": [2, 2]}
    )
    with pytest.raises(GGUFFormatError, match="head_count_kv has 2 values but block_count is 3"):
        read_gguf(path)


@pytest.mark.parametrize(
    ("arch", "n_layer", "pattern", "expected_global"),
    [
        ("gemma3", 12, None, {5, 11}),  # default pattern 6
        ("gemma2", 6, None, {1, 3, 5}),  # default pattern 2
        ("cohere2", 8, None, {3, 7}),  # default pattern 4
        ("llama", 6, 3, {2, 5}),  # explicit integer pattern
        ("gemma3", 4, [True, False, False, True], {1, 2}),  # bool array used as is
    ],
)
def test_sliding_window_layers(
    tmp_path: Path, arch: str, n_layer: int, pattern: int | list[bool] | None, expected_global: set[int]
) -> None:
    [path] = write_gguf(tmp_path / "swa.gguf", arch=arch, n_layer=n_layer, sliding_window=512, swa_pattern=pattern)
    spec = read_gguf(path)
    assert spec.sliding_window == 512
    assert {il for il, swa in enumerate(spec.swa_layers) if not swa} == expected_global
    assert len(spec.swa_layers) == n_layer


def test_no_swa_without_window_or_known_pattern(tmp_path: Path) -> None:
    [gemma3] = write_gguf(tmp_path / "g.gguf", arch="gemma3", n_layer=6)
    assert (read_gguf(gemma3).sliding_window, read_gguf(gemma3).swa_layers) == (None, ())
    # phi3-style: a window in the file but an architecture llama.cpp runs without SWA.
    [phi3] = write_gguf(tmp_path / "p.gguf", arch="phi3", n_layer=4, sliding_window=2047)
    assert (read_gguf(phi3).sliding_window, read_gguf(phi3).swa_layers) == (None, ())
    # gemma2 without the key: llama.cpp's default window 4096.
    [gemma2] = write_gguf(tmp_path / "g2.gguf", arch="gemma2", n_layer=4)
    assert read_gguf(gemma2).sliding_window == 4096


def test_swa_rule_from_llama_hparams() -> None:
    assert reader.swa_layers_from_pattern(7, 6) == (True,) * 5 + (False, True)
    assert reader.swa_layers_from_pattern(3, 0) == (True, True, True)
    assert reader.swa_layers_from_pattern(2, 1) == (False, False)


def test_eog_ids_from_keys_and_token_texts(tmp_path: Path) -> None:
    [path] = write_gguf(
        tmp_path / "chat.gguf",
        n_vocab=300,
        extra_tokens=["<|im_start|>", "<|im_end|>", "<end_of_turn>x", "<end_of_turn>"],
        eos_token_id=2,
        eot_token_id=4,
    )
    spec = read_gguf(path)
    # eos (2), eot (4 = <|im_end|>, listed once), then <end_of_turn> (6) found by its text;
    # "<end_of_turn>x" (5) is a different token.
    assert spec.eog_token_ids == (2, 4, 6)
    assert spec.n_vocab == 300


def test_vocab_size_falls_back_to_token_count(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "v.gguf", n_vocab=77, vocab_size_key=False, n_merges=50)
    assert read_gguf(path).n_vocab == 77


def test_quantization_from_file_type_or_guessed(tmp_path: Path) -> None:
    [named] = write_gguf(tmp_path / "q.gguf", tensor_type="Q8_0", file_type=7)
    assert read_gguf(named).quantization == "Q8_0"
    [k_quant] = write_gguf(tmp_path / "k.gguf", n_embd=256, n_head=4, n_ff=256, tensor_type="Q4_K", file_type=15)
    spec = read_gguf(k_quant)
    assert spec.quantization == "Q4_K_M"
    assert spec.weights_bytes == _gguf_reader_totals([k_quant])[1]
    [guessed] = write_gguf(tmp_path / "g.gguf", n_embd=256, n_head=4, n_ff=256, tensor_type="Q4_K")
    spec = read_gguf(guessed)
    assert spec.quantization == "Q4_K_M"  # llama.cpp's guess for mostly-Q4_K files
    assert ("quantization_guessed", "true") in spec.metadata


def test_custom_alignment(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "a.gguf", alignment=256)
    spec = read_gguf(path)
    assert spec.alignment == 256
    assert spec.data_offset % 256 == 0
    assert spec.data_offset == gguf.GGUFReader(path).data_offset


def test_version_2_is_read_and_version_1_rejected(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "v.gguf")
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", 2)
    assert parse_header(bytes(data)).version == 2
    data[4:8] = struct.pack("<I", 1)
    with pytest.raises(GGUFFormatError, match=r"GGUF version 1 is not supported.*at byte 4"):
        parse_header(bytes(data))


def test_big_header_is_read_in_growing_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [path] = write_gguf(tmp_path / "vocab.gguf", n_vocab=5000, n_merges=3000, extra_tokens=["<|eot_id|>"])
    monkeypatch.setattr(reader, "FIRST_READ_BYTES", 1000)
    spec = read_gguf(path)
    assert spec.n_vocab == 5000
    assert spec.eog_token_ids == (2, 3)
    assert spec.data_offset == gguf.GGUFReader(path).data_offset


def test_prefix_parse_asks_for_more_bytes(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "p.gguf", n_vocab=2000)
    data = path.read_bytes()
    with pytest.raises(GGUFHeaderIncomplete, match="the header continues past the 500 bytes read so far") as info:
        parse_header(data[:500], file_size=len(data))
    assert 500 < info.value.needed_bytes <= len(data)
    prefix = data[: read_gguf(path).data_offset]
    assert parse_header(prefix, file_size=len(data)).data_offset == len(prefix)


# -- one clear error per kind of damage -------------------------------------------------------


def _error(data: bytes) -> GGUFFormatError:
    def read() -> None:
        header = parse_header(data)
        reader.spec_from_headers(Path("x.gguf"), (Path("x.gguf"),), (header,))

    with pytest.raises(GGUFFormatError, match="is not a readable GGUF file: ") as info:
        read()
    return info.value


@pytest.mark.parametrize(
    ("data", "what", "offset"),
    [
        (b"", "ends at byte 0 inside the magic", 0),
        (b"GGML" + b"\0" * 40, "starts with b'GGML'", 0),
        (b"GGUF" + struct.pack("<I", 3 << 24) + b"\0" * 16, "byte-swapped", 4),
        (b"GGUF" + struct.pack("<IQQ", 3, 2**63, 0), "claims 9223372036854775808 tensors", 8),
        (_raw([_str("k") + struct.pack("<I", 8) + struct.pack("<Q", 2**40)]), "claims 1099511627776 bytes", 37),
        (_raw([_str("k") + struct.pack("<IIQ", 9, 4, 2**60)]), "claims 1152921504606846976 u32 values", 37),
        (_raw([_str("k") + struct.pack("<IIQ", 9, 8, 2**60)]), "claims 1152921504606846976 strings", 37),
        (_raw([_str("k") + struct.pack("<IIQ", 9, 9, 1)]), "holds arrays", 37),
        (_raw([_str("k") + struct.pack("<I", 13) + b"\0" * 8]), "unknown value type 13", 33),
        (_raw([_str(b"\xff\xfe") + struct.pack("<IB", 0, 1)]), "not valid UTF-8", 32),
        (_raw([ARCH, _kv_str("general.name", b"caf\xe9")]), "not valid UTF-8", 104),
        (_raw([ARCH, ARCH]), "duplicate key 'general.architecture'", 69),
        (_raw([ARCH, _kv_u32("general.alignment", 24)]), "general.alignment 24 is not a positive power of two", 69),
        (_raw([ARCH], [_tensor_info("t", (1, 1, 1, 1, 1))]), "5 dimensions", 78),
        (_raw([ARCH], [_tensor_info("t", (32,), 99)]), "unknown ggml type 99", 90),
        (_raw([ARCH], [_tensor_info("t", (30,), 8)]), "row of 30 values, not a multiple of its block size 32", 69),
        (_raw([ARCH], [_tensor_info("t", (2**62, 4))]), "impossible shape", 69),
        (_raw([ARCH], [_tensor_info("t" * 64, (4,))]), "longer than 63 bytes", 69),
        (_raw([ARCH], ONE_TENSOR, b"\0" * 31), "tensor data ends at byte 160 but the file has only 159 bytes", 128),
        (
            _raw([ARCH], [_tensor_info("token_embd.weight", (4, 2), offset=64)], b"\0" * 96),
            "offset 64, expected 0",
            118,
        ),
        (_raw([_kv_u32("llama.block_count", 2)], ONE_TENSOR, ONE_TENSOR_DATA), "general.architecture is missing", None),
        (_raw([ARCH, _kv_u32("llama.block_count", 2**31)], ONE_TENSOR, ONE_TENSOR_DATA), "more than 4096 layers", 69),
        (
            _raw([ARCH, _kv_str("llama.context_length", "8k")], ONE_TENSOR, ONE_TENSOR_DATA),
            "is a string, not an integer",
            69,
        ),
    ],
)
def test_damage_gives_one_error_with_offset(data: bytes, what: str, offset: int | None) -> None:
    error = _error(data)
    assert what in error.message
    assert error.offset == offset
    if offset is not None:
        assert f"at byte {offset}" in error.message
    assert error.hint  # tells the user what to do


def test_truncation_at_every_byte_is_reported(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "t.gguf", n_vocab=40, chat_template="hi")
    data = path.read_bytes()
    end_of_header = read_gguf(path).data_offset
    for cut in range(end_of_header + 1):
        error = _error(data[:cut])
        assert error.offset is not None and error.offset < len(data)
        assert any(word in error.message for word in (f"byte {cut} ", "left", "past the end", "file has only"))


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<I", 3))
    with pytest.raises(GGUFFormatError, match=r"^model.gguf is not a readable GGUF file: the file ends at byte 8"):
        read_gguf(path)
    with pytest.raises(reader.UserError, match="Cannot read"):
        read_gguf(tmp_path / "absent.gguf")
