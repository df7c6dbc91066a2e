"""The serving benchmark's figures against hand-computed values (vLLM ``calculate_metrics``), the
SSE parser, the settings' checks and storage beside local runs."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from slmdesk.bench import serving
from slmdesk.bench.results import load_results
from slmdesk.bench.serving import ServingRun, ServingSettings, SseParser, build_prompts, clean_url, read_dataset
from slmdesk.bench.serving_stats import RequestOutcome, calculate_metrics, distribution
from slmdesk.core.errors import UserError
from slmdesk.inventory import benchmarks
from slmdesk.inventory.repository import Inventory

A = RequestOutcome(True, ttft_s=0.1, itl_s=(0.05, 0.15), latency_s=0.3, output_tokens=3, prompt_tokens=10,
                   finish_reason="length", usage_reported=True)
B = RequestOutcome(True, ttft_s=0.2, itl_s=(), latency_s=0.2, output_tokens=1, prompt_tokens=20,
                   finish_reason="stop", usage_reported=True)
C = RequestOutcome(False, error="HTTP 500: boom")


def test_throughputs_and_latencies_follow_vllms_definitions() -> None:
    m = calculate_metrics([A, B, C], duration_s=2.0)
    assert (m.completed, m.failed, m.total_input, m.total_output) == (2, 1, 30, 4)
    assert m.request_throughput == pytest.approx(1.0)  # 2 completed / 2 s
    assert m.output_throughput == pytest.approx(2.0)  # (3 + 1) / 2 s
    assert m.total_token_throughput == pytest.approx(17.0)  # (30 + 4) / 2 s
    assert m.output_lens == (3, 1, 0) and m.errors == ("HTTP 500: boom",)
    assert m.finish_reasons == {"length": 1, "stop": 1} and m.usage_reported == 2
    assert m.ttft is not None and m.itl is not None and m.e2el is not None and m.tpot is not None
    # TTFT [0.1, 0.2]: linear-interpolated percentiles, population standard deviation.
    assert (m.ttft.mean, m.ttft.median, m.ttft.std) == pytest.approx((0.15, 0.15, 0.05))
    assert (m.ttft.p50, m.ttft.p95, m.ttft.p99) == pytest.approx((0.15, 0.195, 0.199))
    # TPOT only for A (B has one output token): (0.3 - 0.1) / (3 - 1).
    assert m.tpot.count == 1 and m.tpot.mean == pytest.approx(0.1) and m.tpot.std == 0.0
    # ITL: every inter-chunk gap of every successful request.
    assert m.itl.count == 2 and (m.itl.mean, m.itl.p95, m.itl.p99) == pytest.approx((0.1, 0.145, 0.149))
    assert (m.e2el.mean, m.e2el.p99) == pytest.approx((0.25, 0.299))


def test_one_output_token_gives_no_tpot_and_no_itl() -> None:
    m = calculate_metrics([B], duration_s=0.5)
    assert m.tpot is None and m.itl is None
    assert m.ttft is not None and m.ttft.p99 == pytest.approx(0.2)
    assert m.output_throughput == pytest.approx(2.0)


def test_errors_only_give_zero_throughput_no_latencies_and_distinct_messages() -> None:
    failures = [C, C, RequestOutcome(False, error="timed out")] + [RequestOutcome(False, error=f"e{i}")
                                                                    for i in range(6)]
    m = calculate_metrics(failures, duration_s=1.0)
    assert (m.completed, m.failed, m.request_throughput, m.output_throughput) == (0, 9, 0.0, 0.0)
    assert m.ttft is None and m.tpot is None and m.itl is None and m.e2el is None
    assert m.errors == ("HTTP 500: boom", "timed out", "e0", "e1", "e2")  # first 5 distinct
    with pytest.raises(ValueError, match="positive"):
        calculate_metrics([A], duration_s=0.0)


def test_metrics_round_trip_through_json() -> None:
    m = calculate_metrics([A, B, C], duration_s=2.0)
    assert type(m).from_json(m.to_json()) == m
    assert distribution([]) is None


def test_sse_parser_joins_split_lines_and_skips_comments_and_other_fields() -> None:
    parser = SseParser()
    assert parser.feed(b'data: {"a"') == []
    assert parser.feed(b': 1}\r\n\r\n: ping\n\nevent: x\ndata:{"b":2}\n\ndata: [DO') == ['{"a": 1}', '{"b":2}']
    assert parser.feed(b"NE]\n\n") == ["[DONE]"]


def test_settings_clean_the_url_check_values_and_never_hold_a_key() -> None:
    assert clean_url("http://user:sk-secret@127.0.0.1:8080/v1/?x=1") == "http://127.0.0.1:8080/v1"
    settings = ServingSettings("https://user:pw@example.org/v1", "m", concurrency=(1, 2))
    assert "pw" not in str(settings.to_json()) and ServingSettings.from_json(settings.to_json()) == settings
    assert settings.to_json()["rate"] == "inf" and settings.rate_label == "inf"
    for bad in ({"concurrency": (0,)}, {"request_rate": 0.0}, {"num_requests": 0}, {"endpoint": "x"},
                {"model": " "}):
        with pytest.raises(UserError):
            ServingSettings(**{"base_url": "http://h/v1", "model": "m", **bad})  # type: ignore[arg-type]
    with pytest.raises(UserError, match="not an http"):
        ServingSettings("ftp://h/v1", "m")


def test_prompts_synthetic_or_from_a_dataset(tmp_path: Path) -> None:
    settings = ServingSettings("http://h/v1", "m", input_len=20, output_len=7)
    first = build_prompts(settings, 3, random.Random(0))
    assert first == build_prompts(settings, 3, random.Random(0))  # seeded
    assert len({p.text for p in first}) == 3 and all(len(p.text.split()) == 20 + 8 for p in first)
    data = tmp_path / "p.jsonl"
    data.write_text('{"prompt": "one two", "output_len": 5}\n\n{"text": "three"}\n', encoding="utf-8")
    assert read_dataset(data) == [("one two", 5), ("three", None)]
    drawn = build_prompts(ServingSettings("http://h/v1", "m", dataset=str(data), output_len=9), 4, random.Random(1))
    assert sorted((p.text, p.output_len) for p in drawn) == [("one two", 5)] * 2 + [("three", 9)] * 2
    text = tmp_path / "p.txt"
    text.write_text("a b c\n\nd\n", encoding="utf-8")
    assert read_dataset(text) == [("a b c", None), ("d", None)]
    (tmp_path / "bad.jsonl").write_text('{"x": 1}\n', encoding="utf-8")
    with pytest.raises(UserError, match=r"Line 1 of bad\.jsonl has no prompt"):
        read_dataset(tmp_path / "bad.jsonl")


def test_serving_runs_are_stored_beside_local_runs_but_read_apart(inventory: Inventory) -> None:
    settings = ServingSettings("http://k:secret@127.0.0.1:9/v1", "m", request_rate=2.5)
    run = serving.save_run(inventory, ServingRun(settings, 2, calculate_metrics([A, B, C], 2.0), ("n",)))
    (record,) = benchmarks.list_runs(inventory, serving=True)
    assert record.backend == "serving" and record.settings["url"] == "http://127.0.0.1:9/v1"
    assert record.settings["concurrency"] == 2 and record.settings["rate"] == 2.5
    assert "secret" not in str(dict(record.settings)) + str(dict(record.results))
    assert serving.load_runs(inventory) == [run] and run.id == record.id
    assert load_results(inventory) == [] and benchmarks.list_runs(inventory) == []  # not a local run
    assert math.isclose(serving.load_runs(inventory)[0].settings.request_rate, 2.5)
