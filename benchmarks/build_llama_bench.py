"""Build llama.cpp's ``llama-bench`` from the llama-cpp-python sdist slmdesk pins, with the same
CMake arguments as slmdesk's own wheel (``packaging/llama_wheel.py``), and print its path.

The reference for ``benchmarks/bench_vs_llama_bench.py``: same llama.cpp commit, same
portable build (every CPU variant, runtime dispatch), so that a difference in speed is
slmdesk's driver and not the build. ``--native`` builds llama.cpp's default
(``-march=native``) instead. Nothing is committed; the build lives in the user cache folder.

    python benchmarks/build_llama_bench.py [--native]   # about 10 minutes on 2 cores
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))

import llama_wheel  # noqa: E402  (a script beside this one's parent, not a package)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--native", action="store_true", help="llama.cpp's default -march=native build instead")
    args = parser.parse_args()
    version = llama_wheel.llama_version()
    base = llama_wheel.cache_root().parent / "llama-bench"
    sdist = base / f"llama_cpp_python-{version}.tar.gz"
    if not sdist.exists():
        base.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        f"llama-cpp-python=={version}", "-d", str(base)], check=True)
    source = base / f"llama_cpp_python-{version}"
    if not (source / "vendor" / "llama.cpp" / "CMakeLists.txt").exists():
        with tarfile.open(sdist) as archive:
            archive.extractall(base, filter="data")
    cmake_args = ["-DGGML_NATIVE=ON"] if args.native else [
        arg for arg in llama_wheel.cmake_args() if not arg.startswith(("-DCMAKE_INSTALL_BINDIR", "-DLLAVA_BUILD"))
    ]
    name = "native" if args.native else llama_wheel.recipe_key(llama_wheel.recipe())
    build = base / f"build-{name}"
    subprocess.run(
        ["cmake", "-S", str(source / "vendor" / "llama.cpp"), "-B", str(build), "-G", "Ninja",
         "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
         "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_CURL=OFF", "-DLLAMA_BUILD_TOOLS=ON", *cmake_args],
        check=True, stdout=subprocess.DEVNULL,
    )
    subprocess.run(["cmake", "--build", str(build), "--target", "llama-bench", "-j", str(os.cpu_count() or 2)],
                   check=True)
    # ggml depends on every backend module it builds, so the CPU variants land beside
    # llama-bench in bin/, where its ggml_backend_load_all() finds them.
    print(build / "bin" / "llama-bench")
    return 0


if __name__ == "__main__":
    sys.exit(main())
