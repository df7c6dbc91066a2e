"""Build (once per machine and recipe) and install the portable llama-cpp-python wheel.

llama-cpp-python publishes only a source distribution on PyPI, and its default build compiles
llama.cpp with ``-march=native`` (``GGML_NATIVE`` on): a wheel that can die with SIGILL on
any other CPU, so it can never go into an installer. This script builds it the way ggml's own
release builds do instead (``GGML_NATIVE=OFF``, ``GGML_BACKEND_DL=ON``,
``GGML_CPU_ALL_VARIANTS=ON``): one ``libggml-cpu-<variant>`` per instruction-set level
(x86-64: ``x64``/``sse42`` ... ``zen4``/``sapphirerapids``; Linux ARM: ``armv8.0_1`` ...
``armv9.2_2``; Apple Silicon: ``apple_m1`` ... ``apple_m4``), of which
:mod:`slmdesk.engine.llama_runtime` loads the best safe one at run time.

The wheel is kept in a cache keyed by the llama-cpp-python version, the CMake arguments and
the platform, outside the repository, so that a fresh clone on the same machine installs it
in seconds, while changed CMake arguments (``SLMDESK_LLAMA_CMAKE_ARGS``, e.g.
``-DGGML_CUDA=ON``) build a new one rather than reuse a stale wheel. pip's own wheel cache is
not used for this package: it is keyed by the source archive alone and ignores CMAKE_ARGS.

Usage (stdlib only; run with the interpreter of the environment to install into)::

    python packaging/llama_wheel.py --install   # build if needed, install if not installed
    python packaging/llama_wheel.py --build     # build if needed, print the wheel's path
    python packaging/llama_wheel.py --show      # print the recipe and the cache path

Environment:
    SLMDESK_LLAMA_CMAKE_ARGS   extra CMake arguments, appended to the portable set
    SLMDESK_WHEEL_CACHE        the cache folder (default: the user cache folder/slmdesk/wheels)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECIPE_VERSION = 1
"""Bump when the way the wheel is built changes in a way the CMake arguments do not show."""

PORTABLE_ARGS = (
    "-DGGML_NATIVE=OFF",
    "-DGGML_BACKEND_DL=ON",
    "-DGGML_CPU_ALL_VARIANTS=ON",
    # ggml installs backend modules into CMAKE_INSTALL_BINDIR, which for a wheel is
    # site-packages/bin, outside the llama_cpp package (field-notes section 2.8); put them
    # beside libggml instead, where slmdesk.engine.llama_runtime and PyInstaller find them.
    "-DCMAKE_INSTALL_BINDIR=llama_cpp/lib",
    # libmtmd (vision models) is not used by slmdesk; llama_cpp imports it lazily.
    "-DLLAVA_BUILD=OFF",
)
"""CMake arguments of the portable build (ggml's release recipe: ``.github/workflows/release.yml``
of llama.cpp builds its CPU packages with ``-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON
-DGGML_CPU_ALL_VARIANTS=ON``)."""

MARKER = "slmdesk-llama-build.json"
"""Written into the environment's ``llama_cpp`` package: the recipe the installed wheel came
from (read by ``slmdesk doctor`` and the tests)."""


def llama_version() -> str:
    """The llama-cpp-python version pinned in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"llama-cpp-python==([\w.]+)", requirement.replace(" ", ""))
        if match:
            return match.group(1)
    raise SystemExit("pyproject.toml pins no llama-cpp-python==VERSION")


def cmake_args() -> list[str]:
    """The portable arguments plus ``SLMDESK_LLAMA_CMAKE_ARGS``."""
    extra = shlex.split(os.environ.get("SLMDESK_LLAMA_CMAKE_ARGS", ""))
    return [*PORTABLE_ARGS, *extra]


def recipe() -> dict[str, object]:
    """Everything that decides the wheel's content."""
    return {
        "recipe": RECIPE_VERSION,
        "llama_cpp_python": llama_version(),
        "cmake_args": cmake_args(),
        "system": sys.platform,
        "machine": platform.machine().lower(),
    }


