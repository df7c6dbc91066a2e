"""Benchmark statistics, settings, energy counters, storage, comparison and export (no model)."""

from __future__ import annotations

import csv
import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from slmdesk.bench import export
from slmdesk.bench.results import BenchResult, compare, latest_per_artifact, load_results, save_result
from slmdesk.bench.settings import PRESETS, BenchSettings, preset_name
from slmdesk.bench.stats import InvalidTiming, Stat, seconds, summarize, tokens_per_s
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.engine.types import BenchRequest
from slmdesk.hardware.energy import EnergyMeter
from slmdesk.inventory import benchmarks
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import add_paths
from slmdesk.paths import AppPaths
from tests.gguf_factory import write_gguf

# --- statistics ------------------------------------------------------------------------------


def _llama_bench_stdev(values: list[float]) -> float:
    """llama-bench's ``stdev`` template, transcribed (tools/llama-bench/llama-bench.cpp)."""
    n = len(values)
    mean = sum(values) / n
    sq_sum = sum(v * v for v in values)
    return math.sqrt(sq_sum / (n - 1) - mean * mean * n / (n - 1))


def test_tokens_per_s_is_the_mean_of_per_run_rates_like_llama_bench() -> None:
    # 512 tokens in 4 s, 3.2 s and 4.8 s: rates 128, 160, 106.67 t/s.
    stat = tokens_per_s(512, [4_000_000_000, 3_200_000_000, 4_800_000_000])
    assert stat.samples == pytest.approx((128.0, 160.0, 106.6667), rel=1e-4)
    assert stat.mean == pytest.approx((128 + 160 + 512 / 4.8) / 3)
    assert stat.mean != pytest.approx(512 / 4.0)  # not the rate of the mean time (4.0 s)
    assert stat.stdev == pytest.approx(_llama_bench_stdev(list(stat.samples)))


def test_one_sample_has_zero_stdev_and_json_round_trips() -> None:
    stat = summarize([77.5])
    assert (stat.mean, stat.stdev, stat.samples) == (77.5, 0.0, (77.5,))
    assert Stat.from_json(json.loads(json.dumps(stat.to_json()))) == stat
    assert Stat.from_json(None) is None


@pytest.mark.parametrize("bad", [0, -5])
def test_zero_or_negative_timings_are_an_error_not_infinite_speed(bad: int) -> None:
    with pytest.raises(InvalidTiming, match=f"^The tg128 timing of run 2 came back as {bad} ns: ") as caught:
        tokens_per_s(128, [1_000_000_000, bad], "tg128")
    assert "this benchmark run is invalid" in caught.value.message
    with pytest.raises(InvalidTiming, match=rf"^The time to first token of run 2 came back as {bad}\.0 s: "):
        seconds([0.2, float(bad)], "time to first token")
    with pytest.raises(ValueError, match=r"^no samples$"):
        summarize([])


# --- settings ----------------------------------------------------------------------------------


def test_presets_and_llama_bench_defaults() -> None:
    standard = BenchSettings()
    assert standard == PRESETS["standard"] and preset_name(standard) == "standard"
    request = standard.request(2)
    sizes = (request.n_prompt, request.n_gen, request.repetitions, request.n_batch, request.n_ubatch)
    assert sizes == (512, 128, 5, 2048, 512)
    assert request.flash_attn == "auto" and request.n_threads == 2 and request.n_ctx_needed == 640
    quick = PRESETS["quick"]
    assert (quick.n_prompt, quick.n_gen, quick.repetitions) == (128, 32, 3) and quick.label == "pp128/tg32 x3"
    custom = BenchSettings(n_prompt=32, n_gen=8, repetitions=2, threads=(1, 2), n_depth=64)
    assert preset_name(custom) == "custom"
    assert custom.label == "pp32/tg8 x2 @ d64 t=1,2"
    assert custom.thread_counts() == (1, 2) and BenchSettings().thread_counts() == (None,)
    assert BenchSettings.from_json(json.loads(json.dumps(custom.to_json()))) == custom


