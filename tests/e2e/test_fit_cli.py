"""``slmdesk fit`` run as a user would, on the real starter models, and the estimate checked
against the peak memory of the real engine process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from slmdesk.core import fit
from slmdesk.core.profiles import cpu_only_profile
from slmdesk.core.units import GIB, MIB
from slmdesk.formats.detect import read_spec

# KV cache sizes llama.cpp printed for these loads ("llama_kv_cache: size = ..."; Gemma's two
# caches added), with slmdesk's engine settings (swa_full=False).
LOGGED_KV_MIB = {
    ("smollm2", 512, "f16"): 11.25,
    ("smollm2", 8192, "q8_0"): 95.62,
    ("smollm2", 32768, "f16"): 720.0,
    ("gemma3", 2048, "f16"): 21.0,
    ("gemma3", 32768, "q8_0"): 58.97,
}


def slmdesk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("slmdesk")
    assert exe.exists(), "the console script is missing: pip install -e ."
    env = dict(os.environ, SLMDESK_HOME=str(home))
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, env=env)


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def starter(smollm2_gguf: Path, gemma3_gguf: Path) -> dict[str, Path]:
    return {"smollm2": smollm2_gguf, "gemma3": gemma3_gguf}


@pytest.mark.parametrize(("model", "n_ctx", "kv"), sorted(LOGGED_KV_MIB))
def test_fit_json_on_the_starter_models(
    tmp_path: Path, starter: dict[str, Path], model: str, n_ctx: int, kv: str
) -> None:
    args = ["--ctx", str(n_ctx), "--kv", kv, "--profile", "laptop-8gb", "--json"]
    data = ok_json(slmdesk(tmp_path, "fit", str(starter[model]), *args))
    assert data["n_ctx"] == n_ctx
    assert data["kv_type"] == kv
    assert data["flash_attn"] is (kv != "f16")
    assert data["kv_cache_bytes"] / MIB == pytest.approx(LOGGED_KV_MIB[(model, n_ctx, kv)], abs=0.01)
    assert data["weights_bytes"] == read_spec(starter[model]).weights_bytes
    parts = data["weights_bytes"] + data["kv_cache_bytes"] + data["compute_bytes"] + data["overhead_bytes"]
    assert data["total_host_bytes"] == parts
    assert data["total_device_bytes"] == 0
    assert data["gpu_layers"] == 0
    assert data["verdict"] == "cpu_only"  # < 2 GiB on a laptop with 5.5 GiB available
    assert data["max_ctx"] == {"smollm2": 8192, "gemma3": 32768}[model]
    assert data["tg_tokens_per_s_bound"] > 0
    assert data["profile"] == "8 GB laptop, no GPU"


def test_will_not_fit_on_a_pi_zero(tmp_path: Path, gemma3_gguf: Path) -> None:
    data = ok_json(slmdesk(tmp_path, "fit", str(gemma3_gguf), "--ctx", "32768", "--profile", "rpi-zero2w", "--json"))
    assert data["verdict"] == "will_not_fit"
    assert data["total_host_bytes"] > data["host_available_bytes"]
    assert data["max_ctx"] is not None and data["max_ctx"] < 32768
    text = slmdesk(tmp_path, "fit", str(gemma3_gguf), "--ctx", "32768", "--profile", "rpi-zero2w")
    assert text.returncode == 0, text.stderr
    assert "will not fit" in text.stdout
    assert "Host RAM" in text.stdout and "KV cache" in text.stdout


def test_user_defined_profile_from_the_config_folder(tmp_path: Path, smollm2_gguf: Path) -> None:
    config = tmp_path / "config"
    config.mkdir(parents=True)
    (config / "hardware_profiles.json").write_text(
        json.dumps([{"name": "tiny board", "ram_total_bytes": 256 * MIB, "ram_available_bytes": 128 * MIB}])
    )
    data = ok_json(slmdesk(tmp_path, "fit", str(smollm2_gguf), "--ctx", "512", "--profile", "Tiny Board", "--json"))
    assert data["verdict"] == "will_not_fit"
    assert data["max_ctx"] is None
    listing = slmdesk(tmp_path, "fit", "--list-profiles")
    assert listing.returncode == 0
    assert "tiny board" in listing.stdout and "rpi5-8gb" in listing.stdout and "this machine" in listing.stdout


def test_gpu_preset_offloads_everything(tmp_path: Path, smollm2_gguf: Path) -> None:
    data = ok_json(
        slmdesk(tmp_path, "fit", str(smollm2_gguf), "--ctx", "4096", "--profile", "desktop-16gb-gpu-8gb", "--json")
    )
    assert data["verdict"] == "fits_gpu"
    assert data["gpu_layers"] == 31
    assert data["device"].startswith("NVIDIA")
    assert data["total_device_bytes"] > data["kv_cache_bytes"]


def test_errors_are_reported_for_people(tmp_path: Path, smollm2_gguf: Path) -> None:
    result = slmdesk(tmp_path, "fit", str(smollm2_gguf), "--kv", "q8_0", "--no-flash-attn")
    assert result.returncode == 1
    assert "needs flash attention" in result.stderr
    result = slmdesk(tmp_path, "fit", str(smollm2_gguf), "--profile", "moon base")
    assert result.returncode == 1
    assert "no hardware profile called 'moon base'" in result.stderr
    result = slmdesk(tmp_path, "fit", "4242")
    assert result.returncode == 1
    assert "no model with id 4242" in result.stderr


def test_fit_by_inventory_id_on_this_machine(tmp_path: Path, smollm2_gguf: Path) -> None:
    scanned = ok_json(slmdesk(tmp_path, "scan", str(smollm2_gguf), "--json"))
    artifact_id = scanned["artifacts"][0]["id"]
    data = ok_json(slmdesk(tmp_path, "fit", str(artifact_id), "--ctx", "2048", "--json"))
    assert data["model"] == str(smollm2_gguf)
    assert data["profile"] == "this machine"
    assert data["kv_cache_bytes"] == 45 * MIB
    assert data["verdict"] in {"cpu_only", "fits_gpu", "partial_offload", "tight", "will_not_fit"}
    assert (tmp_path / "cache" / "hardware" / "bandwidth.json").is_file()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="calibrated on Linux (VmHWM, MAP_POPULATE)")
@pytest.mark.parametrize(("model", "n_ctx", "kv"), [("smollm2", 8192, "f16"), ("gemma3", 2048, "q8_0")])
def test_estimate_is_within_10_percent_of_the_engine_peak(
    starter: dict[str, Path], model: str, n_ctx: int, kv: str
) -> None:
    from slmdesk.engine import EngineClient, LoadSettings, SamplingParams

    spec = read_spec(starter[model])
    settings = LoadSettings(n_ctx=n_ctx, type_k=kv, type_v=kv, flash_attn=kv != "f16", n_threads=2)
    with EngineClient() as client:
        client.load(starter[model], settings)
        done = client.chat(
            [{"role": "user", "content": "Name three colours."}], SamplingParams(temperature=0.0, max_tokens=8)
        )
    stats = done.stats
    options = fit.FitOptions(
        n_ctx=n_ctx,
        kv_type=kv,
        flash_attn=settings.flash_attn,
        swa_full=settings.swa_full,
        tokens_in_context=stats.prompt_tokens + stats.completion_tokens,
        largest_batch=stats.prompt_tokens,
    )
    predicted = fit.estimate(spec, options, cpu_only_profile("test", 64 * GIB)).total_host_bytes
    assert abs(predicted - stats.peak_rss_bytes) / stats.peak_rss_bytes <= 0.10, (predicted, stats.peak_rss_bytes)


def test_fit_and_chat_use_the_models_load_plan(tmp_path: Path, smollm2_gguf: Path) -> None:
    from slmdesk.core.load_plan import LoadPlan
    from slmdesk.inventory.load_plans import LoadPlanStore
    from slmdesk.inventory.repository import open_inventory

    scanned = ok_json(slmdesk(tmp_path, "scan", str(smollm2_gguf), "--json"))
    artifact_id = scanned["artifacts"][0]["id"]
    with open_inventory(tmp_path / "data" / "inventory.sqlite3") as inventory:
        LoadPlanStore(inventory).save(artifact_id, LoadPlan(n_ctx=1024, kv_type="q8_0"))
    planned = slmdesk(tmp_path, "fit", str(artifact_id))
    assert planned.returncode == 0, planned.stderr
    assert "Load plan from the Library: n_ctx 1024 · KV q8_0 · flash attention" in planned.stderr
    assert "n_ctx 1024, KV q8_0, flash attention on" in planned.stdout
    overridden = ok_json(slmdesk(tmp_path, "fit", str(artifact_id), "--ctx", "2048", "--kv", "f16", "--json"))
    assert (overridden["n_ctx"], overridden["kv_type"]) == (2048, "f16")
    # The same rules everywhere: a context of 0 is refused by chat as by fit.
    for command in (["fit", str(smollm2_gguf)], ["chat", str(smollm2_gguf), "-p", "hi"]):
        refused = slmdesk(tmp_path, *command, "--ctx", "0")
        assert refused.returncode == 1 and "A context of 0 tokens is not possible" in refused.stderr, command
