"""Recommend: the best quantization of each family that fits, on two fixed preset profiles."""

from __future__ import annotations

from slmdesk.core.fit import Verdict
from slmdesk.core.profiles import load_presets
from slmdesk.hub.catalog import load_catalog
from slmdesk.hub.recommend import PPL_INCREASE, ppl_increase, recommend

CATALOG = load_catalog()
PRESETS = load_presets()


def _picks(profile: str, n_ctx: int = 4096, **options):
    return {r.family: r for r in recommend(CATALOG, PRESETS[profile], n_ctx, **options)}


def test_quality_table_follows_llama_cpp_quant_options() -> None:
    order = sorted(PPL_INCREASE, key=ppl_increase)
    assert order[:3] == ["BF16", "F16", "Q8_0"]
    assert order.index("Q4_K_M") < order.index("Q4_0") < order.index("Q3_K_M")
    assert ppl_increase("IQ1_S") > ppl_increase("Q3_K_M")


def test_small_laptop_gets_3b_to_4b_models_on_the_cpu() -> None:
    picks = _picks("laptop-8gb")
    ranked = recommend(CATALOG, PRESETS["laptop-8gb"], 4096)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    qwen = picks["Qwen3"].assessment
    assert (qwen.model.id, qwen.quant.name, qwen.verdict) == ("qwen3-4b", "Q6_K", Verdict.CPU_ONLY)
    assert picks["Gemma 3"].assessment.model.id == "gemma-3-4b-it"
    assert "BitNet" not in picks  # only bitnet.cpp runs its I2_S file
    for pick in ranked:
        a = pick.assessment
        assert a.fits and a.tg_bound_tps is not None and a.tg_bound_tps >= 10
        assert a.model.tier in ("micro", "small")
        assert pick.why.startswith(f"largest {pick.family} that fits 8 GB laptop")
    # A model at Q4_K_M quality or better ranks before one squeezed to Q3_K_M.
    assert ranked[-1].assessment.quant.name == "Q3_K_M"
    assert ranked[0].ppl_increase <= PPL_INCREASE["Q4_K_M"]


def test_big_gpu_gets_the_largest_models_at_high_quality() -> None:
    picks = _picks("desktop-32gb-gpu-24gb")
    ranked = recommend(CATALOG, PRESETS["desktop-32gb-gpu-24gb"], 4096)
    assert ranked[0].assessment.model.id == "qwen3-30b-a3b"
    assert picks["Gemma 3"].assessment.model.id == "gemma-3-27b-it"
    phi = picks["Phi-4"].assessment
    assert (phi.model.id, phi.quant.name, phi.verdict) == ("phi-4", "Q8_0", Verdict.FITS_GPU)
    assert all(r.ppl_increase <= PPL_INCREASE["Q6_K"] for r in ranked)
    assert all(r.assessment.tg_bound_tps and r.assessment.tg_bound_tps >= 10 for r in ranked)


def test_a_speed_floor_and_a_long_context_change_the_pick() -> None:
    fast = _picks("laptop-8gb", min_tg_tps=30)
    assert fast["Qwen3"].assessment.model.n_params < 2e9
    assert all(r.assessment.tg_bound_tps >= 30 for r in fast.values())
    long = _picks("laptop-8gb", n_ctx=32768)
    assert long["Qwen3"].assessment.n_ctx == 32768
    assert "SmolLM2" in long and long["SmolLM2"].assessment.n_ctx == 8192  # capped at the model's context
    assert recommend(CATALOG, PRESETS["rpi-zero2w"], 4096) == [] or all(
        r.assessment.model.tier == "micro" for r in recommend(CATALOG, PRESETS["rpi-zero2w"], 4096))


def test_tier_filter() -> None:
    micro = recommend(CATALOG, PRESETS["desktop-32gb-gpu-24gb"], 4096, tier="micro")
    assert micro and all(r.assessment.model.tier == "micro" for r in micro)
