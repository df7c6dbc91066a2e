"""The ``smollm2_onnx`` test model: an ONNX Runtime GenAI folder built from a GGUF file with
slmdesk's own build (:mod:`slmdesk.quantize.onnx_build`: GGUF -> Hugging Face folder ->
model builder -> load check, each step in a child process), cached by the GGUF's SHA-256.

One implementation: this module only names the cache folder and maps a missing ``onnx-build``
extra to a skip. Reusable by benchmarks: ``python tests/e2e/onnx_model.py build GGUF CACHE_DIR``
prints the folder.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from slmdesk.core.errors import Cancelled
from slmdesk.core.tasks import CancelToken, run_inline
from slmdesk.quantize import onnx_build
from tests.e2e.hf_folder import sha256_of

BUILD_MODULES = (*onnx_build.BUILD_MODULES, *onnx_build.GGUF_MODULES)
"""What a build from GGUF imports beyond the base install (the ``onnx-build`` extra, gguf-py)."""

MARKER = onnx_build.MARKER


class OnnxBuildUnavailable(Exception):
    """The onnx-build extra is not installed, so no ONNX model can be built here."""


def missing_build_modules() -> list[str]:
    """The modules of :data:`BUILD_MODULES` that are not importable."""
    return onnx_build.missing_modules(BUILD_MODULES)


def build_onnx_from_gguf(gguf: Path, cache_root: Path, precision: str = "int4", timeout_s: float = 1200) -> Path:
    """Return an ONNX GenAI folder built from ``gguf``; build it on the first call.

    The result is ``cache_root/<gguf stem>-<sha256[:16]>-<precision>-cpu`` holding
    :data:`MARKER` (:class:`slmdesk.quantize.onnx_build.BuildRecord`); a half-built folder is
    never visible (:func:`slmdesk.quantize.onnx_build.build_task`).

    Raises:
        OnnxBuildUnavailable: the onnx-build extra (or gguf-py) is missing.
        RuntimeError: the build took longer than ``timeout_s`` seconds.
        UserError: a build step failed (its output is in the message).
    """
    digest = sha256_of(gguf)
    out = cache_root / f"{gguf.stem}-{digest[:16]}-{precision}-cpu"
    if (out / MARKER).is_file() and (out / "genai_config.json").is_file():
        return out
    missing = missing_build_modules()
    if missing:
        raise OnnxBuildUnavailable(
            f"the onnx-build extra is not installed (missing: {', '.join(missing)}); "
            f"install it with: {onnx_build.INSTALL_COMMAND}"
        )
    plan = onnx_build.prepare(gguf, precision, out, models_dir=cache_root, overwrite=True)
    token = CancelToken()
    timer = threading.Timer(timeout_s, token.cancel)
    timer.start()
    try:
        return run_inline(onnx_build.build_task(plan), token)
    except Cancelled as stopped:
        raise RuntimeError(f"building {out.name} took longer than {timeout_s:g} s") from stopped
    finally:
        timer.cancel()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "build":
        print(build_onnx_from_gguf(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit("usage: onnx_model.py build GGUF CACHE_DIR")
