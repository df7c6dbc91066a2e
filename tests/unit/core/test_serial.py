"""Dataclass <-> JSON through slmdesk.core.serial: every converted type round-trips, the stored
and wire shapes stay what earlier versions wrote, unknown keys are ignored, bad values are refused."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from types import MappingProxyType

import pytest

from slmdesk.bench.settings import BenchSettings
from slmdesk.bench.stats import Stat
from slmdesk.core import serial
from slmdesk.core.errors import UserError
from slmdesk.core.profiles import PRESETS, GpuInfo, HardwareProfile
from slmdesk.core.units import GIB
from slmdesk.engine import protocol
from slmdesk.engine.types import (
    BenchReport,
    BenchRequest,
    BenchTest,
    EngineStats,
    GenerationStats,
    LoadInfo,
    LoadSettings,
    RuntimeInfo,
    SamplingParams,
    from_dict,
    to_dict,
)
from slmdesk.hardware import backends
from slmdesk.hardware.backends import BackendInfo

RUNTIME = RuntimeInfo(
    engine="llama.cpp 0c1e57098 (llama-cpp-python 0.3.36)", build="portable", cpu_variant="zen4",
    cpu_variants=("x64", "haswell", "zen4"), cpu_features=("AVX2", "AVX512"), repack=False,
    buffer_types=("CPU_Mapped",), devices=("CPU: AMD EPYC",), notes=("AMX variant skipped",),
)
LOAD_INFO = LoadInfo(
    path="/models/SmolLM2-135M-Instruct.Q4_1.gguf", backend="llama.cpp", backend_version="0.3.36", n_ctx=4096,
    n_ctx_train=8192, load_s=0.42, peak_rss_bytes=312_000_000, model_name="SmolLM2 135M Instruct",
    architecture="llama", template_notes=("a", "b"), stop_strings=("<|im_end|>",),
    settings=LoadSettings(n_ctx=4096, n_threads=4, type_k="q8_0", type_v="q8_0", flash_attn=True, seed=7),
    runtime=RUNTIME,
)
BENCH_REPORT = BenchReport(
    backend="llama.cpp", backend_version="0.3.36", n_threads=4, n_batch=2048, n_ubatch=512, n_ctx=768,
    flash_attn="auto", energy_source="RAPL package-0", runtime=RUNTIME,
    tests=(BenchTest("pp", 512, 0, (100_000_000, 101_000_000)), BenchTest("tg", 128, 0, (900_000_000,), (3.5,))),
)
ENGINE_VALUES = [
    LoadSettings(n_ctx=2048, n_gpu_layers=-1, type_k="q4_0", type_v="q4_0", flash_attn=True, swa_full=True),
    SamplingParams(temperature=0.0, top_k=1, stop=("###", "</s>"), seed=11),
    GenerationStats(prompt_tokens=12, completion_tokens=30, ttft_s=0.05, tg_tokens_per_s=81.5, finish_reason="length",
                    dropped_messages=(1, 2), tokens_after_cancel=0, backend="llama.cpp"),
    RUNTIME,
    LOAD_INFO,
    EngineStats(pid=1234, rss_bytes=10, peak_rss_bytes=20, loaded="/m.gguf", backend="llama.cpp"),
    BenchRequest(n_prompt=64, n_gen=16, repetitions=2, n_threads=3, type_k="q8_0", type_v="q8_0", flash_attn="on"),
    BENCH_REPORT,
]


def _json(value: object) -> object:
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("value", ENGINE_VALUES, ids=lambda v: type(v).__name__)
def test_engine_payloads_round_trip_through_the_protocol_in_the_old_wire_shape(value: object) -> None:
    line = protocol.encode({"id": 3, "ev": "x", "payload": to_dict(value)})
    payload = protocol.decode(line)["payload"]
    # What the hand-written asdict() put on the wire before: an engine of the previous version
    # and this one understand each other.
    assert payload == _json(asdict(value))  # type: ignore[call-overload]
    assert from_dict(type(value), payload) == value


def test_to_builtins_gives_plain_json_values() -> None:
    data = serial.to_builtins(LOAD_INFO)
    assert data["template_notes"] == ["a", "b"] and isinstance(data["template_notes"], list)
    assert data["settings"]["type_k"] == "q8_0" and data["runtime"]["cpu_variants"] == ["x64", "haswell", "zen4"]
    assert list(data) == list(asdict(LOAD_INFO))  # declaration order, as asdict
    assert serial.to_builtins({"m": MappingProxyType({"t": (1, 2)})}) == {"m": {"t": [1, 2]}}
    assert serial.to_builtins({"x": float("inf")})["x"] == float("inf")  # left to the JSON encoder
    with pytest.raises(TypeError, match="object"):
        serial.to_builtins({"x": object()})


def test_unknown_keys_are_ignored_and_missing_ones_take_defaults() -> None:
    newer = {**to_dict(LOAD_INFO), "future_field": [1, 2], "settings": {**to_dict(LOAD_INFO.settings), "new": True}}
    assert from_dict(LoadInfo, newer) == LOAD_INFO
    assert from_dict(SamplingParams, {"temperature": 0.2}) == SamplingParams(temperature=0.2)
    assert from_dict(GenerationStats, {"id": 5, "ev": "done", "prompt_tokens": 3}).prompt_tokens == 3


def test_decoding_checks_types_and_runs_the_class_checks() -> None:
    with pytest.raises(ValueError, match=r"Expected `int`, got `str` - at `\$.settings.n_ctx`"):
        from_dict(LoadInfo, {**to_dict(LOAD_INFO), "settings": {"n_ctx": "4096"}})
    with pytest.raises(ValueError, match="Invalid enum value 'q5_1'"):
        from_dict(LoadSettings, {"type_k": "q5_1"})
    with pytest.raises(ValueError, match="Expected `int`, got `bool`"):
        from_dict(SamplingParams, {"max_tokens": True})
    with pytest.raises(ValueError, match="missing required field `path`"):
        from_dict(LoadInfo, {"backend": "llama.cpp"})
    # __post_init__ runs on decode: a quantized V cache without flash attention is refused.
    with pytest.raises(UserError, match="needs flash attention"):
        from_dict(LoadSettings, {"type_v": "q8_0"})
    # An int is a valid float (JSON writes 1.0 as 1 in some encoders).
    assert from_dict(SamplingParams, {"temperature": 1}).temperature == 1.0


def test_runtime_info_from_a_stored_record_never_raises() -> None:
    assert RuntimeInfo.from_dict(None) == RuntimeInfo()
    stored = {**to_dict(RUNTIME), "repack": "yes", "gone_field": 1}
    info = RuntimeInfo.from_dict(stored)
    assert info.cpu_variant == "zen4" and info.repack is True  # the mistyped field keeps its default


@dataclass(frozen=True)
class _Limits:
    low: int = 0
    high: int = 10
    name: str = "x"

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise UserError("low above high")


def test_lenient_decoding_drops_only_the_bad_keys(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.serial"):
        result = serial.from_builtins_lenient(_Limits, {"low": "3", "high": 20, "name": "n", "other": 1}, "limits")
    assert result == _Limits(low=0, high=20, name="n")
    assert "limits: ignoring low='3' (Expected `int`, got `str`" in caplog.text
    # Each key valid alone but not together: every value falls back to its default.
    assert serial.from_builtins_lenient(_Limits, {"low": 8, "high": 5}, "limits") == _Limits()
    with pytest.raises(TypeError, match="limits: expected a JSON object"):
        serial.from_builtins_lenient(_Limits, [1], "limits")  # type: ignore[arg-type]


def test_bench_settings_and_stats_keep_their_stored_shape() -> None:
    custom = BenchSettings(n_prompt=64, n_gen=16, repetitions=2, threads=(1, 4), kv_type="q8_0", n_gpu_layers=-1)
    data = custom.to_json()
    assert data["threads"] == [1, 4] and data["kv_type"] == "q8_0" and data["ttft"] is True
    assert BenchSettings.from_json(_json(data)) == custom  # type: ignore[arg-type]
    # A run stored before kv_type and n_gpu_layers existed, with a key this version dropped.
    old = {"n_prompt": 128, "n_gen": 32, "repetitions": 3, "threads": [2], "flash_attn": "off", "retired": 1}
    assert BenchSettings.from_json(old) == BenchSettings(n_prompt=128, n_gen=32, repetitions=3, threads=(2,),
                                                         flash_attn="off")
    with pytest.raises(UserError, match="Thread counts must be at least 1"):
        BenchSettings.from_json({"threads": [0]})
    stat = Stat(77.1, 1.25, (76.0, 78.2))
    assert stat.to_json() == {"mean": 77.1, "stdev": 1.25, "samples": [76.0, 78.2]}
    assert Stat.from_json({"mean": 5, "stdev": 0, "samples": [5]}) == Stat(5.0, 0.0, (5.0,))
    with pytest.raises(ValueError, match="samples"):
        Stat.from_json({"mean": 5.0, "stdev": 0.0})


def test_hardware_profiles_round_trip_with_gpus_and_check_every_field() -> None:
    for profile in PRESETS.values():
        data = _json(profile.to_dict())
        assert HardwareProfile.from_dict(data) == profile  # type: ignore[arg-type]
    m2 = PRESETS["apple-m2-16gb"].to_dict()
    assert isinstance(m2["gpus"], list) and isinstance(m2["gpus"][0], dict) and m2["gpus"][0]["unified"] is True
    gpu = GpuInfo("RTX 4060", "nvidia", 8 * GIB, 7 * GIB, compute_capability="8.9")
    assert GpuInfo.from_dict({**asdict(gpu), "pci_bus": "01:00.0"}) == gpu
    mine = HardwareProfile.from_dict({"name": "mine", "ram_total_bytes": 8 * GIB, "gpus": [asdict(gpu)], "x": 1})
    assert mine.gpus == (gpu,) and mine.source == "user"
    with pytest.raises(UserError, match=r"Hardware profile 'x': Invalid enum value 'rented' - at `\$.source`"):
        HardwareProfile.from_dict({"name": "x", "ram_total_bytes": GIB, "source": "rented"})
    with pytest.raises(UserError, match=r"Expected `int`, got `str` - at `\$.gpus\[0\].vram_free_bytes`"):
        HardwareProfile.from_dict(
            {"name": "x", "ram_total_bytes": GIB, "gpus": [{**asdict(gpu), "vram_free_bytes": "7"}]}
        )


def test_backend_info_reads_the_probe_and_its_cache() -> None:
    probed = {
        "llama_version": "0.3.36", "llama_gpu_offload": False, "llama_devices": ["CPU: AMD EPYC"],
        "llama_gpu_memory": [["NVIDIA H200", 100, 141]], "llama_system_info": "CPU : AVX2 = 1 |",
        "llama_runtime": to_dict(RUNTIME), "onnxruntime_version": "1.22.0",
        "onnx_providers": ["CPUExecutionProvider"], "error": "", "from_a_newer_probe": 1,
    }  # fmt: skip
    info = BackendInfo.from_dict(probed)
    assert info.llama_gpu_memory == (("NVIDIA H200", 100, 141),)
    assert isinstance(info.llama_runtime, MappingProxyType) and info.llama_runtime["cpu_variant"] == "zen4"
    cached = _json(info.to_dict())
    assert cached == {k: v for k, v in probed.items() if k != "from_a_newer_probe"}
    assert BackendInfo.from_dict(cached) == info  # type: ignore[arg-type]
    failed = BackendInfo.from_dict({"error": "probe exited with 1"})
    assert failed.llama_version is None and failed.llama_devices == () and failed.llama_runtime == {}
    with pytest.raises(ValueError, match="llama_gpu_memory"):
        BackendInfo.from_dict({"llama_gpu_memory": [["gpu", "lots", 1]]})


def test_a_probe_in_an_unknown_form_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import subprocess

    def fake_run(*_args: object, **_kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess([], 0, stdout=json.dumps({"llama_devices": "CPU"}) + "\n", stderr="")

    monkeypatch.setattr(backends.subprocess, "run", fake_run)
    info = backends.probe_backends(tmp_path)
    assert info.error.startswith("probe answered in an unknown form: Expected `array`, got `str`")
    assert not (tmp_path / backends.CACHE_FILE).exists()  # a failed probe is not cached
