"""Hardware profiles: CPU parsers per platform, presets, JSON round trips, user profiles, the
cached bandwidth and engine probes. (The probe of this machine, which starts the engine probe
as a child process: tests/integration/test_hardware_probe.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmdesk import paths
from slmdesk.core.errors import UserError
from slmdesk.core.profiles import (
    PRESETS,
    HardwareProfile,
    apple_gpu_working_set,
    cpu_only_profile,
    desktop_os_reserve,
    find_preset,
)
from slmdesk.core.units import GIB, MIB
from slmdesk.hardware import backends, bandwidth, cpu, gpu
from slmdesk.hardware.profile import (
    load_user_profiles,
    resolve_profile,
    save_user_profile,
    user_profiles_file,
)

X86_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD Ryzen 7 7840U w/ Radeon 780M Graphics
flags\t\t: fpu vme pni ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16

processor\t: 1
model name\t: AMD Ryzen 7 7840U w/ Radeon 780M Graphics
flags\t\t: fpu vme pni ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16
"""

PI5_CPUINFO = """processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp
CPU implementer\t: 0x41
CPU part\t: 0xd0b

Revision\t: d04170
Model\t\t: Raspberry Pi 5 Model B Rev 1.0
"""

APPLE_SYSCTL = """machdep.cpu.brand_string: Apple M2
machdep.cpu.core_count: 8
hw.optional.arm.FEAT_DotProd: 1
hw.optional.arm.FEAT_FP16: 1
hw.optional.arm.FEAT_I8MM: 1
hw.optional.arm.FEAT_BF16: 1
hw.optional.arm.FEAT_SME: 0
hw.optional.AdvSIMD: 1
"""

INTEL_MAC_SYSCTL = """machdep.cpu.brand_string: Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz
machdep.cpu.features: FPU VME SSE3 SSSE3 FMA SSE4.1 SSE4.2 AVX1.0 F16C
machdep.cpu.leaf7_features: SMEP BMI1 AVX2 BMI2
"""


