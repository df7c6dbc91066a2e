"""Versions of slmdesk and the engines it ships, read from package metadata (nothing is loaded)."""

from __future__ import annotations

import platform
from importlib import metadata

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
