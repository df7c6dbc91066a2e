"""Chat conversations without Qt: history, titles, regenerate and edit, what the engine is sent.

Used by the Chat pane and the local OpenAI-compatible API alike::

    chat = ChatSession.create(inventory, system_prompt="Be brief.")
    reply = chat.send("What is the capital of France?", SamplingParams(temperature=0))
    for event in chat.stream(client, reply):  # client: an EngineClient with a model loaded
        ...
"""

from slmdesk.chat.session import (
    NEW_CHAT_TITLE,
    ChatSession,
    FinishedReply,
    ReplyEngine,
    ReplyRequest,
    context_tokens,
    engine_messages,
    finish_note,
    title_from,
)

__all__ = [
    "NEW_CHAT_TITLE",
    "ChatSession",
    "FinishedReply",
    "ReplyEngine",
    "ReplyRequest",
    "context_tokens",
    "engine_messages",
    "finish_note",
    "title_from",
]
