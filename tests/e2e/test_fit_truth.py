"""The Fit estimate against the real engine: both memory figures against measured peaks, and the
generation-speed bound never below a tg the engine really reaches, on the starter models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.bench.runner import BenchTarget, bench_task
from slmdesk.bench.settings import BenchSettings
from slmdesk.core import fit
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.profiles import HardwareProfile, cpu_only_profile
from slmdesk.core.tasks import run_inline
from slmdesk.core.units import GIB
from slmdesk.formats.detect import read_spec
from slmdesk.hardware.cpu import cpu_model_and_features
from slmdesk.hardware.profile import probe
from slmdesk.hub import starter
from slmdesk.paths import AppPaths

FILL_TEXT = "The quick brown fox jumps over the lazy dog while the cat sleeps on a warm mat. "


def roomy_machine() -> HardwareProfile:
    """64 GiB with this machine's CPU features (llama.cpp's weight repacking depends on them)."""
    return replace(cpu_only_profile("test", 64 * GIB), cpu_features=cpu_model_and_features()[1])


@pytest.fixture
def models(smollm2_gguf: Path, gemma3_gguf: Path) -> dict[str, tuple[Path, str]]:
    return {"smollm2": (smollm2_gguf, starter.SMOLLM2.sha256), "gemma3": (gemma3_gguf, starter.GEMMA3_270M.sha256)}


def test_fit_json_gives_both_figures(tmp_path: Path, smollm2_gguf: Path) -> None:
    exe = Path(sys.executable).with_name("slmdesk")
    env = dict(os.environ, SLMDESK_HOME=str(tmp_path))
    args = [str(exe), "fit", str(smollm2_gguf), "--ctx", "8192", "--profile", "laptop-8gb"]
    result = subprocess.run([*args, "--json"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    resident = data["weights_bytes"] + data["kv_cache_bytes"] + data["overhead_bytes"]
    assert data["total_host_at_load_bytes"] == resident + data["compute_at_load_bytes"]
    assert data["total_host_context_full_bytes"] == resident + data["compute_context_full_bytes"]
    assert data["total_host_at_load_bytes"] < data["total_host_context_full_bytes"] == data["total_host_bytes"]
    assert data["tg_tokens_per_s_bound"] > data["tg_tokens_per_s_bound_context_full"] > 0
    text = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    assert "RAM at load / short prompt (up to 256 tokens)" in text.stdout
    assert "tokens/s with the context full" in text.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="calibrated on Linux (VmHWM, MAP_POPULATE)")
@pytest.mark.parametrize(("model", "kv"), [("smollm2", "f16"), ("gemma3", "q8_0")])
def test_both_figures_within_10_percent_of_the_engine_peaks(
    models: dict[str, tuple[Path, str]], model: str, kv: str
) -> None:
    from slmdesk.engine import EngineClient, LoadSettings, SamplingParams

    path, _ = models[model]
    settings = LoadSettings(n_ctx=2048, type_k=kv, type_v=kv, flash_attn=kv != "f16", n_threads=2)
    params = SamplingParams(temperature=0.0, max_tokens=8)
    with EngineClient() as client:
        info = client.load(path, settings)
        short = client.chat([{"role": "user", "content": "Name three colours."}], params).stats
        template = client.count_tokens([{"role": "user", "content": ""}])
        per_chunk = (client.count_tokens([{"role": "user", "content": FILL_TEXT * 10}]) - template) / 10
        message = FILL_TEXT * int((info.n_ctx - template - 48) / per_chunk)
        filled = client.chat([{"role": "user", "content": message}], params).stats
    assert filled.prompt_tokens + filled.completion_tokens > info.n_ctx - 256  # the last 256-cell block in use
    options = fit.FitOptions(n_ctx=2048, kv_type=kv, flash_attn=settings.flash_attn, swa_full=settings.swa_full)
    result = fit.estimate(read_spec(path), options, roomy_machine())
    for estimated, measured in (
        (result.total_host_at_load_bytes, short.peak_rss_bytes),
        (result.total_host_context_full_bytes, filled.peak_rss_bytes),
    ):
        assert abs(estimated - measured) / measured <= 0.10, (estimated, measured)


def test_speed_bound_is_never_below_a_measured_tg(
    models: dict[str, tuple[Path, str]], app_paths: AppPaths
) -> None:
    # This machine as the Fit panel sees it: its bandwidth measured now (the cache is empty).
    profile = probe(app_paths)
    assert profile.memory_bandwidth_bytes_per_s and "every CPU reading" in profile.bandwidth_source
    settings = BenchSettings(n_prompt=0, n_gen=16, repetitions=3, ttft=False)
    for name, (path, sha256) in models.items():
        target = BenchTarget(path=path, sha256=sha256, name=name)
        (result,) = run_inline(bench_task(target, settings, app_paths, profile=profile))
        assert result.tg is not None and result.fit_tg_bound is not None
        fastest = max(result.tg.samples)
        # The bound the benchmark stores, at the tg test's own context...
        assert result.fit_tg_bound >= fastest, (name, result.fit_tg_bound, result.tg.samples)
        # ...and the one the Fit panel shows for the default load plan (short context).
        options = LoadPlan.default_for(read_spec(path).context_length).fit_options()
        shown = fit.estimate(read_spec(path), options, profile).tg_tokens_per_s_bound
        assert shown is not None and shown >= fastest, (name, shown, result.tg.samples)
