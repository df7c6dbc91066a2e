"""The benchmark runner's own rules, without an engine. (The benchmark task against a stand-in
engine process: tests/integration/test_bench_runner.py.)"""

from __future__ import annotations

from slmdesk.bench.runner import chat_messages


def test_the_ttft_prompt_changes_its_first_tokens_each_run() -> None:
    first, second = chat_messages(0), chat_messages(1)
    assert first[1] == second[1] and first[0]["content"] != second[0]["content"]
    assert first[0]["content"].startswith("Session 0.")