def test_fit_panel_load_settings_become_the_benchmark_settings() -> None:
    base = PRESETS["quick"]
    plan = LoadPlan(n_ctx=8192, kv_type="q8_0", flash_attn=False, n_gpu_layers=None)
    # "Automatic" GPU layers takes the fit estimate's count, never "all".
    chosen = base.with_plan(plan, estimated_gpu_layers=7)
    # The KV type and GPU layers come from the Fit panel; sizes and context stay the benchmark's.
    assert (chosen.kv_type, chosen.n_gpu_layers, chosen.n_prompt, chosen.n_ctx) == ("q8_0", 7, 128, 0)
    assert chosen.flash_attn == "on"  # a quantized V cache needs flash attention
    assert preset_name(chosen) == "custom" and chosen.label == "pp128/tg32 x3 KV q8_0 ngl 7"
    assert chosen.test_label == "pp128 / tg32 · KV q8_0 · ngl 7"
    request = chosen.request(2)
    assert (request.type_k, request.type_v, request.flash_attn) == ("q8_0", "q8_0", "on")
    load = chosen.load_settings(2)
    assert (load.type_k, load.type_v, load.flash_attn, load.n_gpu_layers) == ("q8_0", "q8_0", True, 7)
    assert base.with_plan(plan).n_gpu_layers == 0  # no estimate: CPU only
    assert base.with_plan(LoadPlan(n_gpu_layers=-1)).n_gpu_layers == -1  # "all" when the user chose all
    # f16 without flash attention chosen keeps the benchmark's own mode (llama-bench's auto).
    plain = base.with_plan(LoadPlan(n_ctx=2048, n_gpu_layers=4))
    assert (plain.kv_type, plain.flash_attn, plain.n_gpu_layers) == ("f16", "auto", 4)
    assert plain.test_label == "pp128 / tg32 · ngl 4"
    assert preset_name(plain) == "quick"
    assert base.with_plan(LoadPlan(n_ctx=512, flash_attn=True)).flash_attn == "on"
    assert BenchSettings.from_json(json.loads(json.dumps(chosen.to_json()))) == chosen
    with pytest.raises(UserError, match="Unknown KV cache type"):
        LoadPlan(n_ctx=512, kv_type="q2_k")
    with pytest.raises(UserError, match="needs flash attention"):
        BenchRequest(type_k="q4_0", type_v="q4_0", flash_attn="off")


def test_load_settings_leave_room_for_the_ttft_prompt() -> None:
    assert BenchSettings(n_prompt=32, n_gen=8).load_settings(1).n_ctx == 512
    assert BenchSettings().load_settings(None).n_ctx == 640
    load = BenchSettings(n_ctx=2048, flash_attn="on").load_settings(4)
    assert (load.n_ctx, load.n_threads, load.flash_attn, load.n_gpu_layers) == (2048, 4, True, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_prompt": 0, "n_gen": 0}, "Benchmark sizes must be >= 0, and pp or tg must be > 0."),
        ({"repetitions": 0}, "Repetitions and batch sizes must be at least 1."),
        ({"threads": (0,)}, "Thread counts must be at least 1."),
        ({"flash_attn": "yes"}, "Unknown flash-attention mode 'yes'."),
        ({"n_prompt": -1}, "Benchmark sizes must be >= 0, and pp or tg must be > 0."),
        ({"n_ctx": 600}, "A context of 600 tokens cannot hold the benchmark's 640 tokens (depth 0 + pp 512 + tg 128)."),
        ({"kv_type": "q3"}, "Unknown KV cache type 'q3'."),
        ({"n_gpu_layers": -2}, "GPU layers must be -1 (all), 0 (CPU only) or a positive count."),
    ],
)
def test_invalid_settings_are_refused_with_a_message(kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=f"^{re.escape(message)}") as caught:
        BenchSettings(**kwargs)
    assert caught.value.message == message


