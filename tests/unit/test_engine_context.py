"""Keeping a conversation inside the context window, and saying what was dropped."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from slmdesk.engine.context import fit_messages
from slmdesk.engine.types import ContextOverflowError, Message


def _count(messages: Sequence[Message]) -> int:
    """10 tokens of overhead per message plus one per character: a stand-in tokenizer."""
    return sum(10 + len(m["content"]) for m in messages)


def _conversation(turns: int, system: bool = True) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": "S" * 20}] if system else []
    for i in range(turns):
        messages.append({"role": "user", "content": f"question {i} " + "q" * 30})
        messages.append({"role": "assistant", "content": f"answer {i} " + "a" * 30})
    messages.append({"role": "user", "content": "last question"})
    return messages


def test_a_conversation_that_fits_is_untouched() -> None:
    messages = _conversation(2)
    kept, dropped = fit_messages(messages, n_ctx=1000, max_tokens=100, count_fn=_count)
    assert kept == messages and dropped == ()


def test_oldest_turns_are_dropped_whole_and_the_system_prompt_is_kept() -> None:
    messages = _conversation(4)  # 30 + 4 * (51 + 49) + 23 = 453 tokens
    kept, dropped = fit_messages(messages, n_ctx=460, max_tokens=100, count_fn=_count)
    assert _count(kept) == 353  # fits 460 - 100
    assert kept[0] == messages[0]
    assert kept[-1] == {"role": "user", "content": "last question"}
    assert dropped == (1, 2)  # the first user question and its answer
    assert kept[1]["content"].startswith("question 1")
    assert [m["role"] for m in kept[1:]] == ["user", "assistant"] * 3 + ["user"]


def test_dropping_goes_on_until_it_fits() -> None:
    messages = _conversation(4, system=False)
    kept, dropped = fit_messages(messages, n_ctx=200, max_tokens=100, count_fn=_count)
    assert dropped == (0, 1, 2, 3, 4, 5, 6, 7)
    assert kept == [{"role": "user", "content": "last question"}]


def test_reply_budget_is_capped_at_half_the_context() -> None:
    messages = _conversation(0)  # 53 tokens
    kept, dropped = fit_messages(messages, n_ctx=128, max_tokens=4096, count_fn=_count)
    assert kept == messages and dropped == ()


def test_a_message_too_long_for_the_context_is_an_error_with_numbers() -> None:
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "x" * 500}]
    with pytest.raises(ContextOverflowError) as caught:
        fit_messages(messages, n_ctx=256, max_tokens=64, count_fn=_count)
    assert caught.value.message == (
        "The message needs 521 tokens plus 64 for the reply, more than the context of 256 tokens."
    )
    assert "larger context" in caught.value.hint
