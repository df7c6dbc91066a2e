"""Loads llama.cpp's backends for this process, the CPU variant chosen at run time, and reports them.

The portable build (``packaging/llama_wheel.py``: ``GGML_BACKEND_DL`` with
``GGML_CPU_ALL_VARIANTS``) ships one ``libggml-cpu-<variant>`` per instruction-set level beside
``libggml`` in ``llama_cpp/lib``. ggml's own ``ggml_backend_load_all()`` would search only the
executable's folder and the current directory (``ggml/src/ggml-backend-reg.cpp``,
``ggml_backend_load_best``), which for Python finds nothing (and for a process started in a
folder an attacker controls, loads their library); so :func:`ensure_backends` does what it does,
explicitly: it asks each allowed variant for its ``ggml_backend_score()`` (0 = this CPU cannot
run it), loads the best one with ``ggml_backend_load()``, then the GPU backends found beside it.
Which variants are allowed is decided in :mod:`slmdesk.engine.cpu_dispatch`.

Runs in the engine process only (it imports llama_cpp), before the first model load: once a
backend is registered, llama.cpp's ``llama_backend_init`` no longer searches on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import re
import sys
import threading
from dataclasses import replace
from pathlib import Path

import llama_cpp

from slmdesk.engine.cpu_dispatch import choose_repack, choose_variants
from slmdesk.engine.types import RuntimeInfo
from slmdesk.hardware.versions import LLAMA_CPP_COMMITS

log = logging.getLogger(__name__)

if sys.platform == "win32":
    _PREFIX, _SUFFIX = "ggml-", ".dll"
elif sys.platform == "darwin":
    _PREFIX, _SUFFIX = "libggml-", ".so"  # ggml names its backend modules .so on macOS too
else:
    _PREFIX, _SUFFIX = "libggml-", ".so"

_ISA_FEATURES = (
    "SSE3", "SSSE3", "AVX", "AVX_VNNI", "AVX2", "F16C", "FMA", "BMI2", "AVX512", "AVX512_VBMI",
    "AVX512_VNNI", "AVX512_BF16", "AMX_INT8", "AMX_BF16", "NEON", "ARM_FMA", "FP16_VA", "DOTPROD",
    "MATMUL_INT8", "SVE", "SVE2", "SME", "VSX", "RVV",
)
"""``llama_print_system_info()`` keys that are instruction-set features (the rest are build
options: OPENMP, REPACK, LLAMAFILE...)."""

_GPU_DEVICE_TYPES = (1, 2)
"""``enum ggml_backend_dev_type`` (ggml/include/ggml-backend.h): 0 CPU, 1 GPU, 2 IGPU, 3 ACCEL."""

_lock = threading.Lock()
_state: RuntimeInfo | None = None


def lib_dir() -> Path:
    """The folder holding libllama, libggml and the backend modules (``llama_cpp/lib``)."""
    return Path(llama_cpp.__file__).resolve().parent / "lib"


def cpu_variant_files(folder: Path) -> dict[str, Path]:
    """``{variant: path}`` of the ``libggml-cpu-<variant>`` modules in ``folder``, sorted by name."""
    pattern = re.compile(rf"^{re.escape(_PREFIX)}cpu-(.+){re.escape(_SUFFIX)}$")
    found = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        match = pattern.match(path.name)
        if match and path.is_file():
            found[match.group(1)] = path
    return found


def _other_backend_files(folder: Path) -> list[Path]:
    """GPU and other non-CPU backend modules (``libggml-cuda.so``, ``ggml-vulkan.dll``...)."""
    pattern = re.compile(rf"^{re.escape(_PREFIX)}([a-z0-9]+){re.escape(_SUFFIX)}$")
    files = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        match = pattern.match(path.name)
        if match and match.group(1) not in ("base", "cpu"):
            files.append(path)
    return files


def _loaded_libggml_path() -> str | None:
    """The libggml file that libllama itself uses, as mapped in this process (Linux) or
    listed by dyld (macOS). A wheel cannot hold symbolic links, so ``libggml.so`` and
    ``libggml.so.0`` are two copies, and only the one libllama was linked against
    (``DT_NEEDED libggml.so.0``) holds the backend registry llama.cpp reads (field-notes 2.8)."""
    if sys.platform.startswith("linux"):
        try:
            maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        for line in maps.splitlines():
            path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
            if re.search(r"/libggml\.so(\.\d+)*$", path):
                return path
        return None
    if sys.platform == "darwin":
        dyld = ctypes.CDLL(None)
        dyld._dyld_image_count.restype = ctypes.c_uint32
        dyld._dyld_get_image_name.restype = ctypes.c_char_p
        dyld._dyld_get_image_name.argtypes = [ctypes.c_uint32]
        for index in range(dyld._dyld_image_count()):
            name = (dyld._dyld_get_image_name(index) or b"").decode(errors="replace")
            if re.search(r"/libggml(\.\d+)*\.dylib$", name):
                return name
    return None


@functools.cache
def libggml() -> ctypes.CDLL:
    """The libggml that libllama uses, with the registry and device functions declared."""
    path = _loaded_libggml_path()
    if path:
        lib = ctypes.CDLL(path, mode=getattr(os, "RTLD_GLOBAL", 0) | getattr(os, "RTLD_NOLOAD", 0))
    else:
        from llama_cpp import _ggml

        lib = _ggml.libggml
    vp, cp, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
    for name, argtypes, restype in (
        ("ggml_backend_load", [cp], vp),
        ("ggml_backend_reg_count", [], sz),
        ("ggml_backend_reg_get", [sz], vp),
        ("ggml_backend_reg_name", [vp], cp),
        ("ggml_backend_dev_count", [], sz),
        ("ggml_backend_dev_get", [sz], vp),
        ("ggml_backend_dev_name", [vp], cp),
        ("ggml_backend_dev_description", [vp], cp),
        ("ggml_backend_dev_type", [vp], ctypes.c_int),
        ("ggml_backend_dev_memory", [vp, ctypes.POINTER(sz), ctypes.POINTER(sz)], None),
        ("ggml_backend_load_all_from_path", [cp], None),
    ):
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    return lib


def _close(handle: ctypes.CDLL) -> None:
    import _ctypes

    closer = getattr(_ctypes, "FreeLibrary", None) or getattr(_ctypes, "dlclose", None)
    if closer is not None:
        with contextlib.suppress(OSError):
            closer(handle._handle)


def _score(path: Path) -> tuple[int, str]:
    """``(ggml_backend_score(), error)`` of one CPU variant module: 0 when this CPU lacks a
    feature it was compiled for, or when it cannot be opened (error says why)."""
    try:
        handle = ctypes.CDLL(str(path))
    except OSError as error:
        return 0, str(error)
    try:
        score = handle.ggml_backend_score
    except AttributeError:
        _close(handle)
        return 0, "no ggml_backend_score"
    score.restype = ctypes.c_int
    score.argtypes = []
    value = int(score())
    _close(handle)
    return value, ""


def _system_info() -> str:
    return str(llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")).strip()


def isa_features(system_info: str) -> tuple[str, ...]:
    """Instruction-set features enabled in ``llama_print_system_info()`` text, in its order."""
    found = []
    for part in system_info.replace("\n", "|").split("|"):
        key, sep, value = part.partition("=")
        key = key.split(":")[-1].strip()
        if sep and value.strip() == "1" and key in _ISA_FEATURES and key not in found:
            found.append(key)
    return tuple(found)


def _engine_name() -> str:
    version = llama_cpp.__version__
    commit = LLAMA_CPP_COMMITS.get(version)
    return f"llama.cpp {commit} (llama-cpp-python {version})" if commit else f"llama-cpp-python {version}"


def _cpu_features() -> tuple[str, ...]:
    from slmdesk.hardware.cpu import cpu_model_and_features

    return cpu_model_and_features()[1]


def ensure_backends(env: dict[str, str] | None = None) -> RuntimeInfo:
    """Load llama.cpp's backends for this process (once) and return what it runs on.

    The CPU variant is the best-scoring of those :func:`~slmdesk.engine.cpu_dispatch.choose_variants`
    allows; GPU backend modules beside it are loaded too, and one that cannot be loaded (a CUDA
    build on a machine without the NVIDIA driver) leaves a note, and the CPU does the work.
    Never raises for a missing or broken variant: the note says what happened, and llama.cpp's
    own search is the last resort.
    """
    global _state
    with _lock:
        if _state is not None:
            return _state
        env = dict(os.environ if env is None else env)
        folder = lib_dir()
        variants = cpu_variant_files(folder)
        cpu_features = _cpu_features()
        dispatch = choose_variants(cpu_features, variants, env)
        notes = list(dispatch.notes)
        lib = libggml()
        chosen = ""
        gpu_backends: list[str] = []
        if variants:
            scores = {}
            for name in dispatch.candidates:
                score, error = _score(variants[name])
                scores[name] = score
                if error:
                    notes.append(f"CPU variant {name} cannot be opened: {error}")
            best = max(scores, key=lambda name: scores[name], default="")
            if best and scores[best] > 0 and lib.ggml_backend_load(str(variants[best]).encode()):
                chosen = best
            else:
                notes.append("No CPU variant could be chosen; llama.cpp searched on its own.")
            for path in _other_backend_files(folder):
                try:
                    probe = ctypes.CDLL(str(path))
                except OSError as error:
                    name = path.name.removeprefix(_PREFIX).removesuffix(_SUFFIX)
                    notes.append(f"{name.upper()} backend not loaded ({error}); running on the CPU.")
                    continue
                _close(probe)
                lib.ggml_backend_load(str(path).encode())
            if not chosen:
                lib.ggml_backend_load_all_from_path(str(folder).encode())
        llama_cpp.llama_backend_init()
        devices = []
        for index in range(lib.ggml_backend_dev_count()):
            device = lib.ggml_backend_dev_get(index)
            name = (lib.ggml_backend_dev_name(device) or b"").decode(errors="replace")
            description = (lib.ggml_backend_dev_description(device) or b"").decode(errors="replace")
            devices.append(f"{name}: {description}")
            if lib.ggml_backend_dev_type(device) in _GPU_DEVICE_TYPES:
                gpu_name = re.sub(r"\d+$", "", name) or name
                if gpu_name not in gpu_backends:
                    gpu_backends.append(gpu_name)
        system_info = _system_info()
        repack, repack_note = choose_repack(cpu_features, system_info, dispatch.allow_amx, env)
        if repack_note:
            notes.append(repack_note)
        _state = RuntimeInfo(
            engine=_engine_name(),
            build="portable" if variants else "single",
            cpu_variant=chosen,
            cpu_variants=tuple(variants),
            cpu_features=isa_features(system_info),
            repack=repack,
            gpu_backends=tuple(gpu_backends),
            devices=tuple(devices),
            notes=tuple(notes),
        )
        log.info("llama.cpp runtime: %s", _state.summary())
        return _state


def with_buffers(info: RuntimeInfo, buffer_types: list[str] | tuple[str, ...]) -> RuntimeInfo:
    """``info`` with the weight buffer types of a loaded model."""
    return replace(info, buffer_types=tuple(dict.fromkeys(buffer_types)))


MODEL_BUFFER_LINE = re.compile(r"^\s*(?:load_tensors:)?\s*(\S+) model buffer size\s*=")
"""llama.cpp's load log line naming a weight buffer (``src/llama-model.cpp``:
``"%s: %12s model buffer size = %8.2f MiB"``), e.g. ``"load_tensors:   CPU_REPACK model buffer size"``."""


def buffer_type_of(log_line: str) -> str | None:
    """The buffer type named by one llama.cpp log line, None for other lines."""
    match = MODEL_BUFFER_LINE.match(log_line)
    return match.group(1) if match else None
