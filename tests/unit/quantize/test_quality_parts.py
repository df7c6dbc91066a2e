"""The quality check's pieces that need no model: how a text is cut into chunks, the
log-softmax, KL and storage rules copied from llama-perplexity, the exports, the child
protocol and the ``quality`` command's errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.quantize import quality_child
from slmdesk.quantize.quality import (
    VariantRow,
    child_task,
    evaluation_text,
    to_csv,
    to_json,
    to_markdown,
)
from slmdesk.quantize.quality_child import ChildError, kld_rows, make_plan, nll_of, quantized_log_probs


def test_the_plan_follows_llama_perplexity() -> None:
    # -c 128 with the default -b 2048: 16 chunks per batch, each its own sequence
    assert make_plan(1000, 128, None, None) == quality_child.Plan(n_ctx=128, n_batch=2048, n_seq=16, n_chunk=7)
    # -c 512 -b 256: one sequence, two batches per chunk
    plan = make_plan(2000, 512, 256, None)
    assert (plan.n_seq, plan.n_batch, plan.num_batches, plan.n_chunk) == (1, 256, 2, 3)
    # --chunks limits, scoring covers the second half minus the last position
    assert make_plan(5000, 512, None, 2).n_chunk == 2
    assert make_plan(5000, 512, None, None).scored_per_chunk == 255


def test_the_plan_refuses_short_texts_and_odd_batches() -> None:
    with pytest.raises(ChildError, match="needs at least 1024"):
        make_plan(1000, 512, None, None)
    with pytest.raises(ChildError, match="at least 8"):
        make_plan(5000, 4, None, None)
    # a batch above the context that is no multiple of it is cut to one (the tool's main does the same)
    assert make_plan(5000, 512, 768, None).n_batch == 512


def test_nll_is_the_exact_log_softmax() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 50)).astype(np.float32) * 5
    targets = np.array([3, 0, 49, 17], dtype=np.int32)

    expected = -(logits[np.arange(4), targets] - np.log(np.exp(logits.astype(np.float64)).sum(axis=1)))

    np.testing.assert_allclose(nll_of(logits, targets), expected, rtol=1e-5)


def test_stored_log_probs_decode_within_the_16_bit_step() -> None:
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 1000)).astype(np.float32) * 4
    codes, scale, min_log_prob = quantized_log_probs(logits)

    exact = logits - logits.max(axis=1, keepdims=True)
    exact = exact - np.log(np.exp(exact.astype(np.float64)).sum(axis=1, keepdims=True))
    decoded = scale[:, None] * codes + min_log_prob[:, None]
    kept = exact > exact.max(axis=1, keepdims=True) - 16
    assert codes.dtype == np.uint16
    assert np.all(np.abs(decoded - exact)[kept] <= scale.max() * 0.51 + 1e-5)


def test_kld_of_a_distribution_with_itself_is_zero_and_top1_agrees() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(5, 400)).astype(np.float32) * 3

    kld, same = kld_rows(logits, *quantized_log_probs(logits))

    assert np.all(np.abs(kld) < 1e-4)
    assert same.all()


def test_kld_matches_the_definition_for_a_changed_distribution() -> None:
    rng = np.random.default_rng(4)
    base = rng.normal(size=(2, 300)).astype(np.float32) * 2
    variant = base + rng.normal(size=base.shape).astype(np.float32) * 0.5

    kld, _ = kld_rows(variant, *quantized_log_probs(base))

    def log_softmax(x: np.ndarray) -> np.ndarray:
        shifted = x.astype(np.float64) - x.max(axis=1, keepdims=True)
        result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return result

    p, q = log_softmax(base), log_softmax(variant)
    expected = (np.exp(p) * (p - q)).sum(axis=1)
    np.testing.assert_allclose(kld, expected, rtol=2e-3, atol=1e-5)


ROWS = [
    VariantRow("F16", 270_885_952, perplexity=17.0122, pp_tps=950.0, tg_tps=60.5),
    VariantRow("Q4_K_M", 105_000_000, perplexity=18.1, kld_mean=0.0712, top1_agreement=0.8731),
]


def test_exports_carry_every_value() -> None:
    as_json = json.loads(to_json(ROWS))
    assert as_json[1] == {"name": "Q4_K_M", "size_bytes": 105_000_000, "perplexity": 18.1, "kld_mean": 0.0712,
                          "top1_agreement": 0.8731, "pp_tps": None, "tg_tps": None}
    lines = to_csv(ROWS).splitlines()
    assert lines[0] == "name,size_bytes,perplexity,kld_mean,top1_agreement,pp_tps,tg_tps"
    assert lines[1] == "F16,270885952,17.0122,,,950.0,60.5"
    table = to_markdown(ROWS).splitlines()
    assert table[0].startswith("| variant | size (MiB) | perplexity | KLD | top-1 (%)")
    assert table[2] == "| F16 | 258.3 | 17.0122 |  |  | 950.0 | 60.5 |"
    assert table[3] == "| Q4_K_M | 100.1 | 18.1000 | 0.07120 | 87.31 |  |  |"


def test_the_evaluation_and_calibration_texts_are_shipped_and_differ() -> None:
    from slmdesk.quantize.imatrix import calibration_text

    evaluation = evaluation_text().read_text(encoding="utf-8")
    calibration = calibration_text().read_text(encoding="utf-8")
    assert len(evaluation) > 20_000 and len(calibration) > 20_000
    paragraphs = {p for p in calibration.split("\n\n") if len(p) > 80}
    assert not paragraphs & {p for p in evaluation.split("\n\n") if len(p) > 80}


def _fake_child(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_child_progress_and_result_come_through() -> None:
    script = ("import sys, json; sys.stdin.readline();"
              "print(json.dumps({'event': 'progress', 'done': 1, 'total': 4, 'message': 'a'}), flush=True);"
              "print('native noise', flush=True);"
              "print(json.dumps({'event': 'result', 'result': {'x': 1}}), flush=True)")
    events: list[Progress] = []

    result = run_inline(child_task({"kind": "t"}, "Test", argv=_fake_child(script)), on_progress=events.append)

    assert result == {"x": 1}
    assert [e.fraction for e in events] == [None, 0.25]
    assert events[1].message == "Test: a"


def test_child_error_and_crash_become_user_errors() -> None:
    error = ("import sys, json; sys.stdin.readline();"
             "print(json.dumps({'event': 'error', 'message': 'the text is too short'}), flush=True)")
    with pytest.raises(UserError, match="Test: the text is too short"):
        run_inline(child_task({}, "Test", argv=_fake_child(error)))
    crash = ("import sys, os; sys.stdin.readline(); sys.stderr.write('boom happened\\n'); sys.stderr.flush();"
             "os._exit(3)")
    with pytest.raises(UserError, match=r"stopped \(exit code 3\): boom happened"):
        run_inline(child_task({}, "Test", argv=_fake_child(crash)))


def test_child_cancel_terminates_it() -> None:
    script = ("import sys, json, time; sys.stdin.readline();"
              "print(json.dumps({'event': 'progress', 'done': 0, 'total': 2}), flush=True); time.sleep(60)")
    token = CancelToken()

    def on_progress(event: object) -> None:
        if getattr(event, "fraction", None) == 0.0:
            token.cancel()

    with pytest.raises(Cancelled):
        run_inline(child_task({}, "Test", argv=_fake_child(script)), token=token, on_progress=on_progress)


def test_cli_quality_missing_model_is_a_json_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from slmdesk.cli import run_headless

    code, _ = run_headless(["quality", str(tmp_path / "nope.gguf"), "--json"])

    assert code == 1
    assert "nope.gguf" in json.loads(capsys.readouterr().out)["error"]


def test_cli_quality_is_listed_and_its_child_is_hidden(capsys: pytest.CaptureFixture[str]) -> None:
    from slmdesk.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "quality" in out
    assert "quality-child" not in out


def test_cli_quality_unknown_inventory_id(capsys: pytest.CaptureFixture[str]) -> None:
    from slmdesk.cli import run_headless

    code, _ = run_headless(["quality", "424242", "--json"])

    assert code == 1
    assert "no model with id 424242" in json.loads(capsys.readouterr().out)["error"]
