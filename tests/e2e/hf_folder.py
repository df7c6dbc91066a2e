"""Test sources made from a starter GGUF: a Hugging Face folder, and an F16 GGUF converted from it.

1. GGUF -> Hugging Face folder, in a child process (the test process must not import torch):
   transformers' GGUF loading dequantizes the weights (``AutoModelForCausalLM.from_pretrained(dir,
   gguf_file=...)``, needs accelerate), then ``save_pretrained``. transformers 5 marks a
   GGUF-loaded model as "quantized with gguf, not serializable" even when it dequantized
   everything; the quantizer is detached first.
2. Hugging Face folder -> F16 GGUF with slmdesk's converter (:mod:`slmdesk.quantize.convert`,
   llama.cpp's ``convert_hf_to_gguf.py``).

Step 1 is shared with :mod:`tests.e2e.onnx_model`. The F16 GGUF (the ``smollm2_f16_gguf`` fixture)
is cached under ``cache_root`` keyed by the source GGUF's SHA-256; its weights are the dequantized
starter weights (Q4_1 for SmolLM2), so it quantizes like any F16 model but is no better than its
source. ``python tests/e2e/hf_folder.py f16 GGUF CACHE_DIR`` prints the file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HF_MODULES = ("torch", "transformers", "accelerate")
"""What step 1 imports (all in the ``onnx-build`` extra)."""


class ConversionUnavailable(Exception):
    """torch/transformers/accelerate are not installed, so no test source can be made here."""


def missing_modules(names: tuple[str, ...] = HF_MODULES) -> list[str]:
    """The modules of ``names`` that are not importable."""
    return [name for name in names if importlib.util.find_spec(name) is None]


def sha256_of(path: Path) -> str:
    """The file's SHA-256 (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def child_env(work: Path) -> dict[str, str]:
    """The environment of the conversion children: offline, no telemetry, a private HF home."""
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        ORT_DISABLE_TELEMETRY="1",
        HF_HOME=str(work / "hf-home"),
        TOKENIZERS_PARALLELISM="false",
    )
    return env


def run_child(argv: list[str], work: Path, timeout_s: float) -> None:
    """Run ``argv`` with :func:`child_env`.

    Raises:
        RuntimeError: it failed (the tail of its output is in the message).
    """
    result = subprocess.run(argv, capture_output=True, text=True, env=child_env(work), timeout=timeout_s, check=False)
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise RuntimeError(f"{' '.join(argv[:4])} ... failed with exit code {result.returncode}:\n{tail}")


def gguf_to_hf(gguf: Path, hf_dir: Path, work: Path, timeout_s: float = 1200) -> Path:
    """Step 1 in a child process: write the dequantized Hugging Face folder ``hf_dir``.

    Raises:
        ConversionUnavailable: torch/transformers/accelerate are missing.
        RuntimeError: the child failed.
    """
    missing = missing_modules()
    if missing:
        raise ConversionUnavailable(
            f"the onnx-build extra is not installed (missing: {', '.join(missing)}); "
            "install it with: pip install -e '.[onnx-build]'"
        )
    run_child([sys.executable, __file__, "convert", str(gguf), str(hf_dir)], work, timeout_s)
    return hf_dir


def f16_gguf_from_gguf(gguf: Path, cache_root: Path, timeout_s: float = 1200) -> Path:
    """Return an F16 GGUF made from ``gguf`` through a Hugging Face folder; build it on the first call.

    The file is ``cache_root/<gguf stem>-<sha256[:16]>-F16.gguf`` with a ``.json`` marker beside it
    holding the build times; it is written under a temporary name and renamed into place.

    Raises:
        ConversionUnavailable: torch/transformers/accelerate are missing.
        RuntimeError: a step failed.
    """
    digest = sha256_of(gguf)
    out = cache_root / f"{gguf.stem}-{digest[:16]}-F16.gguf"
    marker = out.with_suffix(".json")
    if out.is_file() and marker.is_file():
        return out
    from slmdesk.core.tasks import run_inline
    from slmdesk.quantize.convert import convert_task, prepare_convert

    cache_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="f16-build-", dir=cache_root) as tmp:
        work = Path(tmp)
        started = time.monotonic()
        hf_dir = gguf_to_hf(gguf, work / "hf", work, timeout_s)
        converted = time.monotonic()
        built = work / "model-F16.gguf"
        run_inline(convert_task(prepare_convert(hf_dir, built, "F16", cache_root / "converter")))
        finished = time.monotonic()
        marker.write_text(json.dumps({"gguf": str(gguf), "gguf_sha256": digest,
                                      "to_hf_s": round(converted - started, 1),
                                      "to_gguf_s": round(finished - converted, 1)}), encoding="utf-8")
        os.replace(built, out)
    return out


def _convert(gguf: Path, hf_dir: Path) -> None:
    """Step 1, run in a child process: dequantize the GGUF into an HF folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # type: ignore[assignment]  # weights are dense already (module docstring)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "convert":
        _convert(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "f16":
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        print(f16_gguf_from_gguf(Path(sys.argv[2]), Path(sys.argv[3])))
    else:
        sys.exit("usage: hf_folder.py convert GGUF HF_DIR | f16 GGUF CACHE_DIR")
