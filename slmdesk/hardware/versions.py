"""Versions of slmdesk and the engines it ships, read from package metadata (nothing is loaded)."""

from __future__ import annotations

import importlib.util
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from slmdesk import __version__

# llama-cpp-python 0.3.36 vendors llama.cpp at commit 0c1e57098 (its CHANGELOG); the binding
# does not expose the vendored commit at run time, so it is recorded here per pinned version.
LLAMA_CPP_COMMITS = {"0.3.36": "0c1e57098"}


def package_version(distribution: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


LLAMA_BUILD_MARKER = "slmdesk-llama-build.json"
"""The file ``packaging/llama_wheel.py`` writes into the installed ``llama_cpp`` package: the
recipe (llama-cpp-python version, CMake arguments, platform) and its key."""


def llama_build_recipe() -> dict[str, Any] | None:
    """How the installed llama-cpp-python was built (:data:`LLAMA_BUILD_MARKER`), None when it
    was not built by ``packaging/llama_wheel.py`` (or is not installed). Nothing is imported."""
    try:
        spec = importlib.util.find_spec("llama_cpp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    marker = Path(next(iter(spec.submodule_search_locations))) / LLAMA_BUILD_MARKER
    try:
        recipe = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return recipe if isinstance(recipe, dict) else None


def component_versions() -> list[tuple[str, str]]:
    """``[(component, version text)]`` for the About dialog and bug reports."""
    llama = package_version("llama-cpp-python")
    llama_text = "not installed"
    if llama:
        commit = LLAMA_CPP_COMMITS.get(llama)
        llama_text = f"llama-cpp-python {llama}" + (f" (llama.cpp {commit})" if commit else "")
    return [
        ("slmdesk", __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("llama.cpp", llama_text),
        ("onnxruntime-genai", package_version("onnxruntime-genai") or "not installed"),
        ("ONNX Runtime", package_version("onnxruntime") or "not installed"),
        ("Operating system", platform.platform()),
    ]
