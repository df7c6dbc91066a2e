"""Which llama.cpp CPU code paths slmdesk lets run: the one place that decides (pure, no llama_cpp).

slmdesk ships llama.cpp built portably (``packaging/llama_wheel.py``): one ggml CPU library
per instruction-set level (``libggml-cpu-haswell``, ``-zen4``, ``-sapphirerapids``...), of
which :mod:`slmdesk.engine.llama_runtime` loads the best-scoring one that this module allows.

The one code path known to crash is ggml's AMX matrix multiply. On Intel CPUs of the Sapphire
Rapids class (``/proc/cpuinfo`` flags ``amx_tile amx_int8``, common in cloud VMs), llama.cpp
repacks the weights into an "AMX" buffer at load and every generation then dies with SIGSEGV in
``ggml_backend_amx_mul_mat`` (llama.cpp issue 20824, "segfault in ggml_backend_amx_mul_mat",
closed as stale without a fix; Ollama issue 17006 reports the same on Sapphire Rapids VMs),
or with SIGILL where the VM advertises AMX without granting it (field-notes section 2.8). Only
the ``sapphirerapids`` variant is compiled with AMX (``ggml/src/CMakeLists.txt``:
``ggml_add_cpu_backend_variant(sapphirerapids ... AMX_TILE AMX_INT8)``), so slmdesk does not
load that variant on such a CPU and takes the next best (``zen4``: the same AVX-512 set
without AMX, whatever its name says), keeping weight repacking (llama.cpp's AVX2/AVX-512
"CPU_REPACK" buffers), which is safe and faster at prompt processing (README, "The portable
llama.cpp build"). A build with a single CPU library (a user's own ``-march=native`` build)
cannot swap variants: there, when AMX is compiled in, repacking (``use_extra_bufts``, llama-bench
``--repack 0``) is turned off instead, which keeps the AMX buffer type unused.

A user who wants to try anyway sets ``SLMDESK_LLAMA_AMX=1``; ``SLMDESK_LLAMA_CPU_VARIANT=NAME``
forces one variant and ``SLMDESK_LLAMA_REPACK=0|1`` forces repacking off or on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

ENV_ALLOW_AMX = "SLMDESK_LLAMA_AMX"
ENV_CPU_VARIANT = "SLMDESK_LLAMA_CPU_VARIANT"
ENV_REPACK = "SLMDESK_LLAMA_REPACK"
ENV_NAMES = (ENV_ALLOW_AMX, ENV_CPU_VARIANT, ENV_REPACK)
"""The environment variables that change the decision (part of any cache key of its result)."""

AMX_CPU_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16"})
"""CPU features (slmdesk's names, :mod:`slmdesk.hardware.cpu`) that mark an AMX-class CPU."""

AMX_VARIANTS = frozenset({"sapphirerapids"})
"""ggml CPU variants compiled with AMX (``ggml/src/CMakeLists.txt`` of the vendored llama.cpp)."""

AMX_SYSTEM_INFO_KEYS = ("AMX_INT8", "AMX_BF16", "AMX_TILE")
"""``llama_print_system_info()`` keys that say a CPU library was compiled with AMX."""

AMX_ISSUE = "llama.cpp issue 20824"


def _truthy(value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class CpuDispatch:
    """The decision for one process.

    Attributes:
        candidates: the CPU variants that may be loaded (the best-scoring of them is), in the
            order given; empty when the build has a single CPU library.
        forced_variant: the variant named by ``SLMDESK_LLAMA_CPU_VARIANT`` (already checked to
            exist), or "".
        allow_amx: AMX code paths may run.
        notes: what was left out and why, for the engine's load info and ``slmdesk doctor``.
    """

    candidates: tuple[str, ...]
    forced_variant: str = ""
    allow_amx: bool = False
    notes: tuple[str, ...] = ()


def choose_variants(cpu_features: Collection[str], variants: Collection[str], env: Mapping[str, str]) -> CpuDispatch:
    """The CPU variants that may be loaded on a CPU with ``cpu_features``.

    Args:
        cpu_features: this CPU's features in slmdesk's names (``hardware.cpu``), e.g.
            ``{"avx2", "avx512f", "amx_int8"}``.
        variants: the variant names found in the installed build (``"zen4"``...); empty for a
            build with one CPU library.
        env: the environment (``SLMDESK_LLAMA_AMX``, ``SLMDESK_LLAMA_CPU_VARIANT``).

    Returns:
        The candidates: every variant, less those compiled with AMX when the CPU advertises
        AMX (see the module docstring) and ``SLMDESK_LLAMA_AMX`` is not set; or just the
        forced variant. Variants the CPU cannot run are not filtered here: ggml's own
        ``ggml_backend_score`` of each library rules them out at load.
    """
    names = tuple(variants)
    notes: list[str] = []
    allow_amx = bool(_truthy(env.get(ENV_ALLOW_AMX)))
    forced = (env.get(ENV_CPU_VARIANT) or "").strip()
    if forced:
        if forced in names:
            note = f"CPU variant {forced} forced by {ENV_CPU_VARIANT}."
            if forced in AMX_VARIANTS and AMX_CPU_FLAGS & set(cpu_features):
                note += f" It uses AMX, which crashes on some CPUs ({AMX_ISSUE})."
                allow_amx = True
            return CpuDispatch((forced,), forced, allow_amx, (note,))
        notes.append(
            f"{ENV_CPU_VARIANT}={forced} names no installed variant (installed: {', '.join(names) or 'none'}); "
            "choosing as usual."
        )
    amx_cpu = bool(AMX_CPU_FLAGS & set(cpu_features))
    if amx_cpu and not allow_amx:
        skipped = [name for name in names if name in AMX_VARIANTS]
        if skipped:
            notes.append(
                f"AMX variant {', '.join(skipped)} not used: its AMX matrix multiply crashes on this CPU class "
                f"({AMX_ISSUE}). Set {ENV_ALLOW_AMX}=1 to try it."
            )
        names = tuple(name for name in names if name not in AMX_VARIANTS)
    elif amx_cpu and allow_amx:
        notes.append(f"AMX allowed by {ENV_ALLOW_AMX}=1 ({AMX_ISSUE} may crash generation).")
    return CpuDispatch(names, "", allow_amx, tuple(notes))


def library_has_amx(system_info: str) -> bool:
    """Whether ``llama_print_system_info()`` says the loaded CPU library has AMX compiled in
    (``"... | AMX_INT8 = 1 | ..."``)."""
    for part in system_info.replace("\n", "|").split("|"):
        key, sep, value = part.partition("=")
        if sep and key.split(":")[-1].strip() in AMX_SYSTEM_INFO_KEYS and value.strip() == "1":
            return True
    return False


def choose_repack(
    cpu_features: Collection[str], system_info: str, allow_amx: bool, env: Mapping[str, str]
) -> tuple[bool, str]:
    """Whether llama.cpp may repack weights into its extra buffer types (``use_extra_bufts``),
    with a note ("" when nothing is said).

    Repacking stays on (llama.cpp's default), except where the loaded CPU library has AMX
    compiled in, the CPU advertises AMX and AMX is not allowed: there the AMX buffer type would
    be used and crash (module docstring). ``SLMDESK_LLAMA_REPACK`` overrides both ways.
    """
    forced = _truthy(env.get(ENV_REPACK))
    if forced is not None:
        return forced, f"Weight repacking {'on' if forced else 'off'} by {ENV_REPACK}."
    if not allow_amx and AMX_CPU_FLAGS & set(cpu_features) and library_has_amx(system_info):
        return False, (
            f"Weight repacking off: this llama.cpp build has AMX compiled in, and its AMX matrix multiply "
            f"crashes on this CPU class ({AMX_ISSUE}). Set {ENV_ALLOW_AMX}=1 to try it."
        )
    return True, ""
