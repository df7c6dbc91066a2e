"""Completion mode: a conversation whose text the model continues, with no chat template."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from slmdesk.chat import ChatSession
from slmdesk.chat.session import completion_text
from slmdesk.core.errors import UserError
from slmdesk.engine import Done, Event, GenerationStats, Message, PromptReady, SamplingParams, Token
from slmdesk.inventory import conversations as store
from slmdesk.inventory.conversations import MessageRecord

GREEDY = SamplingParams(temperature=0.0, max_tokens=16)


class RecordingEngine:
    """Continues any text with ``reply``; records which entry point each request used."""

    def __init__(self, reply: str = " Paris.") -> None:
        self.reply = reply
        self.calls: list[tuple[str, object]] = []

    def _events(self) -> Iterator[Event]:
        yield PromptReady(prompt_tokens=5)
        yield Token(self.reply)
        yield Done(self.reply, GenerationStats(prompt_tokens=5, completion_tokens=2, finish_reason="stop"))

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Event]:
        self.calls.append(("generate", [dict(m) for m in messages]))
        return self._events()

    def complete(self, prompt: str, params: SamplingParams) -> Iterator[Event]:
        self.calls.append(("complete", prompt))
        return self._events()


def _record(role: str, content: str) -> MessageRecord:
    return MessageRecord(id=1, conversation_id=1, role=role, content=content)


def test_completion_text_is_the_document_as_written() -> None:
    history = [
        _record("system", "ignored"),
        _record("user", "The capital of France is"),
        _record("assistant", " Paris."),
        _record("user", "The capital of Italy is"),
        _record("assistant", ""),  # the reply being written
    ]
    assert completion_text(history) == "The capital of France is Paris.\nThe capital of Italy is"
    assert completion_text([_record("user", "a"), _record("assistant", "b\n"), _record("user", "c")]) == "ab\nc"


def test_a_completion_conversation_sends_text_not_messages_and_keeps_its_mode(inventory) -> None:
    chat = ChatSession.create(inventory, mode="completion", system_prompt="not for base models")
    engine = RecordingEngine()
    list(chat.stream(engine, chat.send("The capital of France is", GREEDY)))
    assert engine.calls == [("complete", "The capital of France is")]
    assert [(m.role, m.content) for m in chat.history()] == [
        ("user", "The capital of France is"), ("assistant", " Paris.")
    ]
    list(chat.stream(engine, chat.send("The capital of Italy is", GREEDY)))
    assert engine.calls[-1] == ("complete", "The capital of France is Paris.\nThe capital of Italy is")
    assert ChatSession.open(inventory, chat.id).mode == "completion"  # stored with the conversation


def test_the_mode_can_be_switched_but_not_while_a_reply_streams(inventory) -> None:
    chat = ChatSession.create(inventory)
    assert chat.mode == "chat"
    engine = RecordingEngine()
    request = chat.send("Hello", GREEDY)
    assert request.prompt is None and request.messages[-1]["content"] == "Hello"
    with pytest.raises(UserError, match="still being written"):
        chat.set_mode("completion")
    list(chat.stream(engine, request))
    assert engine.calls[0][0] == "generate"
    chat.set_mode("completion")
    assert store.get_conversation(inventory, chat.id).mode == "completion"
    list(chat.stream(engine, chat.regenerate(GREEDY)))
    assert engine.calls[-1] == ("complete", "Hello")
