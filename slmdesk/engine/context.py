"""Context management: keep a conversation inside the context window, saying what was dropped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slmdesk.engine.types import ContextOverflowError, Message


def fit_messages(
    messages: Sequence[Message],
    n_ctx: int,
    max_tokens: int,
    count_fn: Callable[[Sequence[Message]], int],
) -> tuple[list[Message], tuple[int, ...]]:
    """Drop the oldest turns until the prompt plus ``max_tokens`` fits ``n_ctx`` tokens.

    The system message (index 0 with role ``system``) and the last message are always kept.
    Turns are dropped whole, from the oldest: a user message together with the replies that
    follow it, so the remaining conversation still alternates user/assistant.

    Args:
        messages: the conversation, oldest first.
        n_ctx: context length in tokens.
        max_tokens: tokens reserved for the reply (capped at half the context so a long
            reply budget never empties the conversation).
        count_fn: tokens of a rendered prompt for a list of messages.

    Returns:
        ``(kept messages, indices of the dropped messages in the input)``.

    Raises:
        ContextOverflowError: even the system prompt plus the last message do not fit.
    """
    budget = n_ctx - min(max_tokens, n_ctx // 2)
    indexed = list(enumerate(messages))
    if count_fn(messages) <= budget:
        return [dict(m) for m in messages], ()
    head = [indexed[0]] if indexed and indexed[0][1].get("role") == "system" else []
    body = indexed[len(head) :]
    dropped: list[int] = []
    while len(body) > 1:
        # Drop the first message and everything up to the next user message (one turn).
        cut = 1
        while cut < len(body) - 1 and body[cut][1].get("role") != "user":
            cut += 1
        dropped.extend(index for index, _ in body[:cut])
        body = body[cut:]
        kept = [m for _, m in head + body]
        if count_fn(kept) <= budget:
            return [dict(m) for m in kept], tuple(dropped)
    kept = [m for _, m in head + body]
    need = count_fn(kept)
    raise ContextOverflowError(
        f"The message needs {need} tokens plus {min(max_tokens, n_ctx // 2)} for the reply, "
        f"more than the context of {n_ctx} tokens.",
        "Shorten the message or the system prompt, or load the model with a larger context.",
    )
