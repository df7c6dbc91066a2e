"""Build an ONNX Runtime GenAI model from a GGUF file, cached by the GGUF's SHA-256.

Two steps, each in its own process (torch and the builder need a lot of memory, and the test
process must not import torch):

1. GGUF -> Hugging Face folder: transformers' GGUF loading dequantizes the weights
   (``AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)``, needs accelerate), then
   ``save_pretrained``. transformers 5 marks a GGUF-loaded model as "quantized with gguf,
   not serializable" even when it dequantized everything; the quantizer is detached first.
2. HF folder -> ONNX GenAI folder: ``python -m onnxruntime_genai.models.builder -i HF -o OUT
   -p int4 -e cpu`` (field-notes section 3.2), offline.

Used by the ``smollm2_onnx`` fixture (tests/conftest.py) and reusable by benchmarks:
``python tests/e2e/onnx_model.py build GGUF CACHE_DIR`` prints the folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUILD_MODULES = ("torch", "transformers", "accelerate", "onnx", "onnx_ir")
"""The ``onnx-build`` extra of pyproject.toml: what the builder imports (field-notes 3.2)."""

MARKER = "slmdesk-build.json"


class OnnxBuildUnavailable(Exception):
    """The onnx-build extra is not installed, so no ONNX model can be built here."""


def missing_build_modules() -> list[str]:
    """The modules of :data:`BUILD_MODULES` that are not importable."""
    return [name for name in BUILD_MODULES if importlib.util.find_spec(name) is None]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        ORT_DISABLE_TELEMETRY="1",
        HF_HOME=str(work / "hf-home"),
        TOKENIZERS_PARALLELISM="false",
    )
    return env


def build_onnx_from_gguf(gguf: Path, cache_root: Path, precision: str = "int4", timeout_s: float = 1200) -> Path:
    """Return an ONNX GenAI folder built from ``gguf``; build it on the first call.

    The result lives in ``cache_root/<gguf stem>-<sha256[:16]>-<precision>-cpu`` with a
    marker file holding the build time; a half-built folder is never visible (built in a
    temporary folder, renamed into place).

    Raises:
        OnnxBuildUnavailable: torch/transformers/accelerate/onnx/onnx_ir are missing.
        RuntimeError: a build step failed (its output is in the message).
    """
    digest = _sha256(gguf)
    out = cache_root / f"{gguf.stem}-{digest[:16]}-{precision}-cpu"
    if (out / MARKER).is_file() and (out / "genai_config.json").is_file():
        return out
    missing = missing_build_modules()
    if missing:
        raise OnnxBuildUnavailable(
            f"the onnx-build extra is not installed (missing: {', '.join(missing)}); "
            "install it with: pip install -e '.[onnx-build]'"
        )
    cache_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onnx-build-", dir=cache_root) as tmp:
        work = Path(tmp)
        hf_dir, onnx_dir = work / "hf", work / "onnx"
        started = time.monotonic()
        _run([sys.executable, __file__, "convert", str(gguf), str(hf_dir)], work, timeout_s)
        converted = time.monotonic()
        _run(
            [
                sys.executable, "-m", "onnxruntime_genai.models.builder",
                "-i", str(hf_dir), "-o", str(onnx_dir), "-p", precision, "-e", "cpu", "-c", str(work / "cache"),
            ],
            work,
            timeout_s,
        )
        finished = time.monotonic()
        (onnx_dir / MARKER).write_text(
            json.dumps(
                {
                    "gguf": str(gguf),
                    "gguf_sha256": digest,
                    "precision": precision,
                    "convert_s": round(converted - started, 1),
                    "build_s": round(finished - converted, 1),
                }
            ),
            encoding="utf-8",
        )
        if out.exists():
            shutil.rmtree(out)
        onnx_dir.rename(out)
    return out


def _run(argv: list[str], work: Path, timeout_s: float) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, env=_env(work), timeout=timeout_s, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise RuntimeError(f"{' '.join(argv[:4])} ... failed with exit code {result.returncode}:\n{tail}")


def _convert(gguf: Path, hf_dir: Path) -> None:
    """Step 1, run in a child process: dequantize the GGUF into an HF folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # weights are dense already; see the module docstring
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "convert":
        _convert(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "build":
        print(build_onnx_from_gguf(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit("usage: onnx_model.py build GGUF CACHE_DIR | convert GGUF HF_DIR")