def recipe_key(values: dict[str, object]) -> str:
    """16 hex digits of the SHA-256 of the recipe (canonical JSON)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def cache_root() -> Path:
    """``SLMDESK_WHEEL_CACHE``, else the per-user cache folder of this OS + ``slmdesk/wheels``."""
    configured = os.environ.get("SLMDESK_WHEEL_CACHE")
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "slmdesk" / "wheels"


def wheel_dir(values: dict[str, object]) -> Path:
    return cache_root() / f"llama-cpp-python-{values['llama_cpp_python']}-{recipe_key(values)}"


def cached_wheel(values: dict[str, object]) -> Path | None:
    folder = wheel_dir(values)
    wheels = sorted(folder.glob("llama_cpp_python-*.whl"))
    return wheels[0] if wheels and (folder / "recipe.json").is_file() else None


def build(values: dict[str, object]) -> Path:
    """The cached wheel for ``values``, built first when missing (12-30 min on 2 cores)."""
    found = cached_wheel(values)
    if found:
        return found
    target = wheel_dir(values)
    target.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["CMAKE_ARGS"] = " ".join(str(arg) for arg in values["cmake_args"])  # type: ignore[union-attr]
    env["FORCE_CMAKE"] = "1"
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 2))
    print(
        f"Building llama-cpp-python {values['llama_cpp_python']} (portable llama.cpp, every CPU variant); "
        "this compiles llama.cpp once per machine and takes a while.\n"
        f"  CMAKE_ARGS={env['CMAKE_ARGS']}",
        flush=True,
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="building-", dir=target.parent) as scratch:
        command = [
            sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir",
            "--no-binary", "llama-cpp-python", "-w", scratch,
            f"llama-cpp-python=={values['llama_cpp_python']}",
        ]
        subprocess.run(command, check=True, env=env)
        built = sorted(Path(scratch).glob("llama_cpp_python-*.whl"))
        if not built:
            raise SystemExit("pip wheel produced no llama_cpp_python wheel")
        staged = Path(scratch) / "done"
        staged.mkdir()
        shutil.move(str(built[0]), staged / built[0].name)
        info = dict(values, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    build_seconds=round(time.monotonic() - started))
        (staged / "recipe.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        if target.exists():  # an interrupted earlier build left a folder without recipe.json
            shutil.rmtree(target)
        staged.rename(target)  # atomic: a cache folder is complete or absent
    print(f"Built {target} in {round(time.monotonic() - started)} s", flush=True)
    found = cached_wheel(values)
    assert found is not None
    return found


def installed_marker() -> dict[str, object] | None:
    """The recipe recorded in the installed llama_cpp package, None when absent."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("llama_cpp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    marker = Path(next(iter(spec.submodule_search_locations))) / MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def install(values: dict[str, object]) -> None:
    """Install the wheel for ``values`` unless the installed one came from the same recipe."""
    marker = installed_marker()
    key = recipe_key(values)
    if marker and marker.get("key") == key:
        print(f"llama-cpp-python {values['llama_cpp_python']} (portable build {key}) is installed.")
        return
    wheel = build(values)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--force-reinstall", "--no-cache-dir", str(wheel)],
        check=True,
    )
    # numpy, jinja2, diskcache, typing-extensions: llama-cpp-python's own dependencies.
    subprocess.run([sys.executable, "-m", "pip", "install", str(wheel)], check=True)
    import importlib

    importlib.invalidate_caches()
    spec = importlib.util.find_spec("llama_cpp")
    assert spec is not None and spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    (package / MARKER).write_text(json.dumps(dict(values, key=key, wheel=wheel.name), indent=2), encoding="utf-8")
    print(f"Installed {wheel.name} (portable build {key}).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--install", action="store_true", help="build if needed and install into this Python")
    action.add_argument("--build", action="store_true", help="build if needed and print the wheel's path")
    action.add_argument("--show", action="store_true", help="print the recipe, its key and the cache folder")
    args = parser.parse_args()
    values = recipe()
    if args.show:
        print(json.dumps(dict(values, key=recipe_key(values), folder=str(wheel_dir(values)),
                              cached=str(cached_wheel(values) or "")), indent=2))
    elif args.build:
        print(build(values))
    else:
        install(values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
