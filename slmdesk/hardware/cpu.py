"""CPU model and the instruction-set extensions llama.cpp's kernels choose between.

Linux reads ``/proc/cpuinfo``; macOS asks ``sysctl``; Windows asks the registry and
``IsProcessorFeaturePresent``; anything else falls back to :mod:`platform`. The parsers are pure
functions so that every platform's format is unit-tested on any machine.
"""

from __future__ import annotations

import logging
import platform
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# /proc/cpuinfo flag -> slmdesk feature name. x86 flags as the kernel spells them; ARM "Features".
# The features are those ggml's CPU back-end dispatches on (ggml/src/ggml-cpu/ggml-cpu.c,
# ``ggml_cpu_has_*``; repack.cpp picks interleaved kernels by AVX2 / NEON dotprod / i8mm / SVE).
_LINUX_FLAGS: dict[str, str] = {
    "pni": "sse3",
    "ssse3": "ssse3",
    "sse4_1": "sse4_1",
    "sse4_2": "sse4_2",
    "avx": "avx",
    "avx2": "avx2",
    "f16c": "f16c",
    "fma": "fma",
    "bmi2": "bmi2",
    "avx_vnni": "avx_vnni",
    "avx512f": "avx512f",
    "avx512bw": "avx512bw",
    "avx512vl": "avx512vl",
    "avx512dq": "avx512dq",
    "avx512_vnni": "avx512_vnni",
    "avx512_bf16": "avx512_bf16",
    "avx512vbmi": "avx512vbmi",
    "amx_tile": "amx_tile",
    "amx_int8": "amx_int8",
    "amx_bf16": "amx_bf16",
    # ARM (aarch64 "Features" line)
    "asimd": "neon",
    "asimddp": "dotprod",
    "asimdhp": "fp16",
    "i8mm": "i8mm",
    "bf16": "bf16",
    "sve": "sve",
    "sve2": "sve2",
    "sme": "sme",
}

# sysctl keys (macOS) -> feature names. Apple Silicon: hw.optional.arm.FEAT_*; Intel Macs:
# machdep.cpu.features / leaf7_features words.
_SYSCTL_ARM: dict[str, str] = {
    "hw.optional.AdvSIMD": "neon",
    "hw.optional.neon": "neon",
    "hw.optional.arm.FEAT_DotProd": "dotprod",
    "hw.optional.arm.FEAT_FP16": "fp16",
    "hw.optional.arm.FEAT_I8MM": "i8mm",
    "hw.optional.arm.FEAT_BF16": "bf16",
    "hw.optional.arm.FEAT_SME": "sme",
}
_SYSCTL_X86_WORDS: dict[str, str] = {
    "SSE3": "sse3",
    "SSSE3": "ssse3",
    "SSE4.1": "sse4_1",
    "SSE4.2": "sse4_2",
    "AVX1.0": "avx",
    "AVX2": "avx2",
    "F16C": "f16c",
    "FMA": "fma",
    "BMI2": "bmi2",
    "AVX512F": "avx512f",
    "AVX512BW": "avx512bw",
    "AVX512VL": "avx512vl",
    "AVX512DQ": "avx512dq",
    "AVX512VNNI": "avx512_vnni",
}

# Windows IsProcessorFeaturePresent ids (winnt.h).
_WINDOWS_FEATURES: dict[int, str] = {
    13: "sse3",  # PF_SSE3_INSTRUCTIONS_AVAILABLE
    36: "ssse3",  # PF_SSSE3_INSTRUCTIONS_AVAILABLE
    37: "sse4_1",
    38: "sse4_2",
    39: "avx",
    40: "avx2",
    41: "avx512f",
    43: "dotprod",  # PF_ARM_V82_DP_INSTRUCTIONS_AVAILABLE
    19: "neon",  # PF_ARM_NEON_INSTRUCTIONS_AVAILABLE
}

FEATURE_ORDER: tuple[str, ...] = tuple(dict.fromkeys(_LINUX_FLAGS.values()))
"""Canonical order of feature names (x86 first, then ARM)."""


def _ordered(features: set[str]) -> tuple[str, ...]:
    known = [f for f in FEATURE_ORDER if f in features]
    return tuple(known + sorted(features - set(known)))