# --- energy (RAPL powercap) -----------------------------------------------------------------------


def _rapl(root: Path, name: str, energy: int, max_range: int = 1_000_000) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "name").write_text("package-0\n" if name.count(":") == 1 else "core\n")
    (folder / "energy_uj").write_text(f"{energy}\n")
    (folder / "max_energy_range_uj").write_text(f"{max_range}\n")


def test_energy_meter_reads_packages_only_and_handles_wrap(tmp_path: Path) -> None:
    _rapl(tmp_path, "intel-rapl:0", 999_000)
    _rapl(tmp_path, "intel-rapl:0:0", 5)  # a sub-domain: part of the package, not added
    (tmp_path / "intel-rapl-mmio:0").mkdir()  # a duplicate of the package: skipped
    meter = EnergyMeter(tmp_path)
    assert meter.available and meter.source == "RAPL package-0" and meter.reason == ""
    before = meter.read()
    assert before == (999_000,)
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("4000\n")  # wrapped past 1_000_000
    assert meter.joules(before, meter.read()) == pytest.approx(0.005)


def test_energy_is_unavailable_without_counters(tmp_path: Path) -> None:
    meter = EnergyMeter(tmp_path / "nothing-here")
    assert not meter.available and meter.read() == ()
    assert "no RAPL energy counters" in meter.reason


# --- results, storage, comparison ----------------------------------------------------------------


def _result(**overrides) -> BenchResult:
    values = {
        "model_path": "/models/smollm2.gguf",
        "model_name": "SmolLM2",
        "model_format": "gguf",
        "model_sha256": "ab" * 32,
        "quantization": "Q4_1",
        "backend": "llama.cpp",
        "backend_version": "0.3.36",
        "n_threads": 2,
        "n_ctx": 256,
        "n_batch": 160,
        "n_ubatch": 160,
        "flash_attn": "auto",
        "settings": BenchSettings(n_prompt=128, n_gen=32, repetitions=3),
        "pp": tokens_per_s(128, [1_000_000_000, 800_000_000, 900_000_000]),
        "tg": tokens_per_s(32, [400_000_000, 420_000_000, 410_000_000]),
        "ttft": seconds([0.9, 1.1, 1.0]),
        "load_s": 0.25,
        "peak_rss_bytes": 190 * 2**20,
        "fit_tg_bound": 100.5,
        "hardware": {"cpu_model": "AMD EPYC", "gpus": []},
    }
    values.update(overrides)
    return BenchResult(**values)


def test_cli_json_has_the_promised_fields_and_null_energy() -> None:
    data = json.loads(json.dumps(_result().to_json()))
    assert list(data)[:12] == [
        "pp_tokens_per_s", "tg_tokens_per_s", "load_s", "ttft_s", "peak_rss_bytes", "energy_j_per_token",
        "backend", "backend_version", "n_threads", "n_ctx", "model_sha256", "quantization",
    ]
    assert set(data["pp_tokens_per_s"]) == {"mean", "stdev", "samples"} and len(data["tg_tokens_per_s"]["samples"]) == 3
    assert data["energy_j_per_token"] is None
    assert data["ttft_s"] == pytest.approx(1.0)


