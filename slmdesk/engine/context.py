"""Context management: keep a conversation inside the context window, saying what was dropped."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from slmdesk.engine.types import ContextOverflowError, Message


def turn_starts(body: Sequence[Message]) -> list[int]:
    """Where the conversation may start after dropping 1, 2, ... of its oldest turns.

    A turn is a message and everything up to the next ``user`` message, so the kept part
    still begins with the user and alternates; the last message is never dropped. Returns
    strictly increasing indices into ``body`` (the conversation without its system prompt);
    item ``k - 1`` is where the kept part begins after dropping ``k`` turns.
    """
    starts: list[int] = []
    position = 0
    while position < len(body) - 1:
        cut = position + 1
        while cut < len(body) - 1 and body[cut].get("role") != "user":
            cut += 1
        starts.append(cut)
        position = cut
    return starts


def fit_messages(
    messages: Sequence[Message],
    n_ctx: int,
    max_tokens: int,
    count_fn: Callable[[Sequence[Message]], int],
) -> tuple[list[Message], tuple[int, ...]]:
    """Drop the fewest oldest turns that make the prompt plus ``max_tokens`` fit ``n_ctx`` tokens.

    The system message (index 0 with role ``system``) and the last message are always kept.
    Turns are dropped whole, from the oldest (:func:`turn_starts`), so the remaining
    conversation still alternates user/assistant.

    The number of turns to drop is found by bisection, on the fact that dropping more never
    makes the prompt longer: ``count_fn`` runs about ``log2(turns) + 2`` times, not once per
    dropped turn (each call renders and tokenizes the whole prompt, so a one-by-one search
    was quadratic in the conversation's length).

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
    reserve = min(max_tokens, n_ctx // 2)
    budget = n_ctx - reserve
    total = count_fn(messages)
    if total <= budget:
        return [dict(m) for m in messages], ()
    head = list(messages[:1]) if messages and messages[0].get("role") == "system" else []
    body = list(messages[len(head) :])
    starts = turn_starts(body)

    def kept(drop: int) -> list[Message]:
        return head + body[starts[drop - 1] :]

    most = len(starts)  # dropping every turn but the last message
    need = count_fn(kept(most)) if most else total
    if need > budget:
        raise ContextOverflowError(
            f"The message needs {need} tokens plus {reserve} for the reply, "
            f"more than the context of {n_ctx} tokens.",
            "Shorten the message or the system prompt, or load the model with a larger context.",
        )
    low, high = 1, most  # kept(high) fits; find the smallest number of turns that does
    while low < high:
        middle = (low + high) // 2
        if count_fn(kept(middle)) <= budget:
            high = middle
        else:
            low = middle + 1
    dropped = tuple(range(len(head), len(head) + starts[high - 1]))
    return [dict(m) for m in kept(high)], dropped
