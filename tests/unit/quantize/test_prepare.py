"""``prepare``: every check a quantization passes before anything runs, on small synthetic GGUFs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gguf
import pytest

from slmdesk.core.errors import UserError
from slmdesk.formats.gguf import read_header
from slmdesk.quantize import gguf_quantize
from slmdesk.quantize.gguf_quantize import default_output, offered_types, prepare
from slmdesk.quantize.types import QUANT_TYPES, metadata_bytes, predicted_size, quant_type, tensor_types
from tests.gguf_factory import write_gguf

F16 = 1


def _f16(tmp_path: Path, **kwargs: Any) -> Path:
    shape: dict[str, Any] = {"n_embd": 256, "n_ff": 512, "n_head": 4, "n_head_kv": 4, "n_layer": 2}
    shape.update(kwargs)
    [path] = write_gguf(tmp_path / "Toy.F16.gguf", tensor_type="F16", file_type=F16, **shape)
    return path


def test_a_plan_for_an_f16_source(tmp_path: Path) -> None:
    source = _f16(tmp_path)
    plan = prepare(source, "q4_k_m")
    assert plan.out == tmp_path / "Toy-Q4_K_M.gguf"
    assert plan.temporary == tmp_path / ".Toy-Q4_K_M.gguf.part"
    assert (plan.type.name, plan.type.ftype, plan.source_type) == ("Q4_K_M", 15, "F16")
    assert plan.warnings == () and plan.allow_requantize is False
    assert 0 < plan.predicted_bytes < source.stat().st_size
    # 2 layers x 7 matrices + the (tied) token embedding; norms stay F32.
    assert sum(plan.tensor_types.values()) == len(read_header(source).tensors)
    assert plan.tensor_types["F32"] == 5
    assert plan.child_spec()["ftype"] == 15 and plan.child_spec()["out"] == str(plan.temporary)
    assert plan.argv()[-2] == "quantize-child"
    with pytest.raises(TypeError):
        plan.tensor_types["Q4_K"] = 0  # type: ignore[index]


def test_the_output_may_not_replace_the_source(tmp_path: Path) -> None:
    source = _f16(tmp_path)
    with pytest.raises(UserError, match="would replace the source"):
        prepare(source, "Q8_0", source)
    link = tmp_path / "link.gguf"
    link.symlink_to(source)
    with pytest.raises(UserError, match="would replace the source"):
        prepare(source, "Q8_0", link, overwrite=True)


def test_an_existing_output_is_kept_unless_overwrite(tmp_path: Path) -> None:
    source = _f16(tmp_path)
    out = tmp_path / "taken.gguf"
    out.write_bytes(b"x")
    with pytest.raises(UserError, match="already exists"):
        prepare(source, "Q8_0", out)
    assert prepare(source, "Q8_0", out, overwrite=True).out == out


@pytest.mark.parametrize(("name", "message"), [("Q9_9", "Unknown quantization type 'Q9_9'"),
                                                ("MXFP4_MOE", "for mixture-of-experts models")])
def test_types_that_are_not_offered_for_this_model(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(UserError, match=message) as error:
        prepare(_f16(tmp_path), name)
    if name == "Q9_9":
        assert "Q4_K_M" in error.value.hint


IMATRIX_TYPES = ["IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XS", "IQ3_XXS", "Q2_K_S"]


@pytest.mark.parametrize("name", IMATRIX_TYPES)
def test_imatrix_types_are_refused_without_one(tmp_path: Path, name: str) -> None:
    source = _f16(tmp_path)
    with pytest.raises(UserError, match=f"{name} needs an importance matrix") as error:
        prepare(source, name)
    assert "--imatrix" in error.value.hint
    imatrix = tmp_path / "toy.imatrix.gguf"
    imatrix.write_bytes(b"GGUF")
    plan = prepare(source, name, imatrix=imatrix, calibration_sha256="ab" * 32)
    assert (plan.imatrix, plan.child_spec()["imatrix"]) == (imatrix, str(imatrix))
    with pytest.raises(UserError, match="does not exist"):
        prepare(source, name, imatrix=tmp_path / "missing.dat")


def test_a_quantized_source_needs_allow_requantize_and_gets_a_warning(tmp_path: Path) -> None:
    [source] = write_gguf(tmp_path / "toy-Q8_0.gguf", tensor_type="Q8_0", file_type=7, n_embd=256, n_ff=512)
    with pytest.raises(UserError, match=r"already quantized \(Q8_0\)") as error:
        prepare(source, "Q4_0")
    assert "--allow-requantize" in error.value.hint
    plan = prepare(source, "Q4_0", allow_requantize=True)
    assert plan.allow_requantize and plan.child_spec()["allow_requantize"] is True
    assert plan.warnings == (
        "Requantizing a Q8_0 model: the result is worse than Q4_0 made from the original weights.",)
    assert plan.out.name == "toy-Q4_0.gguf"


def test_sources_that_are_not_gguf_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        prepare(tmp_path / "nothing.gguf", "Q8_0")
    text = tmp_path / "notes.gguf"
    text.write_text("not a model", encoding="utf-8")
    with pytest.raises(UserError, match=r"notes\.gguf is not a readable GGUF file"):
        prepare(text, "Q8_0")
    with pytest.raises(UserError, match="is not a GGUF file"):
        prepare(tmp_path, "Q8_0")
    with pytest.raises(UserError, match=r"must end in \.gguf"):
        prepare(_f16(tmp_path), "Q8_0", tmp_path / "out.bin")


def test_free_disk_must_hold_the_predicted_output_and_a_margin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _f16(tmp_path)
    predicted = prepare(source, "Q8_0").predicted_bytes
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr("slmdesk.quantize.gguf_quantize.shutil.disk_usage",
                        lambda _path: usage._replace(free=predicted + gguf_quantize.DISK_MARGIN_BYTES - 1))
    with pytest.raises(UserError, match="Not enough free disk space"):
        prepare(source, "Q8_0")
    monkeypatch.setattr("slmdesk.quantize.gguf_quantize.shutil.disk_usage",
                        lambda _path: usage._replace(free=predicted + gguf_quantize.DISK_MARGIN_BYTES))
    assert prepare(source, "Q8_0").predicted_bytes == predicted


def test_every_llama_cpp_type_is_offered_with_its_ftype_number() -> None:
    wanted = ["Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q5_0", "Q5_1", "Q4_K_M", "Q4_K_S", "Q4_0", "Q4_1", "IQ4_XS",
              "IQ4_NL", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K", "Q2_K_S", "IQ3_M", "IQ3_S", "IQ3_XS", "IQ3_XXS", "IQ2_M",
              "IQ2_S", "IQ2_XS", "IQ2_XXS", "IQ1_M", "IQ1_S", "TQ1_0", "TQ2_0", "F16", "BF16"]
    assert set(wanted) <= set(QUANT_TYPES)
    for name in wanted:
        assert QUANT_TYPES[name].ftype == gguf.LlamaFileType[f"MOSTLY_{name}"].value, name
    assert [t.name for t in offered_types()][:3] == ["F16", "BF16", "Q8_0"]
    assert {t.name for t in offered_types() if t.needs_imatrix} == set(IMATRIX_TYPES)
    assert quant_type("q4_k") == QUANT_TYPES["Q4_K_M"] and quant_type("Q7") is None


def test_rows_that_k_quants_cannot_hold_fall_back_like_llama_cpp(tmp_path: Path) -> None:
    """n_embd 96 is no multiple of 256: Q4_K falls back to Q5_0 and Q6_K to Q8_0
    (tensor_type_fallback); ffn_down rows (n_ff 512) keep Q4_K, or Q6_K in the layers use_more_bits
    picks (the last of two); the tied embedding becomes Q8_0. tests/integration/test_quantize_types.py
    checks the same port against llama.cpp itself."""
    source = _f16(tmp_path, n_embd=96, n_ff=512, n_head=3, n_head_kv=3, n_layer=2)
    types = tensor_types(read_header(source), "Q4_K_M")
    assert types["token_embd.weight"] == "Q8_0"
    assert types["blk.0.attn_q.weight"] == "Q5_0"
    assert (types["blk.0.attn_v.weight"], types["blk.1.attn_v.weight"]) == ("Q5_0", "Q8_0")
    assert (types["blk.0.ffn_down.weight"], types["blk.1.ffn_down.weight"]) == ("Q4_K", "Q6_K")
    assert types["blk.0.attn_norm.weight"] == "F32"


def test_predicted_size_adds_padded_tensors_to_the_metadata(tmp_path: Path) -> None:
    source = _f16(tmp_path)
    header = read_header(source)
    # The toy lacks general.quantization_version, which llama.cpp adds: 8 + 28 + 4 + 4 bytes.
    assert metadata_bytes(header) >= header.data_offset and metadata_bytes(header) % header.alignment == 0
    assert metadata_bytes(header) - header.data_offset <= 44 + header.alignment
    expected = metadata_bytes(header)
    for tensor in header.tensors:
        size = tensor.n_elements * 34 // 32 if len(tensor.shape) > 1 else tensor.nbytes
        expected += -(-size // header.alignment) * header.alignment
    assert predicted_size(header, "Q8_0") == expected
    assert predicted_size(header, "F16") == metadata_bytes(header) + source.stat().st_size - header.data_offset


@pytest.mark.parametrize(("source", "type_name", "expected"), [
    ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q8_0", "SmolLM2-135M-Instruct-Q8_0.gguf"),
    ("model-f16.gguf", "Q4_K_M", "model-Q4_K_M.gguf"),
    ("Llama-3.2-1B-Instruct-IQ3_XXS.gguf", "F16", "Llama-3.2-1B-Instruct-F16.gguf"),
    ("plain.gguf", "Q6_K", "plain-Q6_K.gguf"),
])
def test_default_output_names(tmp_path: Path, source: str, type_name: str, expected: str) -> None:
    assert default_output(tmp_path / source, type_name) == tmp_path / expected
