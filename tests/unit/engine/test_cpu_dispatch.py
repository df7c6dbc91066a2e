"""The CPU dispatch decision: CPU flags and installed variants in, what llama.cpp may load out."""

from __future__ import annotations

import pytest

from slmdesk.engine.cpu_dispatch import (
    ENV_ALLOW_AMX,
    ENV_CPU_VARIANT,
    ENV_NAMES,
    ENV_REPACK,
    choose_repack,
    choose_variants,
    library_has_amx,
)
from slmdesk.hardware import backends

# The x86-64 variants of GGML_CPU_ALL_VARIANTS in the vendored llama.cpp (ggml/src/CMakeLists.txt).
X86_VARIANTS = (
    "alderlake", "cannonlake", "cascadelake", "cooperlake", "haswell", "icelake", "ivybridge",
    "piledriver", "sandybridge", "sapphirerapids", "skylakex", "sse42", "x64", "zen4",
)  # fmt: skip
SAPPHIRE_RAPIDS = {"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512_vnni", "avx512_bf16",
                   "avx512vbmi", "amx_tile", "amx_int8", "amx_bf16"}
EPYC_ZEN4 = {"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512vbmi"}
HASWELL = {"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"}

NATIVE_AMX_SYSTEM_INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | "
    "AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 |"
)
NATIVE_ZEN4_SYSTEM_INFO = NATIVE_AMX_SYSTEM_INFO.replace("AMX_INT8 = 1 | ", "")


def test_amx_cpu_never_gets_the_amx_variant_by_default() -> None:
    dispatch = choose_variants(SAPPHIRE_RAPIDS, X86_VARIANTS, {})
    assert "sapphirerapids" not in dispatch.candidates
    assert set(dispatch.candidates) == set(X86_VARIANTS) - {"sapphirerapids"}
    assert not dispatch.allow_amx
    assert len(dispatch.notes) == 1
    assert "sapphirerapids" in dispatch.notes[0] and "20824" in dispatch.notes[0] and ENV_ALLOW_AMX in dispatch.notes[0]


@pytest.mark.parametrize("cpu", [EPYC_ZEN4, HASWELL, set()], ids=["zen4", "haswell", "unknown"])
def test_cpus_without_amx_keep_every_variant_and_say_nothing(cpu: set[str]) -> None:
    # ggml's own score rules out what the CPU cannot run; nothing is left out here.
    dispatch = choose_variants(cpu, X86_VARIANTS, {})
    assert dispatch.candidates == X86_VARIANTS
    assert dispatch.notes == () and dispatch.forced_variant == ""


@pytest.mark.parametrize("value", ["1", "true", "yes", "ON"])
def test_the_user_can_allow_amx(value: str) -> None:
    dispatch = choose_variants(SAPPHIRE_RAPIDS, X86_VARIANTS, {ENV_ALLOW_AMX: value})
    assert "sapphirerapids" in dispatch.candidates and dispatch.allow_amx
    assert "may crash" in dispatch.notes[0]


@pytest.mark.parametrize("value", ["0", "false", "", "  "])
def test_amx_stays_off_for_falsy_values(value: str) -> None:
    dispatch = choose_variants(SAPPHIRE_RAPIDS, X86_VARIANTS, {ENV_ALLOW_AMX: value})
    assert "sapphirerapids" not in dispatch.candidates and not dispatch.allow_amx


def test_a_forced_variant_is_the_only_candidate() -> None:
    dispatch = choose_variants(EPYC_ZEN4, X86_VARIANTS, {ENV_CPU_VARIANT: "haswell"})
    assert dispatch.candidates == ("haswell",) and dispatch.forced_variant == "haswell"
    assert dispatch.notes == (f"CPU variant haswell forced by {ENV_CPU_VARIANT}.",)


def test_forcing_the_amx_variant_on_an_amx_cpu_allows_amx_and_warns() -> None:
    dispatch = choose_variants(SAPPHIRE_RAPIDS, X86_VARIANTS, {ENV_CPU_VARIANT: "sapphirerapids"})
    assert dispatch.candidates == ("sapphirerapids",) and dispatch.allow_amx
    assert "crashes on some CPUs" in dispatch.notes[0]


def test_an_unknown_forced_variant_is_reported_and_ignored() -> None:
    dispatch = choose_variants(SAPPHIRE_RAPIDS, X86_VARIANTS, {ENV_CPU_VARIANT: "pentium4"})
    assert dispatch.forced_variant == "" and "sapphirerapids" not in dispatch.candidates
    assert dispatch.notes[0].startswith(f"{ENV_CPU_VARIANT}=pentium4 names no installed variant")


def test_a_single_library_build_has_no_candidates() -> None:
    dispatch = choose_variants(SAPPHIRE_RAPIDS, (), {})
    assert dispatch.candidates == () and dispatch.notes == ()


def test_library_has_amx_reads_llama_system_info() -> None:
    assert library_has_amx(NATIVE_AMX_SYSTEM_INFO)
    assert not library_has_amx(NATIVE_ZEN4_SYSTEM_INFO)
    assert not library_has_amx("CPU : AMX_INT8 = 0 | AVX2 = 1 |")
    assert not library_has_amx("")


def test_repack_goes_off_only_for_an_amx_library_on_an_amx_cpu() -> None:
    # A native build on a Sapphire Rapids machine: the AMX buffer type would be used and crash.
    repack, note = choose_repack(SAPPHIRE_RAPIDS, NATIVE_AMX_SYSTEM_INFO, allow_amx=False, env={})
    assert repack is False and "20824" in note and ENV_ALLOW_AMX in note
    # The portable build's zen4 variant on the same CPU: no AMX compiled in, repacking is safe.
    assert choose_repack(SAPPHIRE_RAPIDS, NATIVE_ZEN4_SYSTEM_INFO, allow_amx=False, env={}) == (True, "")
    # An AMD CPU: AMX library code can never run there (ggml checks the CPU), repacking stays.
    assert choose_repack(EPYC_ZEN4, NATIVE_AMX_SYSTEM_INFO, allow_amx=False, env={}) == (True, "")
    # The user allowed AMX.
    assert choose_repack(SAPPHIRE_RAPIDS, NATIVE_AMX_SYSTEM_INFO, allow_amx=True, env={}) == (True, "")


@pytest.mark.parametrize(("value", "expected"), [("0", False), ("off", False), ("1", True), ("yes", True)])
def test_repack_can_be_forced_both_ways(value: str, expected: bool) -> None:
    repack, note = choose_repack(EPYC_ZEN4, NATIVE_ZEN4_SYSTEM_INFO, allow_amx=False, env={ENV_REPACK: value})
    assert repack is expected and ENV_REPACK in note


def test_the_probe_cache_key_follows_every_dispatch_variable() -> None:
    assert backends.DISPATCH_ENV == ENV_NAMES
