"""Build llama.cpp's reference tools (``llama-quantize``, ``llama-perplexity``, ``llama-imatrix``)
from the llama-cpp-python sdist slmdesk pins, portably, into a per-recipe cache folder.

These binaries are references for the tests and benchmarks only (is slmdesk's perplexity the
one ``llama-perplexity`` prints? is its importance matrix the one ``llama-imatrix`` writes?);
the app never ships or runs them. They come from the same source as slmdesk's wheel (the
sdist's ``vendor/llama.cpp``) and with the same portable CMake arguments
(``packaging/llama_wheel.py``: ``GGML_NATIVE=OFF``, every CPU variant, runtime dispatch), so a
difference in numbers is slmdesk's code and not the build.

The folder is ``<user cache>/slmdesk/tools/<llama-cpp-python version>-<recipe key>`` (the key
hashes the version, the CMake arguments and the platform, like the wheel's cache); it holds
``bin/`` (the three tools beside the ggml CPU variants they load) and ``recipe.json``, and is
complete or absent: the build runs in a scratch folder that is renamed into place.

Usage (stdlib only)::

    python packaging/llama_tools.py            # build if needed (about 15-25 min on 2 cores), print the folder
    python packaging/llama_tools.py --show     # print the recipe, the folder and whether it is built

Environment: ``SLMDESK_LLAMA_CMAKE_ARGS`` (as for the wheel), ``SLMDESK_TOOLS_CACHE`` (the
cache root, default ``<user cache>/slmdesk/tools``), ``CMAKE_BUILD_PARALLEL_LEVEL`` (jobs,
default 2).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import llama_wheel  # the script beside this one, not a package

TOOLS = ("llama-quantize", "llama-perplexity", "llama-imatrix")
RECIPE_VERSION = 1
"""Bump when the way the tools are built changes in a way the CMake arguments do not show."""


def recipe() -> dict[str, object]:
    """Everything that decides the tools' content: the wheel's recipe plus the tool list."""
    return dict(llama_wheel.recipe(), tools=list(TOOLS), tools_recipe=RECIPE_VERSION)


def cache_root() -> Path:
    configured = os.environ.get("SLMDESK_TOOLS_CACHE")
    if configured:
        return Path(configured).expanduser()
    return llama_wheel.cache_root().parent / "tools"


def tools_dir(values: dict[str, object] | None = None) -> Path:
    """``<cache root>/<version>-<key>`` for ``values`` (the current recipe by default)."""
    values = values or recipe()
    return cache_root() / f"{values['llama_cpp_python']}-{llama_wheel.recipe_key(values)}"


def built_tools(values: dict[str, object] | None = None) -> dict[str, Path] | None:
    """``{tool name: executable}`` when the cache folder is complete, else None."""
    folder = tools_dir(values)
    if not (folder / "recipe.json").is_file():
        return None
    suffix = ".exe" if sys.platform == "win32" else ""
    found = {name: folder / "bin" / f"{name}{suffix}" for name in TOOLS}
    return found if all(path.is_file() for path in found.values()) else None


def sdist(version: str) -> Path:
    """The llama-cpp-python sdist: in the cache, else copied from the llama-bench cache, else pip download."""
    base = cache_root()
    base.mkdir(parents=True, exist_ok=True)
    name = f"llama_cpp_python-{version}.tar.gz"
    target = base / name
    if target.is_file():
        return target
    shared = llama_wheel.cache_root().parent / "llama-bench" / name
    if shared.is_file():
        shutil.copyfile(shared, target)
        return target
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"llama-cpp-python=={version}", "-d", str(base)], check=True)
    return target


def cmake_command(source: Path, build: Path, values: dict[str, object]) -> list[str]:
    """The configure command: the wheel's portable arguments minus the two that only shape
    the wheel's layout (install folder of the CPU variants, libmtmd), tools on, the rest off."""
    args = [str(arg) for arg in values["cmake_args"]]  # type: ignore[attr-defined]
    portable = [arg for arg in args if not arg.startswith(("-DCMAKE_INSTALL_BINDIR", "-DLLAVA_BUILD"))]
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    return ["cmake", "-S", str(source), "-B", str(build), *generator, "-DCMAKE_BUILD_TYPE=Release",
            "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
            "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_CURL=OFF", "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON", *portable]


def build(values: dict[str, object] | None = None) -> Path:
    """The cache folder for ``values``, built first when missing.

    Raises ``subprocess.CalledProcessError`` when CMake fails (the scratch folder is removed).
    """
    values = values or recipe()
    target = tools_dir(values)
    if built_tools(values):
        return target
    version = str(values["llama_cpp_python"])
    archive = sdist(version)
    jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="building-", dir=target.parent) as scratch:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/vendor/llama.cpp/" in m.name]
            tar.extractall(scratch, members=members, filter="data")
        source = Path(scratch) / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"
        work = Path(scratch) / "build"
        print(f"Building {', '.join(TOOLS)} from llama-cpp-python {version} (portable, every CPU variant), "
              f"-j{jobs}; this takes a while.", flush=True)
        subprocess.run(cmake_command(source, work, values), check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", str(work), "--config", "Release", "--target", *TOOLS, "-j", jobs],
                       check=True)
        staged = Path(scratch) / "done"
        staged.mkdir()
        # bin/ holds the tools, the shared libraries they link (found through an $ORIGIN
        # run path, so the folder can move) and the ggml CPU variants that
        # ggml_backend_load_all() looks for beside the executable.
        shutil.copytree(work / "bin", staged / "bin", symlinks=True)
        info = dict(values, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    build_seconds=round(time.monotonic() - started), jobs=jobs)
        (staged / "recipe.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        if target.exists():  # an interrupted earlier build left a folder without recipe.json
            shutil.rmtree(target)
        staged.rename(target)  # atomic: the folder is complete or absent
    print(f"Built {target} in {round(time.monotonic() - started)} s", file=sys.stderr, flush=True)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the recipe and the folder, build nothing")
    args = parser.parse_args()
    values = recipe()
    if args.show:
        print(json.dumps(dict(values, key=llama_wheel.recipe_key(values), folder=str(tools_dir(values)),
                              built=built_tools(values) is not None), indent=2))
        return 0
    print(build(values))
    return 0


if __name__ == "__main__":
    sys.exit(main())