def test_linux_x86_cpuinfo() -> None:
    model, features = cpu.parse_proc_cpuinfo(X86_CPUINFO)
    assert model == "AMD Ryzen 7 7840U w/ Radeon 780M Graphics"
    assert features == (
        "sse3", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "f16c", "fma", "bmi2",
        "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    )  # fmt: skip


def test_linux_arm_cpuinfo_of_a_raspberry_pi() -> None:
    model, features = cpu.parse_proc_cpuinfo(PI5_CPUINFO)
    assert model == "Raspberry Pi 5 Model B Rev 1.0"
    assert features == ("neon", "dotprod", "fp16")


def test_macos_sysctl() -> None:
    assert cpu.parse_sysctl(APPLE_SYSCTL) == ("Apple M2", ("neon", "dotprod", "fp16", "i8mm", "bf16"))
    model, features = cpu.parse_sysctl(INTEL_MAC_SYSCTL)
    assert model.startswith("Intel(R) Core(TM) i9-9880H")
    assert {"avx", "avx2", "fma", "f16c", "bmi2"} <= set(features)
    assert "avx512f" not in features


def test_features_from_llama_cpp_system_info() -> None:
    text = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 0 | REPACK = 1 |"
    assert cpu.features_from_llama_system_info(text) == ("sse3", "ssse3", "avx", "avx2", "f16c", "fma")
    arm = "CPU : NEON = 1 | ARM_FMA = 1 | FP16_VA = 1 | DOTPROD = 1 | MATMUL_INT8 = 1 | SVE = 0 |"
    assert cpu.features_from_llama_system_info(arm) == ("fma", "neon", "dotprod", "fp16", "i8mm")


# --- presets and JSON -------------------------------------------------------------------------


def test_presets_reserve_memory_for_the_os() -> None:
    laptop = PRESETS["laptop-8gb"]
    assert laptop.ram_total_bytes == 8 * GIB
    assert laptop.ram_available_bytes == 8 * GIB - desktop_os_reserve(8 * GIB) == int(5.5 * GIB)
    assert laptop.gpus == ()
    m2 = PRESETS["apple-m2-16gb"]
    assert m2.unified_memory and m2.gpus[0].unified
    assert m2.gpus[0].vram_total_bytes == apple_gpu_working_set(16 * GIB) == int(16 * GIB * 2 / 3)
    for profile in PRESETS.values():
        assert 0 < profile.ram_available_bytes < profile.ram_total_bytes
        assert profile.memory_bandwidth_bytes_per_s and profile.bandwidth_source.startswith("preset")
        assert profile.source == "preset"


def test_find_preset_by_key_or_name() -> None:
    assert find_preset("rpi5-8gb") is PRESETS["rpi5-8gb"]
    assert find_preset("raspberry pi 5 8 gb") is PRESETS["rpi5-8gb"]
    assert find_preset("16 GB + 8 GB GPU") is PRESETS["desktop-16gb-gpu-8gb"]
    assert find_preset("no such machine") is None


@pytest.mark.parametrize("key", sorted(PRESETS))
def test_profiles_round_trip_through_json(key: str) -> None:
    profile = PRESETS[key]
    text = json.dumps(profile.to_dict())
    assert HardwareProfile.from_dict(json.loads(text)) == profile


def test_minimal_user_profile() -> None:
    profile = HardwareProfile.from_dict({"name": "old laptop", "ram_total_bytes": 4 * GIB})
    assert profile.source == "user"
    assert profile.ram_available_bytes == 4 * GIB - desktop_os_reserve(4 * GIB)
    assert profile.gpus == ()
    explicit = HardwareProfile.from_dict({"name": "x", "ram_total_bytes": GIB, "ram_available_bytes": 700 * MIB})
    assert explicit.ram_available_bytes == 700 * MIB


def test_invalid_profiles_are_user_errors() -> None:
    with pytest.raises(UserError, match="ram_total_bytes"):
        HardwareProfile.from_dict({"name": "no ram"})
    with pytest.raises(UserError, match="cpu_model"):
        HardwareProfile.from_dict({"name": "x", "ram_total_bytes": GIB, "cpu_model": 5})
    with pytest.raises(UserError, match="vram_total_bytes"):
        HardwareProfile.from_dict({"name": "x", "ram_total_bytes": GIB, "gpus": [{"name": "g", "vendor": "nvidia"}]})


def test_fingerprint_ignores_free_memory() -> None:
    a = cpu_only_profile("a", 8 * GIB, 5 * GIB)
    b = cpu_only_profile("a", 8 * GIB, 3 * GIB)
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != cpu_only_profile("a", 16 * GIB).fingerprint()


# --- user profiles on disk --------------------------------------------------------------------


def test_save_load_and_resolve_user_profiles(app_paths: paths.AppPaths) -> None:
    assert load_user_profiles(app_paths) == []
    tiny = cpu_only_profile("Tiny box", 512 * MIB, 256 * MIB)
    save_user_profile(app_paths, tiny)
    save_user_profile(app_paths, cpu_only_profile("other", GIB))
    save_user_profile(app_paths, cpu_only_profile("tiny BOX", 768 * MIB, 300 * MIB))  # replaces
    names = [p.name for p in load_user_profiles(app_paths)]
    assert names == ["other", "tiny BOX"]
    assert resolve_profile("Tiny Box", app_paths).ram_available_bytes == 300 * MIB
    assert resolve_profile("laptop-8gb", app_paths) is PRESETS["laptop-8gb"]
    with pytest.raises(UserError, match=r"^There is no hardware profile called 'nope'\.") as info:
        resolve_profile("nope", app_paths)
    assert "'laptop-8gb'" in info.value.hint and "'other'" in info.value.hint


def test_a_broken_profiles_file_is_reported(app_paths: paths.AppPaths) -> None:
    path = user_profiles_file(app_paths)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="Cannot read"):
        load_user_profiles(app_paths)


# --- probes -----------------------------------------------------------------------------------


def test_nvml_without_a_driver_means_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import pynvml

    def no_driver() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", no_driver)
    assert gpu.nvidia_gpus() == ()


def test_apple_gpu_is_unified_and_limited_to_the_working_set() -> None:
    apple = gpu.apple_gpu("Apple M2 Pro", 32 * GIB, 20 * GIB)
    assert apple.unified and apple.vendor == "apple"
    assert apple.vram_total_bytes == int(32 * GIB * 2 / 3)
    assert apple.vram_free_bytes == 20 * GIB
    assert apple.bandwidth_bytes_per_s == pytest.approx(200e9 * 0.85)


def test_bandwidth_is_measured_once_and_cached(tmp_path: Path) -> None:
    rate = bandwidth.measure_bandwidth(buffer_bytes=16 * MIB, runs=1)
    assert rate > 100e6  # any machine copies faster than 100 MB/s
    (tmp_path / bandwidth.CACHE_FILE).write_text(json.dumps({bandwidth.cache_key("cpu", 42): 12.5e9}))
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42) == 12.5e9


def test_engine_probe_reads_a_matching_cache(tmp_path: Path) -> None:
    info = {
        "llama_version": "9.9", "llama_gpu_offload": True, "llama_devices": ["CUDA0: test"],
        "llama_gpu_memory": [["test", 1, 2]], "llama_system_info": "CPU : AVX2 = 1 |",
        "onnxruntime_version": None, "onnx_providers": ["CPUExecutionProvider"], "error": "",
    }  # fmt: skip
    (tmp_path / backends.CACHE_FILE).write_text(json.dumps({"key": backends._cache_key(), "info": info}))
    cached = backends.probe_backends(tmp_path)
    assert cached.llama_gpu_offload is True
    assert cached.llama_gpu_memory == (("test", 1, 2),)
    assert cached.onnx_providers == ("CPUExecutionProvider",)