def parse_proc_cpuinfo(text: str) -> tuple[str, tuple[str, ...]]:
    """``(cpu model, features)`` from the text of ``/proc/cpuinfo`` (x86 or ARM).

    The model is "model name" (x86), else "Model" (Raspberry Pi boards), "Hardware" or
    "CPU part"; "" when none is present.
    """
    model = ""
    fallbacks: dict[str, str] = {}
    flags: set[str] = set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "model name" and not model:
            model = value
        elif key in ("Model", "Hardware", "CPU part") and key not in fallbacks:
            fallbacks[key] = value
        elif key in ("flags", "Features"):
            flags.update(value.split())
    if not model:
        model = next((fallbacks[k] for k in ("Model", "Hardware", "CPU part") if k in fallbacks), "")
    return model, _ordered({_LINUX_FLAGS[f] for f in flags if f in _LINUX_FLAGS})


def parse_sysctl(text: str) -> tuple[str, tuple[str, ...]]:
    """``(cpu model, features)`` from ``sysctl machdep.cpu hw.optional`` output ("key: value"
    lines) on macOS, Apple Silicon or Intel."""
    model = ""
    features: set[str] = set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "machdep.cpu.brand_string":
            model = value
        elif key in _SYSCTL_ARM and value == "1":
            features.add(_SYSCTL_ARM[key])
        elif key in ("machdep.cpu.features", "machdep.cpu.leaf7_features"):
            features.update(_SYSCTL_X86_WORDS[w] for w in value.split() if w in _SYSCTL_X86_WORDS)
    return model, _ordered(features)


def _windows_cpu() -> tuple[str, tuple[str, ...]]:
    if sys.platform != "win32":  # type checkers on other platforms skip the rest
        return platform.processor(), ()
    import ctypes
    import winreg

    model = platform.processor()
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0") as key:
            model = str(winreg.QueryValueEx(key, "ProcessorNameString")[0]).strip()
    except OSError:
        pass
    present = ctypes.windll.kernel32.IsProcessorFeaturePresent
    features = {name for pf, name in _WINDOWS_FEATURES.items() if present(pf)}
    return model, _ordered(features)


def cpu_model_and_features() -> tuple[str, tuple[str, ...]]:
    """This machine's CPU brand string and features; ("", ()) parts when unknown. Never raises."""
    try:
        if sys.platform.startswith("linux"):
            return parse_proc_cpuinfo(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"))
        if sys.platform == "darwin":
            done = subprocess.run(
                ["sysctl", "machdep.cpu", "hw.optional"], capture_output=True, text=True, timeout=10
            )
            return parse_sysctl(done.stdout)
        if sys.platform == "win32":
            return _windows_cpu()
    except Exception as error:  # noqa: BLE001 - OS interfaces fail in odd ways; a probe must degrade, not fail
        log.warning("CPU probe failed: %s", error)
    return platform.processor() or platform.machine(), ()


def features_from_llama_system_info(text: str) -> tuple[str, ...]:
    """Features llama.cpp reports as enabled (``"CPU : AVX2 = 1 | NEON = 1 | ..."``), in
    slmdesk's names: the fallback where the OS gives none (Windows on ARM, BSDs)."""
    names = {
        "SSE3": "sse3",
        "SSSE3": "ssse3",
        "AVX": "avx",
        "AVX2": "avx2",
        "F16C": "f16c",
        "FMA": "fma",
        "BMI2": "bmi2",
        "AVX_VNNI": "avx_vnni",
        "AVX512": "avx512f",
        "AVX512_VBMI": "avx512vbmi",
        "AVX512_VNNI": "avx512_vnni",
        "AVX512_BF16": "avx512_bf16",
        "AMX_INT8": "amx_int8",
        "NEON": "neon",
        "ARM_FMA": "fma",
        "FP16_VA": "fp16",
        "DOTPROD": "dotprod",
        "MATMUL_INT8": "i8mm",
        "SVE": "sve",
        "SME": "sme",
    }
    found: set[str] = set()
    for part in text.replace("\n", "|").split("|"):
        key, sep, value = part.partition("=")
        key = key.split(":")[-1].strip()
        if sep and value.strip() == "1" and key in names:
            found.add(names[key])
    return _ordered(found)
