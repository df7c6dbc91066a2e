"""The HF -> GGUF converter's plan: refusals, and the shipped converter archive unpacked once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.quantize import convert
from slmdesk.quantize.convert import converter_dir, is_hf_folder, prepare_convert


def _hf(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}), encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"\0" * 64)
    return folder


def test_the_converter_is_unpacked_once_into_the_cache(tmp_path: Path) -> None:
    folder = converter_dir(tmp_path)
    assert (folder / "convert_hf_to_gguf.py").is_file() and (folder / "gguf-py" / "gguf" / "constants.py").is_file()
    assert "MIT License" in (folder / "LICENSE").read_text(encoding="utf-8")
    (folder / "marker").write_text("kept", encoding="utf-8")
    assert converter_dir(tmp_path) == folder and (folder / "marker").is_file()
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no temporary folder left


def test_a_plan_and_its_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _hf(tmp_path / "SmolLM2")
    assert is_hf_folder(source) and not is_hf_folder(tmp_path)
    monkeypatch.setattr(convert, "missing_modules", lambda _folder=None: [])
    plan = prepare_convert(source, tmp_path / "smol-F16.gguf", "F16", tmp_path / "cache")
    assert plan.temporary == tmp_path / ".smol-F16.gguf.part" and plan.source_bytes == 64
    assert plan.argv[-5:] == ("convert-hf-child", str(plan.converter), str(source), str(plan.temporary), "f16")
    with pytest.raises(UserError, match="is not a Hugging Face model folder"):
        prepare_convert(tmp_path, tmp_path / "x.gguf", "F16", tmp_path / "cache")
    with pytest.raises(UserError, match="Cannot convert to Q4_0"):
        prepare_convert(source, tmp_path / "x.gguf", "Q4_0", tmp_path / "cache")  # type: ignore[arg-type]
    (tmp_path / "taken.gguf").write_bytes(b"")
    with pytest.raises(UserError, match="already exists"):
        prepare_convert(source, tmp_path / "taken.gguf", "F16", tmp_path / "cache")


def test_missing_torch_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _hf(tmp_path / "m")
    monkeypatch.setattr(convert, "missing_modules", lambda _folder=None: ["torch", "transformers"])
    with pytest.raises(UserError, match="needs torch, transformers, which are not installed") as error:
        prepare_convert(source, tmp_path / "m.gguf", "F16", tmp_path / "cache")
    assert error.value.hint == convert.INSTALL_HINT
    assert "pip install 'slmdesk[onnx-build]'" in convert.INSTALL_HINT
