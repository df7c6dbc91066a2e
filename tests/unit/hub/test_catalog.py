"""The curated model catalog: valid against its schema, accepted by the fit estimator for every
model x quantization, hand-checked facts, sizes computed from the architecture, and a fast
assessment of the whole catalog."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.fit import FitOptions, Verdict, estimate
from slmdesk.core.profiles import load_presets
from slmdesk.core.resources import resource_path
from slmdesk.hub.catalog import (
    TIER_MEDIUM_FROM,
    TIER_SMALL_FROM,
    CatalogArch,
    assess_catalog,
    catalog_path,
    clear_cache,
    estimated_file_bytes,
    load_catalog,
    n_params,
    spec_for,
    tier_for,
)

CATALOG = load_catalog()
MODELS = {model.id: model for model in CATALOG.models}
PRESETS = load_presets()

# Llama-3-8B (meta-llama/Meta-Llama-3-8B config.json): the model of llama.cpp's QUANT_OPTIONS sizes.
LLAMA3_8B = CatalogArch("llama", 32, 4096, 14336, 32, 8, 128, 128, 128256, False)


def test_catalog_validates_against_its_schema() -> None:
    schema = json.loads(resource_path("catalog", "catalog.schema.json").read_text(encoding="utf-8"))
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(str(e.message) for e in jsonschema.Draft202012Validator(schema).iter_errors(raw))
    assert errors == []
    assert raw["date"] == CATALOG.date


def test_schema_rejects_an_mmproj_file_as_a_quantization() -> None:
    schema = json.loads(resource_path("catalog", "catalog.schema.json").read_text(encoding="utf-8"))
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["models"][0]["quants"][0]["files"][0]["path"] = "mmproj-F16.gguf"
    assert not jsonschema.Draft202012Validator(schema).is_valid(raw)


@pytest.mark.parametrize("model", CATALOG.models, ids=lambda m: m.id)
def test_fit_estimator_accepts_every_quantization(model) -> None:
    laptop = PRESETS["laptop-8gb"]
    for quant in model.quants:
        spec = spec_for(model, quant)
        result = estimate(spec, FitOptions(n_ctx=min(4096, model.context_length)), laptop)
        assert result.weights_bytes == spec.weights_bytes, quant.name
        assert sum(spec.layer_weights_bytes) + (spec.input_weights_bytes or 0) + (
            spec.output_weights_bytes or 0) == spec.weights_bytes
        assert result.kv_cache_bytes > 0


def test_the_issue_families_are_all_there() -> None:
    wanted = {"smollm2-135m-instruct", "smollm2-360m-instruct", "smollm2-1.7b-instruct", "smollm3-3b", "qwen3-0.6b",
              "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "qwen3-14b", "qwen3-30b-a3b", "gemma-3-270m-it", "gemma-3-1b-it",
              "gemma-3-4b-it", "gemma-3-12b-it", "gemma-3-27b-it", "phi-4-mini-instruct", "phi-4",
              "llama-3.2-1b-instruct", "llama-3.2-3b-instruct", "deepseek-r1-distill-qwen-1.5b",
              "deepseek-r1-distill-qwen-7b", "deepseek-r1-distill-qwen-14b", "mistral-7b-instruct-v0.3",
              "granite-3.3-2b-instruct", "granite-3.3-8b-instruct", "bitnet-b1.58-2b-4t"}
    assert wanted <= MODELS.keys()


@pytest.mark.parametrize("model", CATALOG.models, ids=lambda m: m.id)
def test_tier_and_parameter_count_follow_the_architecture(model) -> None:
    assert model.n_params == n_params(model.arch)
    assert model.tier == tier_for(model.n_params)


def test_tier_rule_boundaries() -> None:
    assert tier_for(135_000_000) == "micro"
    assert tier_for(TIER_SMALL_FROM - 1) == "micro"
    assert tier_for(TIER_SMALL_FROM) == "small"
    assert tier_for(TIER_MEDIUM_FROM) == "medium"
    assert [MODELS[i].tier for i in ("llama-3.2-1b-instruct", "qwen3-8b", "qwen3-14b", "qwen3-30b-a3b")] == [
        "micro", "small", "medium", "medium"]
    with pytest.raises(ValueError, match="outside"):
        tier_for(70_000_000_000)


@pytest.mark.parametrize(("model_id", "window"), [("gemma-3-270m-it", 512), ("gemma-3-1b-it", 512),
                                                  ("gemma-3-4b-it", 1024), ("gemma-3-12b-it", 1024),
                                                  ("gemma-3-27b-it", 1024)])
def test_gemma3_uses_five_local_to_one_global_layers(model_id: str, window: int) -> None:
    arch = MODELS[model_id].arch
    assert arch.sliding_window == window
    swa = arch.swa_layers
    assert len(swa) == arch.n_layer
    assert swa[:6] == (True,) * 5 + (False,)
    assert swa.count(False) == arch.n_layer // 6


def test_hand_checked_facts() -> None:
    moe = MODELS["qwen3-30b-a3b"].arch
    assert (moe.n_expert, moe.n_expert_used, moe.n_ff_expert) == (128, 8, 768)
    assert 30.0e9 < MODELS["qwen3-30b-a3b"].n_params < 31.0e9
    assert (MODELS["qwen3-8b"].arch.n_head, MODELS["qwen3-8b"].arch.n_head_kv, MODELS["qwen3-8b"].arch.n_layer) == (
        32, 8, 36)
    assert MODELS["mistral-7b-instruct-v0.3"].arch.sliding_window is None
    assert MODELS["llama-3.2-1b-instruct"].context_length == 131072
    bitnet = MODELS["bitnet-b1.58-2b-4t"]
    assert [q.engines for q in bitnet.quants] == [("bitnet.cpp",)]
    assert not bitnet.quants[0].runs_on_llama_cpp
    assert "bitnet.cpp" in bitnet.notes and "TQ1_0" in bitnet.notes


def test_split_set_and_sizes() -> None:
    bf16 = MODELS["qwen3-30b-a3b"].quant("BF16")
    assert [f.path.rsplit("-", 3)[-3:] for f in bf16.files] == [["00001", "of", "00002.gguf"],
                                                               ["00002", "of", "00002.gguf"]]
    assert bf16.size_bytes == sum(f.size_bytes for f in bf16.files)
    assert spec_for(MODELS["qwen3-30b-a3b"], bf16).split_count == 2
    for model in CATALOG.models:
        sizes = [q.size_bytes for q in model.quants]
        assert sizes == sorted(sizes), model.id


def test_starter_files_carry_their_measured_size_and_sha256() -> None:
    smol = MODELS["smollm2-135m-instruct"].quant("Q4_1")
    gemma = MODELS["gemma-3-270m"].quant("q4_k_m")
    assert (smol.size_bytes, smol.size_source) == (98_362_432, "file")
    assert (gemma.size_bytes, gemma.size_source) == (253_113_024, "file")
    assert smol.files[0].sha256 == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    # The size computed from the architecture is within 1 % of the real file.
    assert estimated_file_bytes(MODELS["smollm2-135m-instruct"].arch, "Q4_1") == pytest.approx(98_362_432, rel=0.01)
    assert estimated_file_bytes(MODELS["gemma-3-270m"].arch, "Q4_K_M") == pytest.approx(253_113_024, rel=0.01)
    with pytest.raises(UserError, match="no Q2_K quantization"):
        MODELS["gemma-3-270m"].quant("Q2_K")


@pytest.mark.parametrize(("quant", "gib"), [("Q3_K_M", 3.74), ("Q4_K_M", 4.58), ("Q5_K_M", 5.33), ("Q6_K", 6.14),
                                            ("Q8_0", 7.96), ("Q4_0", 4.34)])
def test_estimated_sizes_match_llama_cpp_quant_options(quant: str, gib: float) -> None:
    # tools/quantize/quantize.cpp QUANT_OPTIONS: file sizes of Llama-3-8B in GiB.
    assert n_params(LLAMA3_8B) == 8_030_261_248
    assert estimated_file_bytes(LLAMA3_8B, quant) / 2**30 == pytest.approx(gib, rel=0.04)


def test_missing_and_corrupt_catalog_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="is missing") as missing:
        load_catalog(tmp_path / "nope.json")
    assert "catalog_update" in missing.value.hint
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="cannot be read"):
        load_catalog(bad)
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    del raw["models"][1]["arch"]["n_head_kv"]
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(UserError, match=r"damaged: .*smollm2-360m-instruct.*n_head_kv"):
        load_catalog(bad)


def test_whole_catalog_assessment_is_fast_and_cached() -> None:
    laptop = PRESETS["laptop-8gb"]
    clear_cache()
    start = time.perf_counter()
    rows = assess_catalog(CATALOG, laptop, 4096)
    first = time.perf_counter() - start
    print(f"whole-catalog assessment: {len(rows)} model x quantization rows in {first * 1000:.0f} ms")
    assert len(rows) == sum(len(m.quants) for m in CATALOG.models)
    assert first < 1.5  # goal 0.3 s; generous for 2 shared CI cores
    start = time.perf_counter()
    assert assess_catalog(CATALOG, laptop, 4096) is rows
    assert time.perf_counter() - start < 0.01
    assert assess_catalog(CATALOG, replace(laptop, ram_available_bytes=2**30), 4096) is not rows


def test_assessment_values_on_a_laptop() -> None:
    rows = {(r.model.id, r.quant.name): r for r in assess_catalog(CATALOG, PRESETS["laptop-8gb"], 4096)}
    small = rows[("qwen3-0.6b", "Q4_K_M")]
    assert small.verdict is Verdict.CPU_ONLY
    assert small.max_ctx is not None and 30_000 < small.max_ctx < 40960  # an f16 KV cache of 40960 tokens is 4.7 GB
    assert small.max_ctx <= rows[("qwen3-0.6b", "Q3_K_M")].max_ctx  # type: ignore[operator]
    assert small.tg_bound_tps is not None and 50 < small.tg_bound_tps < 200
    assert rows[("qwen3-30b-a3b", "Q4_K_M")].verdict is Verdict.WILL_NOT_FIT
    assert rows[("gemma-3-27b-it", "Q8_0")].max_ctx is None
    # MoE: only the 8 experts used are read per token, so it is several times faster than its size says.
    gpu = {(r.model.id, r.quant.name): r for r in assess_catalog(CATALOG, PRESETS["desktop-32gb-gpu-24gb"], 4096)}
    moe, dense = gpu[("qwen3-30b-a3b", "Q4_K_M")], gpu[("qwen3-14b", "Q4_K_M")]
    assert moe.tg_bound_tps is not None and dense.tg_bound_tps is not None
    assert moe.tg_bound_tps > 2 * dense.tg_bound_tps
    assert gpu[("qwen3-8b", "Q4_K_M")].verdict is Verdict.FITS_GPU
