"""Keeping a conversation inside the context window, and saying what was dropped."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmdesk.engine.backend_base import ChatFormat, prepare_prompt
from slmdesk.engine.context import fit_messages
from slmdesk.engine.templates import CHATML_TEMPLATE
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
    with pytest.raises(ContextOverflowError, match="more than the context of 256 tokens") as caught:
        fit_messages(messages, n_ctx=256, max_tokens=64, count_fn=_count)
    assert caught.value.message == (
        "The message needs 521 tokens plus 64 for the reply, more than the context of 256 tokens."
    )
    assert "larger context" in caught.value.hint


def _linear_fit(
    messages: Sequence[Message], n_ctx: int, max_tokens: int, count_fn
) -> tuple[list[Message], tuple[int, ...]]:
    """The one-turn-at-a-time search fit_messages used before the bisection: the reference."""
    budget = n_ctx - min(max_tokens, n_ctx // 2)
    if count_fn(messages) <= budget:
        return [dict(m) for m in messages], ()
    indexed = list(enumerate(messages))
    head = [indexed[0]] if indexed and indexed[0][1].get("role") == "system" else []
    body = indexed[len(head) :]
    dropped: list[int] = []
    while len(body) > 1:
        cut = 1
        while cut < len(body) - 1 and body[cut][1].get("role") != "user":
            cut += 1
        dropped.extend(index for index, _ in body[:cut])
        body = body[cut:]
        kept = [m for _, m in head + body]
        if count_fn(kept) <= budget:
            return [dict(m) for m in kept], tuple(dropped)
    raise ContextOverflowError("too long")


@settings(max_examples=300, deadline=None)
@given(
    roles=st.lists(st.sampled_from(["user", "assistant", "user"]), min_size=1, max_size=30),
    lengths=st.lists(st.integers(min_value=0, max_value=60), min_size=30, max_size=30),
    system=st.booleans(),
    n_ctx=st.integers(min_value=16, max_value=1500),
    max_tokens=st.integers(min_value=1, max_value=400),
)
def test_bisection_drops_exactly_what_the_one_by_one_search_dropped(
    roles: list[str], lengths: list[int], system: bool, n_ctx: int, max_tokens: int
) -> None:
    messages: list[Message] = [{"role": "system", "content": "S" * 15}] if system else []
    messages += [{"role": role, "content": "x" * lengths[i]} for i, role in enumerate(roles)]
    try:
        expected = _linear_fit(messages, n_ctx, max_tokens, _count)
    except ContextOverflowError:
        with pytest.raises(ContextOverflowError, match=f"more than the context of {n_ctx} tokens"):
            fit_messages(messages, n_ctx, max_tokens, _count)
        return
    assert fit_messages(messages, n_ctx, max_tokens, _count) == expected


def test_a_long_conversation_is_rendered_and_tokenized_a_logarithmic_number_of_times() -> None:
    chat = ChatFormat.create(CHATML_TEMPLATE, "", "")
    messages = _conversation(1000)  # 2,002 messages, about 120,000 tokens with this tokenizer
    calls = {"render": 0, "tokenize": 0}
    render = chat.render

    def counting_render(candidate: Sequence[Message]) -> str:
        calls["render"] += 1
        return render(candidate)

    def tokenize(text: str, _contents: Sequence[str]) -> list[int]:
        calls["tokenize"] += 1
        return list(range(len(text) // 4))  # about 4 characters a token

    chat.render = counting_render  # type: ignore[method-assign]
    ids, dropped = prepare_prompt(chat, messages, tokenize, n_ctx=8192, max_tokens=512)

    # 1,000 droppable turns: the full prompt, the shortest, then ceil(log2(1000)) = 10 probes.
    assert calls["tokenize"] == calls["render"] <= 12
    kept = [messages[0]] + [m for i, m in enumerate(messages) if i > 0 and i not in set(dropped)]
    assert len(ids) == len(render(kept)) // 4 <= 8192 - 512
    assert messages[dropped[-1] + 1]["role"] == "user" and dropped[0] == 1
    one_more_turn = [messages[0], *messages[dropped[-1] - 1 :]]  # keeping one more turn would not fit
    assert len(render(one_more_turn)) // 4 > 8192 - 512
