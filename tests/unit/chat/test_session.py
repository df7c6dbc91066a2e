"""A conversation's history, titles, regenerate and edit, and what the engine is sent (no Qt)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from slmdesk.chat import ChatSession, engine_messages, finish_note, title_from
from slmdesk.core.errors import UserError
from slmdesk.core.tasks import run_inline
from slmdesk.engine import (
    Done,
    EngineCrashed,
    Event,
    GenerationStats,
    Message,
    PromptReady,
    SamplingParams,
    Token,
)
from slmdesk.engine.backend_base import ChatFormat
from slmdesk.inventory import conversations as store
from slmdesk.inventory.conversations import MessageRecord
from slmdesk.ui.chat.export import conversation_json
from tests.unit.engine.test_templates import NO_SYSTEM_TEMPLATE as STRICT_TEMPLATE

GREEDY = SamplingParams(temperature=0.0, max_tokens=32)



class FakeEngine:
    """Answers every request with ``reply`` in 2-character token batches, or fails after
    ``fail_after`` batches the way a crashed engine process does."""

    def __init__(self, reply: str = "Paris.", fail_after: int | None = None, finish_reason: str = "stop") -> None:
        self.reply = reply
        self.fail_after = fail_after
        self.finish_reason = finish_reason
        self.requests: list[list[Message]] = []
        self.closed_early = False

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Event]:
        self.requests.append([dict(m) for m in messages])
        pieces = [self.reply[i : i + 2] for i in range(0, len(self.reply), 2)]
        finished = False
        try:
            yield PromptReady(prompt_tokens=7 * len(messages))
            for index, piece in enumerate(pieces):
                if self.fail_after is not None and index == self.fail_after:
                    raise EngineCrashed("The engine stopped while generating: signal 9 (SIGKILL).", "Press Load.")
                yield Token(piece)
            finished = True
            yield Done(self.reply, GenerationStats(prompt_tokens=7, completion_tokens=len(pieces),
                                                   finish_reason=self.finish_reason))
        finally:
            self.closed_early = not finished


def _pairs(chat: ChatSession) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in chat.history()]


def _record(role: str, content: str, id_: int = 1) -> MessageRecord:
    return MessageRecord(id=id_, conversation_id=1, role=role, content=content)


def test_a_sent_message_names_the_chat_and_its_reply_is_stored_with_stats(inventory) -> None:
    chat = ChatSession.create(inventory, system_prompt="Be brief.")
    engine = FakeEngine("Paris.")
    reply = chat.send("  What is the capital of France?\nAnswer in one word.  ", GREEDY)
    assert reply.messages == (
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the capital of France?\nAnswer in one word."},
    )
    events = list(chat.stream(engine, reply))
    assert isinstance(events[-1], Done) and not chat.streaming
    assert chat.conversation().title == "What is the capital of France?"
    assert _pairs(chat) == [("user", "What is the capital of France?\nAnswer in one word."), ("assistant", "Paris.")]
    stored = chat.history()[-1]
    assert stored.stats["completion_tokens"] == 3 and stored.stats["note"] == ""
    assert chat.conversation().settings["temperature"] == 0.0  # the settings the reply used

    chat.send("And of Italy?", GREEDY)
    assert chat.conversation().title == "What is the capital of France?"  # named once
    assert [m["role"] for m in chat.reply.messages] == ["system", "user", "assistant", "user"]


def test_a_failed_empty_reply_still_leaves_a_conversation_a_strict_template_accepts(inventory) -> None:
    chat = ChatSession.create(inventory)
    crashing = FakeEngine("never shown", fail_after=0)
    with pytest.raises(EngineCrashed, match=r"^The engine stopped while generating: signal 9 \(SIGKILL\)\."):
        list(chat.stream(crashing, chat.send("First question?", GREEDY)))
    failed = chat.history()[-1]
    assert (failed.role, failed.content) == ("assistant", "")
    assert failed.stats == {
        "note": "The engine stopped while generating: signal 9 (SIGKILL). Press Load.", "error": True,
    }

    reply = chat.send("Second question?", GREEDY)
    assert reply.messages == ({"role": "user", "content": "First question?\n\nSecond question?"},)
    prompt = ChatFormat.create(STRICT_TEMPLATE, "<bos>", "<eos>").render(reply.messages)
    assert prompt == (
        "<bos><start_of_turn>user\nFirst question?\n\nSecond question?<end_of_turn>\n<start_of_turn>model\n"
    )


def test_a_reply_stopped_before_its_first_token_is_noted_and_left_out_of_the_next_request(inventory) -> None:
    chat = ChatSession.create(inventory)
    finished = list(chat.stream(FakeEngine("", finish_reason="cancelled"), chat.send("Tell me a story.", GREEDY)))
    assert isinstance(finished[-1], Done)
    assert chat.history()[-1].stats["note"] == "Stopped by you."
    reply = chat.send("A short one, please.", GREEDY)
    assert [m["role"] for m in reply.messages] == ["user"]
    assert reply.messages[0]["content"] == "Tell me a story.\n\nA short one, please."


def test_a_crash_mid_reply_keeps_the_partial_text_as_failed(inventory) -> None:
    chat = ChatSession.create(inventory)
    with pytest.raises(EngineCrashed, match=r"^The engine stopped while generating: signal 9 \(SIGKILL\)\."):
        list(chat.stream(FakeEngine("One, two, three", fail_after=3), chat.send("Count.", GREEDY)))
    stored = chat.history()[-1]
    assert stored.content == "One, t" and stored.stats["error"] is True
    assert chat.send("Go on.", GREEDY).messages[-2:] == (
        {"role": "assistant", "content": "One, t"}, {"role": "user", "content": "Go on."})


def test_stopping_the_iteration_cancels_the_engine_and_keeps_what_came(inventory) -> None:
    chat = ChatSession.create(inventory)
    engine = FakeEngine("A long story about a lighthouse.")
    events = chat.stream(engine, chat.send("Story?", GREEDY))
    for event in events:
        if isinstance(event, Token) and chat.reply_text == "A lo":
            break
    events.close()
    assert engine.closed_early and not chat.streaming
    stored = chat.history()[-1]
    assert stored.content == "A lo" and stored.stats["note"] == "Stopped by you."


def test_regenerate_replaces_the_last_reply_and_refuses_without_one(inventory) -> None:
    chat = ChatSession.create(inventory)
    list(chat.stream(FakeEngine("Rome."), chat.send("Capital of Italy?", GREEDY)))
    reply = chat.regenerate(GREEDY)
    assert reply.messages == ({"role": "user", "content": "Capital of Italy?"},)
    list(chat.stream(FakeEngine("Rome, since 1871."), reply))
    assert _pairs(chat) == [("user", "Capital of Italy?"), ("assistant", "Rome, since 1871.")]

    empty = ChatSession.create(inventory)
    with pytest.raises(UserError, match="no reply to regenerate"):
        empty.regenerate(GREEDY)


def test_take_back_and_edit_drop_everything_after_the_edited_message(inventory) -> None:
    chat = ChatSession.create(inventory)
    list(chat.stream(FakeEngine("4."), chat.send("2 + 2?", GREEDY)))
    list(chat.stream(FakeEngine("6."), chat.send("3 + 3?", GREEDY)))
    first = chat.history()[0]

    assert chat.take_back_last() == "3 + 3?"
    assert _pairs(chat) == [("user", "2 + 2?"), ("assistant", "4.")]

    reply = chat.edit(first.id, "2 + 3?", GREEDY)
    assert reply.messages == ({"role": "user", "content": "2 + 3?"},)
    assert _pairs(chat) == [("user", "2 + 3?"), ("assistant", "")]  # the reply is on its way
    with pytest.raises(UserError, match="still being written"):
        chat.send("Another?", GREEDY)
    list(chat.stream(FakeEngine("5."), reply))
    with pytest.raises(UserError, match="your own messages"):
        chat.edit(chat.history()[-1].id, "x", GREEDY)
    assert ChatSession.create(inventory).take_back_last() is None


def test_system_prompt_and_model_are_kept_unless_given(inventory) -> None:
    chat = ChatSession.create(inventory, system_prompt="Answer in French.")
    reply = chat.send("Hello", GREEDY, artifact_id=None)
    assert reply.messages[0] == {"role": "system", "content": "Answer in French."}
    chat.fail_reply("Cancelled.")
    reply = chat.regenerate(GREEDY, system_prompt="")
    assert reply.messages == ({"role": "user", "content": "Hello"},)
    assert chat.conversation().system_prompt is None


def test_a_chat_deleted_while_its_reply_streams_ends_the_reply_unstored(inventory) -> None:
    chat = ChatSession.create(inventory)
    chat.send("Hi", GREEDY)
    chat.add_text("Hel")
    store.delete_conversation(inventory, chat.id)
    finished = chat.finish_reply(Done("Hello", GenerationStats(completion_tokens=2)))
    assert finished.text == "Hello" and not finished.stored and not chat.streaming
    with pytest.raises(UserError, match="no longer exists"):
        ChatSession.open(inventory, chat.id)


def test_rename_and_delete(inventory) -> None:
    chat = ChatSession.create(inventory)
    assert chat.rename("  Trip to Japan ").title == "Trip to Japan"
    with pytest.raises(UserError, match="needs a title"):
        chat.rename("   ")
    chat.delete()
    assert store.list_conversations(inventory) == []


def test_engine_messages_rules() -> None:
    history = [
        _record("user", "a", 1), _record("assistant", "", 2), _record("user", "b", 3),
        _record("assistant", "B", 4), _record("system", "ignored", 5), _record("assistant", "more", 6),
    ]
    assert engine_messages("  Be brief.  ", history) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "B\n\nmore"},
    ]
    assert engine_messages("   ", [_record("user", "x")]) == [{"role": "user", "content": "x"}]


def test_titles_and_finish_notes() -> None:
    assert title_from("\n\n  " + "x" * 80 + "\nsecond line") == "x" * 60
    assert title_from("   ") == ""
    assert finish_note(GenerationStats(finish_reason="length"), 24) == "Reached the limit of 24 tokens."
    assert finish_note(GenerationStats(finish_reason="stop", dropped_messages=(1, 2)), 24) == (
        "2 old message(s) were left out.")
    assert finish_note(GenerationStats(finish_reason="cancelled", dropped_messages=(1,)), 24) == (
        "Stopped by you. 1 old message(s) were left out.")
    assert "context window is full" in finish_note(GenerationStats(finish_reason="context"), 24)


def test_export_task_writes_the_conversation_as_rendered(inventory, tmp_path: Path) -> None:
    chat = ChatSession.create(inventory, system_prompt="Be brief.", params=GREEDY)
    list(chat.stream(FakeEngine("Paris."), chat.send("Capital of France?", GREEDY)))
    out = tmp_path / "chat.json"
    task = chat.export_task(out, lambda c, m, model: json.dumps(conversation_json(c, m, model)))
    assert run_inline(task) == out
    data = json.loads(out.read_text())
    assert data["system_prompt"] == "Be brief." and data["model"] == {}
    assert [m["content"] for m in data["messages"]] == ["Capital of France?", "Paris."]
    with pytest.raises(UserError, match="Cannot write"):
        run_inline(chat.export_task(tmp_path / "missing" / "chat.json", lambda c, m, model: ""))
