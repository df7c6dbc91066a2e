"""OpenAI's response bodies: whole chat and text completions, the chunks of streamed ones, model entries.

Shapes as the OpenAI API reference gives them for ``/v1/chat/completions``, ``/v1/completions``
and ``/v1/models``; the streaming chunk format is the one the official ``openai`` package
parses (``openai/_streaming.py``). Requests and errors are in :mod:`slmdesk.api.openai_schema`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from slmdesk.engine.types import GenerationStats

FINISH_REASON: dict[str, str] = {"stop": "stop", "length": "length", "context": "length", "cancelled": "stop"}
"""Engine finish reasons (:data:`slmdesk.engine.types.FINISH_REASONS`) -> OpenAI's: a reply
cut by a full context window is ``length`` to the client, as in OpenAI's API."""


def completion_id(prefix: str = "chatcmpl") -> str:
    """A fresh ``<prefix>-<32 hex>`` id (``chatcmpl`` for chat, ``cmpl`` for text completions)."""
    return f"{prefix}-{uuid.uuid4().hex}"


def usage(stats: GenerationStats) -> dict[str, int]:
    """``{"prompt_tokens", "completion_tokens", "total_tokens"}`` from the engine's stats
    (completion tokens as the engine counts them: the end-of-generation token included)."""
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "total_tokens": stats.prompt_tokens + stats.completion_tokens,
    }


@dataclass(frozen=True)
class _ChunkBase:
    """What the chunk builders of both endpoints share: one id, one ``created`` time in seconds
    since the epoch, the model name, the object type, and the ``include_usage`` chunk."""

    OBJECT: ClassVar[str]

    id: str
    created: int
    model: str
    include_usage: bool = False

    def _envelope(self, choice: dict[str, Any]) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id,
            "object": self.OBJECT,
            "created": self.created,
            "model": self.model,
            "choices": [choice],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def usage(self, stats: GenerationStats) -> dict[str, Any]:
        """The ``include_usage`` chunk: no choices, the token counts."""
        return {
            "id": self.id,
            "object": self.OBJECT,
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage(stats),
        }


@dataclass(frozen=True)
class ChunkWriter(_ChunkBase):
    """Builds the ``chat.completion.chunk`` objects of one streamed reply (all share one id,
    one ``created`` time in seconds since the epoch, and the model name)."""

    OBJECT: ClassVar[str] = "chat.completion.chunk"

    @classmethod
    def start(cls, model: str, include_usage: bool) -> ChunkWriter:
        """A writer with a fresh id and the current time."""
        return cls(completion_id(), int(time.time()), model, include_usage)

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        return self._envelope({"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason})

    def role(self) -> dict[str, Any]:
        """The first chunk: ``delta: {"role": "assistant", "content": ""}``."""
        return self._chunk({"role": "assistant", "content": ""}, None)

    def opening(self) -> list[dict[str, Any]]:
        """The chunks sent before the reply's text: the :meth:`role` chunk."""
        return [self.role()]

    def text(self, text: str) -> dict[str, Any]:
        """A chunk carrying reply text."""
        return self._chunk({"content": text}, None)

    def finish(self, stats: GenerationStats) -> dict[str, Any]:
        """The chunk with the finish reason (empty delta)."""
        return self._chunk({}, FINISH_REASON.get(stats.finish_reason, "stop"))


def chat_completion(model: str, text: str, stats: GenerationStats) -> dict[str, Any]:
    """A whole ``chat.completion`` object for a non-streamed reply."""
    return {
        "id": completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": FINISH_REASON.get(stats.finish_reason, "stop"),
            }
        ],
        "usage": usage(stats),
    }


@dataclass(frozen=True)
class TextChunkWriter(_ChunkBase):
    """Builds the streamed ``text_completion`` objects of one ``/v1/completions`` reply (one
    id, one ``created`` time, the model name; each chunk's ``choices[0].text`` is new text).

    Attributes:
        echo: the prompt, sent as the first chunk when the request asked for ``echo``; "" if not.
    """

    OBJECT: ClassVar[str] = "text_completion"

    echo: str = ""

    @classmethod
    def start(cls, model: str, include_usage: bool, echo: str = "") -> TextChunkWriter:
        """A writer with a fresh ``cmpl-`` id and the current time."""
        return cls(completion_id("cmpl"), int(time.time()), model, include_usage, echo)

    def _chunk(self, text: str, finish_reason: str | None) -> dict[str, Any]:
        return self._envelope({"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason})

    def opening(self) -> list[dict[str, Any]]:
        """The chunks sent before the continuation: the echoed prompt, if asked for."""
        return [self._chunk(self.echo, None)] if self.echo else []

    def text(self, text: str) -> dict[str, Any]:
        """A chunk carrying continuation text."""
        return self._chunk(text, None)

    def finish(self, stats: GenerationStats) -> dict[str, Any]:
        """The chunk with the finish reason (empty text)."""
        return self._chunk("", FINISH_REASON.get(stats.finish_reason, "stop"))


StreamWriter = ChunkWriter | TextChunkWriter
"""The chunk builder of a streamed reply: chat or text completion."""


def text_completion(model: str, text: str, stats: GenerationStats) -> dict[str, Any]:
    """A whole ``text_completion`` object for a non-streamed ``/v1/completions`` reply
    (``text`` already holds the echoed prompt when the request asked for it)."""
    return {
        "id": completion_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "text": text,
                "logprobs": None,
                "finish_reason": FINISH_REASON.get(stats.finish_reason, "stop"),
            }
        ],
        "usage": usage(stats),
    }


def model_object(model_id: str, created: int) -> dict[str, Any]:
    """One entry of ``GET /v1/models``: ``{"id", "object": "model", "created", "owned_by"}``."""
    return {"id": model_id, "object": "model", "created": created, "owned_by": "slmdesk"}