def test_runs_are_stored_listed_and_survive_the_artifact(app_paths: AppPaths, tmp_path: Path) -> None:
    app_paths.ensure()
    gguf = write_gguf(tmp_path / "toy-Q8_0.gguf")[0]
    with open_inventory(app_paths.database) as inventory:
        artifact = add_paths(inventory, [gguf])[0]
        yesterday = datetime.now(UTC) - timedelta(days=1)
        first = save_result(inventory, _result(artifact_id=artifact.id, created_at=yesterday))
        second = save_result(inventory, _result(artifact_id=artifact.id, tg=tokens_per_s(32, [320_000_000] * 3)))
        other = save_result(inventory, _result(model_path="/other.gguf", energy_j_per_token=0.25))
        assert first.id is not None and second.id is not None
        back = load_results(inventory, artifact.id)
        assert [r.id for r in back] == [first.id, second.id]  # oldest first
        assert back[1] == second and back[1].tg is not None and back[1].tg.mean == pytest.approx(100.0)
        assert back[1].hardware["cpu_model"] == "AMD EPYC"
        assert load_results(inventory)[-1].energy_j_per_token == 0.25
        assert [r.id for r in latest_per_artifact(load_results(inventory))] == [second.id, other.id]

        record = benchmarks.get_run(inventory, first.id)
        assert record is not None and record.backend == "llama.cpp" and record.sha256 == "ab" * 32
        assert inventory.remove_artifact(artifact.id)
        kept = benchmarks.get_run(inventory, first.id)
        assert kept is not None and kept.artifact_id is None  # history stays
        assert benchmarks.delete_run(inventory, first.id) and benchmarks.get_run(inventory, first.id) is None
        assert not benchmarks.delete_run(inventory, first.id)
        with pytest.raises(UserError, match="no longer in the inventory"):
            save_result(inventory, _result(artifact_id=artifact.id))


def test_compare_gives_deltas_in_percent() -> None:
    before = _result()
    after = _result(tg=tokens_per_s(32, [320_000_000] * 3), ttft=seconds([0.5] * 3), energy_j_per_token=0.1)
    deltas = {d.metric: d for d in compare(before, after)}
    tg = deltas["tg tokens/s"]
    assert tg.delta_pct == pytest.approx((100.0 - before.tg.mean) / before.tg.mean * 100)
    assert tg.improved is True
    assert deltas["TTFT s"].delta_pct == pytest.approx(-50.0) and deltas["TTFT s"].improved is True
    assert deltas["pp tokens/s"].delta_pct == pytest.approx(0.0) and deltas["pp tokens/s"].improved is None
    assert deltas["energy J/token"].delta_pct is None  # the first run had no energy figure


# --- export ----------------------------------------------------------------------------------------


def test_exports_read_back(tmp_path: Path) -> None:
    results = [_result(id=7), _result(id=8, model_name="Gemma | 3", energy_j_per_token=0.031, pp=None)]
    csv_file = export.write_export(tmp_path / "runs.csv", results)
    with csv_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["run_id"] for r in rows] == ["7", "8"]
    assert float(rows[0]["tg_tokens_per_s"]) == results[0].tg.mean  # full precision
    assert float(rows[0]["pp_stdev"]) == results[0].pp.stdev
    assert rows[1]["pp_tokens_per_s"] == "" and rows[0]["energy_j_per_token"] == ""
    assert float(rows[1]["energy_j_per_token"]) == 0.031 and rows[0]["cpu"] == "AMD EPYC"

    data = json.loads(export.write_export(tmp_path / "runs.json", results).read_text(encoding="utf-8"))
    assert data[0]["tg_tokens_per_s"]["samples"] == list(results[0].tg.samples)
    assert data[1]["pp_tokens_per_s"] is None and data[1]["energy_j_per_token"] == 0.031

    markdown = export.write_export(tmp_path / "runs.md", results).read_text(encoding="utf-8")
    lines = markdown.splitlines()
    assert lines[0].startswith("| model | quant | backend | threads | test | pp t/s | tg t/s")
    first = [c.strip() for c in lines[2].strip("|").split(" | ")]
    assert first[4] == "pp128 / tg32" and first[6] == f"{results[0].tg.mean:.2f} ± {results[0].tg.stdev:.2f}"
    assert first[10] == "not available" and first[11] == "100.5"
    assert "Gemma \\| 3" in lines[3]  # a pipe in a name does not break the table
    assert "Hardware: AMD EPYC." in markdown
    with pytest.raises(UserError, match="unknown file type"):
        export.write_export(tmp_path / "runs.xlsx", results)
