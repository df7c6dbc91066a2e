"""``slmdesk bench`` end to end: the installed command, the starter models, JSON out, the inventory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from slmdesk.bench.results import load_results
from slmdesk.core.load_plan import LoadPlan
from slmdesk.hub import starter
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths

TINY = ["-p", "32", "-n", "8", "-r", "2"]
PROMISED = ("pp_tokens_per_s", "tg_tokens_per_s", "load_s", "ttft_s", "peak_rss_bytes", "energy_j_per_token",
            "backend", "backend_version", "n_threads", "n_ctx", "model_sha256", "quantization")


def _slmdesk(*args: str, paths: AppPaths) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("slmdesk")
    env = dict(os.environ, SLMDESK_HOME=os.environ["SLMDESK_HOME"])
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=300, env=env)


def _check_sane(data: dict, repetitions: int = 2) -> None:
    assert all(key in data for key in PROMISED)
    for key in ("pp_tokens_per_s", "tg_tokens_per_s"):
        stat = data[key]
        assert stat["mean"] > 0 and stat["stdev"] >= 0 and len(stat["samples"]) == repetitions
        assert all(s > 0 for s in stat["samples"])
        assert min(stat["samples"]) <= stat["mean"] <= max(stat["samples"])
    assert data["load_s"] > 0 and data["peak_rss_bytes"] > 50 * 2**20
    assert data["energy_j_per_token"] is None or data["energy_j_per_token"] > 0
    assert data["n_ctx"] >= 32 + 8 and data["n_threads"] >= 1


def test_bench_smollm2_json_with_a_thread_sweep_is_stored(smollm2_gguf: Path, app_paths: AppPaths) -> None:
    result = _slmdesk("bench", str(smollm2_gguf), *TINY, "-t", "1,2", "--json", paths=app_paths)
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert [r["n_threads"] for r in runs] == [1, 2]
    for data in runs:
        _check_sane(data)
        assert data["backend"] == "llama.cpp" and data["backend_version"] == "0.3.36"
        assert data["model_sha256"] == starter.SMOLLM2.sha256 and data["quantization"] == "Q4_1"
        assert data["ttft_s"] > 0 and len(data["ttft"]["samples"]) == 2
        assert (data["n_prompt"], data["n_gen"], data["repetitions"], data["flash_attn"]) == (32, 8, 2, "auto")
        if data["energy_j_per_token"] is None:
            assert data["energy_note"]  # says why, never 0
        assert data["fit_tg_tokens_per_s_bound"] > 0
        assert data["hardware"]["physical_cores"] >= 1
    with open_inventory(app_paths.database) as inventory:
        stored = load_results(inventory)
    assert [r.id for r in stored] == [r["run_id"] for r in runs]
    assert stored[0].tg is not None and stored[0].tg.samples == tuple(runs[0]["tg_tokens_per_s"]["samples"])
    assert stored[0].hardware["cpu_model"] == runs[0]["hardware"]["cpu_model"]


def test_bench_gemma3_by_inventory_id_and_table_output(gemma3_gguf: Path, app_paths: AppPaths) -> None:
    scanned = _slmdesk("scan", str(gemma3_gguf), "--json", paths=app_paths)
    assert scanned.returncode == 0, scanned.stderr
    artifact_id = json.loads(scanned.stdout)["artifacts"][0]["id"]
    # The settings chosen in the Fit panel are the benchmark's load settings (a q8_0 KV cache).
    with open_inventory(app_paths.database) as inventory:
        LoadPlanStore(inventory).save(artifact_id, LoadPlan(n_ctx=4096, kv_type="q8_0"))
    result = _slmdesk("bench", str(artifact_id), *TINY, "-t", "2", "--no-ttft", "--json", paths=app_paths)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    _check_sane(data)
    assert (data["kv_type"], data["flash_attn"], data["n_gpu_layers"]) == ("q8_0", "on", 0)
    assert data["quantization"] == "Q4_K_M" and data["model_sha256"] == starter.GEMMA3_270M.sha256
    assert data["artifact_id"] == artifact_id and data["ttft_s"] is None and data["n_threads"] == 2
    with open_inventory(app_paths.database) as inventory:
        (stored,) = load_results(inventory, artifact_id)
    assert stored.pp is not None and stored.pp.mean == pytest.approx(data["pp_tokens_per_s"]["mean"])

    table = _slmdesk(
        "bench", str(artifact_id), "-p", "16", "-n", "4", "-r", "1", "-t", "2", "--no-ttft", paths=app_paths
    )
    assert table.returncode == 0, table.stderr
    assert "Load settings from the Fit panel: KV q8_0" in table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].startswith("| model |") and "pp16 / tg4 · KV q8_0" in lines[2] and "not available" in lines[2]
    assert "the fit estimate's bound is" in table.stdout and "Saved as benchmark run" in table.stdout


def test_bench_errors_are_clear(smollm2_gguf: Path, tmp_path: Path, app_paths: AppPaths) -> None:
    missing = _slmdesk("bench", str(tmp_path / "nope.gguf"), "--json", paths=app_paths)
    assert missing.returncode == 1 and "nope.gguf does not exist" in missing.stderr
    small = _slmdesk("bench", str(smollm2_gguf), *TINY, "--ctx", "16", "--no-ttft", "--json", paths=app_paths)
    assert small.returncode == 1
    assert "A context of 16 tokens cannot hold the benchmark's 40 tokens" in small.stderr


def test_bench_with_depth_and_batch(smollm2_gguf: Path, app_paths: AppPaths) -> None:
    result = _slmdesk("bench", str(smollm2_gguf), "-p", "32", "-n", "4", "-d", "48", "-b", "16", "-r", "2", "-t", "1",
                      "--no-ttft", "--no-save", "--json", paths=app_paths)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    _check_sane(data)
    assert data["n_depth"] == 48 and data["n_batch"] == 16 and data["run_id"] is None
    with open_inventory(app_paths.database) as inventory:
        assert load_results(inventory) == []  # --no-save


def test_bench_onnx_build(smollm2_onnx: Path, app_paths: AppPaths) -> None:
    result = _slmdesk("bench", str(smollm2_onnx), *TINY, "-t", "1", "--json", paths=app_paths)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    _check_sane(data)
    assert data["backend"] == "onnxruntime-genai" and data["backend_version"] == "0.18.0"
    assert data["quantization"] == "int4" and len(data["model_sha256"]) == 64
    assert data["n_threads"] == 1 and data["ttft_s"] > 0 and data["model_format"] == "onnx"
