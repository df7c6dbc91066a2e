"""slmdesk's perplexity, KL-divergence and importance matrix against llama.cpp's own tools built
from the same source (``packaging/llama_tools.py``): same model, text, context and batch.

Skips, saying so, when the reference tools are not built on this machine (building them takes
15-30 minutes on 2 cores: ``python packaging/llama_tools.py``; the benchmark
``benchmarks/quantize_vs_reference.py --build`` builds them too). ``SLMDESK_LLAMA_TOOLS`` may
name another folder holding the three tools, built from the same sdist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from slmdesk.core.tasks import run_inline
from slmdesk.quantize.imatrix import compute_imatrix_task, load_imatrix, read_imatrix_stats
from slmdesk.quantize.quality import compare_task, evaluation_text, perplexity_task

ROOT = Path(__file__).resolve().parents[2]
N_CTX = 128
THREADS = 2


def _reference_tools() -> dict[str, Path] | None:
    """``$SLMDESK_LLAMA_TOOLS`` (a folder with the three tools built otherwise from the same
    sdist), else the cache of ``packaging/llama_tools.py``."""
    folder = os.environ.get("SLMDESK_LLAMA_TOOLS")
    if folder:
        named = {name: Path(folder) / name for name in ("llama-quantize", "llama-perplexity", "llama-imatrix")}
        return named if all(os.access(path, os.X_OK) for path in named.values()) else None
    import importlib.util

    sys.path.insert(0, str(ROOT / "packaging"))  # llama_tools imports llama_wheel beside it
    try:
        spec = importlib.util.spec_from_file_location("llama_tools", ROOT / "packaging" / "llama_tools.py")
        assert spec is not None and spec.loader is not None
        llama_tools = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(llama_tools)
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    cache = os.environ.get("SLMDESK_TOOLS_CACHE")
    if not cache and sys.platform != "win32":
        # tests/conftest.py points HOME and XDG_CACHE_HOME into a throw-away folder; the tools
        # are built once per machine in the real user's cache (read only here).
        import pwd

        home = Path(pwd.getpwuid(os.getuid()).pw_dir)
        base = home / "Library" / "Caches" if sys.platform == "darwin" else home / ".cache"
        cache = str(base / "slmdesk" / "tools")
    saved = os.environ.get("SLMDESK_TOOLS_CACHE")
    if cache:
        os.environ["SLMDESK_TOOLS_CACHE"] = cache
    try:
        found: dict[str, Path] | None = llama_tools.built_tools()
    finally:
        if saved is None:
            os.environ.pop("SLMDESK_TOOLS_CACHE", None)
    return found


@pytest.fixture(scope="module")
def tools() -> dict[str, Path]:
    found = _reference_tools()
    if found is None:
        pytest.skip("llama.cpp's reference tools are not built on this machine "
                    "(run `python packaging/llama_tools.py`, 15-30 min on 2 cores)")
    return found


@pytest.fixture
def short_text(tmp_path: Path) -> Path:
    out = tmp_path / "eval-short.txt"
    out.write_text(evaluation_text().read_text(encoding="utf-8")[:2600], encoding="utf-8")
    return out


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout + done.stderr


def reference_perplexity(tool: Path, model: Path, text: Path, n_ctx: int, extra: tuple[str, ...] = ()) -> float:
    """``Final estimate: PPL = x`` from llama-perplexity."""
    out = _run([str(tool), "-m", str(model), "-f", str(text), "-c", str(n_ctx), "-t", str(THREADS), *extra])
    match = re.search(r"Final estimate: PPL = ([0-9.]+)", out)
    assert match, out[-2000:]
    return float(match.group(1))


def test_perplexity_matches_llama_perplexity_within_one_percent(tools: dict[str, Path], smollm2_gguf: Path,
                                                                short_text: Path) -> None:
    reference = reference_perplexity(tools["llama-perplexity"], smollm2_gguf, short_text, N_CTX)

    ours = run_inline(perplexity_task(smollm2_gguf, short_text, n_ctx=N_CTX)).perplexity

    assert ours == pytest.approx(reference, rel=0.01)


def test_perplexity_matches_with_several_batches_per_chunk(tools: dict[str, Path], smollm2_gguf: Path,
                                                           short_text: Path) -> None:
    reference = reference_perplexity(tools["llama-perplexity"], smollm2_gguf, short_text, N_CTX, ("-b", "64"))

    ours = run_inline(perplexity_task(smollm2_gguf, short_text, n_ctx=N_CTX, n_batch=64)).perplexity

    assert ours == pytest.approx(reference, rel=0.01)


def test_kld_and_top1_match_llama_perplexity(tools: dict[str, Path], smollm2_f16_gguf: Path, smollm2_gguf: Path,
                                             short_text: Path, tmp_path: Path) -> None:
    """The F16 source is the base; the Q4_1 starter (whose dequantized weights the F16 holds,
    the F16 itself being made from it) is the variant measured against it."""
    base_logits = tmp_path / "base.kld"
    tool = str(tools["llama-perplexity"])
    common = ["-f", str(short_text), "-c", str(N_CTX), "-t", str(THREADS)]
    _run([tool, "-m", str(smollm2_f16_gguf), *common, "--kl-divergence-base", str(base_logits)])
    out = _run([tool, "-m", str(smollm2_gguf), *common, "--kl-divergence-base", str(base_logits),
                "--kl-divergence"])
    kld_match = re.search(r"Mean\s+KLD:\s+([0-9.]+)", out)
    top_match = re.search(r"Same top p:\s+([0-9.]+)", out)
    assert kld_match and top_match, out[-2000:]

    ours = run_inline(compare_task(smollm2_f16_gguf, smollm2_gguf, short_text, n_ctx=N_CTX))

    assert ours.kld_mean == pytest.approx(float(kld_match.group(1)), rel=0.02, abs=2e-4)
    assert 100 * ours.top1_agreement == pytest.approx(float(top_match.group(1)), abs=0.5)


def test_imatrix_matches_llama_imatrix(tools: dict[str, Path], smollm2_gguf: Path, short_text: Path,
                                       tmp_path: Path) -> None:
    reference_file = tmp_path / "reference.imatrix.gguf"
    _run([str(tools["llama-imatrix"]), "-m", str(smollm2_gguf), "-f", str(short_text), "-c", str(N_CTX),
          "-t", str(THREADS), "--chunks", "3", "--no-ppl", "-o", str(reference_file)])
    ours_file = run_inline(compute_imatrix_task(smollm2_gguf, short_text, tmp_path / "ours.gguf", n_ctx=N_CTX,
                                                chunks=3))

    reference, ours = read_imatrix_stats(reference_file), read_imatrix_stats(ours_file)

    assert (ours.chunk_count, ours.chunk_size) == (reference.chunk_count, reference.chunk_size) == (3, N_CTX)
    assert sorted(ours.sums) == sorted(reference.sums)
    for name in reference.sums:
        np.testing.assert_array_equal(ours.counts[name], reference.counts[name])
    ref_means, our_means = load_imatrix(reference_file).values, load_imatrix(ours_file).values
    worst = max(float(np.max(np.abs(our_means[n] - ref_means[n]) / (np.abs(ref_means[n]) + 1e-6)))
                for n in ref_means)
    assert worst < 1e-3
