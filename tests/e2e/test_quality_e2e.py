"""The quality check and the importance matrix on the real SmolLM2 starter, through the child
process: perplexity, a quantized variant against its F16 source, a model against itself,
cancel, and an importance matrix written and read back. Short texts (a few chunks) keep each
test within seconds of model time."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.quantize.imatrix import compute_imatrix_task, load_imatrix
from slmdesk.quantize.quality import compare_task, evaluation_text, perplexity_task

N_CTX = 128


def _excerpt(source: Path, out: Path, chars: int) -> Path:
    out.write_text(source.read_text(encoding="utf-8")[:chars], encoding="utf-8")
    return out


@pytest.fixture
def short_text(tmp_path: Path) -> Path:
    """About 700 SmolLM2 tokens of the held-out text: 5 chunks of 128."""
    return _excerpt(evaluation_text(), tmp_path / "eval-short.txt", 2600)


@pytest.fixture(scope="module")
def q4_variant(smollm2_f16_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Q4_K_M of the F16 source, quantized by llama.cpp in this process (a few seconds)."""
    import llama_cpp

    out = tmp_path_factory.mktemp("q4") / "SmolLM2-135M-Instruct.Q4_K_M.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    assert llama_cpp.llama_model_quantize(str(smollm2_f16_gguf).encode(), str(out).encode(),
                                          ctypes.byref(params)) == 0
    return out


def test_perplexity_of_the_starter_is_a_sane_number(smollm2_gguf: Path, short_text: Path) -> None:
    events: list[Progress] = []

    result = run_inline(perplexity_task(smollm2_gguf, short_text, n_ctx=N_CTX), on_progress=events.append)

    # SmolLM2-135M on Python reference prose at 128 tokens of context: measured 17.0 on the whole
    # evaluation text; a 135M model is never near 1 and a broken pipeline lands in the thousands.
    assert 5.0 < result.perplexity < 60.0
    assert result.n_ctx == N_CTX and result.n_chunks >= 4
    assert result.n_tokens == result.n_chunks * (N_CTX - 1 - N_CTX // 2)
    assert 0 < result.ppl_stderr < result.perplexity / 5
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)


def test_a_q4_variant_loses_against_its_f16_source(smollm2_f16_gguf: Path, q4_variant: Path,
                                                    short_text: Path) -> None:
    result = run_inline(compare_task(smollm2_f16_gguf, q4_variant, short_text, n_ctx=N_CTX))

    assert result.variant_ppl > result.base_ppl
    assert 0.0 < result.kld_mean < 1.0
    assert result.kld_p99 > result.kld_mean
    assert 0.5 < result.top1_agreement < 1.0
    assert result.n_tokens == result.n_chunks * (N_CTX - 1 - N_CTX // 2)


def test_a_model_against_itself_agrees_completely(smollm2_gguf: Path, short_text: Path) -> None:
    result = run_inline(compare_task(smollm2_gguf, smollm2_gguf, short_text, n_ctx=N_CTX))

    # Only the 16-bit storage of the base log-probabilities (as llama-perplexity stores them) differs.
    assert result.kld_mean == pytest.approx(0.0, abs=1e-4)
    assert result.top1_agreement == 1.0
    assert result.variant_ppl == pytest.approx(result.base_ppl, rel=1e-6)


def test_a_text_too_short_for_the_context_is_a_user_error(smollm2_gguf: Path, tmp_path: Path) -> None:
    text = _excerpt(evaluation_text(), tmp_path / "tiny.txt", 300)

    with pytest.raises(UserError, match="needs at least 256"):
        run_inline(perplexity_task(smollm2_gguf, text, n_ctx=N_CTX))


def test_cancel_stops_the_child_at_once(smollm2_gguf: Path, tmp_path: Path) -> None:
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(event: Progress) -> None:
        seen.append(event)
        if len(seen) == 2:  # the child is up and loading
            token.cancel()

    timer = threading.Timer(120, token.cancel)  # a hung child must not hang the suite
    timer.start()
    try:
        with pytest.raises(Cancelled):
            run_inline(perplexity_task(smollm2_gguf, None, n_ctx=N_CTX), token=token, on_progress=on_progress)
    finally:
        timer.cancel()
    assert len(seen) == 2


def test_imatrix_is_written_in_gguf_and_reads_back(smollm2_gguf: Path, tmp_path: Path) -> None:
    text = _excerpt(evaluation_text(), tmp_path / "cal.txt", 1800)
    out = tmp_path / "smollm2.imatrix.gguf"
    events: list[Progress] = []

    returned = run_inline(compute_imatrix_task(smollm2_gguf, text, out, n_ctx=N_CTX, chunks=2),
                          on_progress=events.append)

    assert returned == out and out.is_file()
    assert not list(tmp_path.glob("*.partial"))
    data = load_imatrix(out)
    assert (data.chunk_count, data.chunk_size) == (2, N_CTX)
    assert data.datasets == [str(text)]
    # SmolLM2-135M: 30 blocks x (q, k, v, output, gate, up, down); n_embd 576, n_ff 1536
    assert len(data.values) == 30 * 7
    assert data.values["blk.0.attn_q.weight"].size == 576
    assert data.values["blk.29.ffn_down.weight"].size == 1536
    assert all(float(v.min()) >= 0 for v in data.values.values())
    assert max(float(v.max()) for v in data.values.values()) > 0
    assert [e.fraction for e in events if e.fraction][-1] == 1.0


def test_cli_quality_json(smollm2_gguf: Path, short_text: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "slmdesk", "quality", str(smollm2_gguf), str(smollm2_gguf),
                          "--text", str(short_text), "--ctx", str(N_CTX), "--json"],
                         capture_output=True, text=True, timeout=900)

    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert 5.0 < report["perplexity"] < 60.0
    assert report["kld_mean"] == pytest.approx(0.0, abs=1e-4)
    assert report["top1_agreement"] == 1.0

