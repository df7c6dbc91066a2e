"""Chat basics without Qt: regenerated replies keep their versions (stored, flipped, dropped
with their message), the context count of a conversation, system-prompt presets, and an
export's progress worded as reading the model rather than as the export's size."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import pytest

from slmdesk.chat import ChatSession, context_tokens
from slmdesk.chat.presets import SYSTEM_PROMPT_PRESETS, preset_for
from slmdesk.core.errors import UserError
from slmdesk.core.tasks import Progress, run_inline
from slmdesk.inventory import conversations as store
from slmdesk.inventory.conversations import MessageRecord
from slmdesk.inventory.orm import Artifact, ArtifactFile
from tests.unit.chat.test_session import GREEDY, FakeEngine


def _ask(chat: ChatSession, question: str, answer: str) -> None:
    list(chat.stream(FakeEngine(answer), chat.send(question, GREEDY)))


def _again(chat: ChatSession, answer: str, fail_after: int | None = None) -> FakeEngine:
    engine = FakeEngine(answer, fail_after=fail_after)
    with contextlib.suppress(UserError):  # a crash: what came is stored as the failed version
        list(chat.stream(engine, chat.regenerate(GREEDY)))
    return engine


def test_regenerate_keeps_every_version_and_the_last_is_shown(inventory) -> None:
    chat = ChatSession.create(inventory)
    _ask(chat, "Capital of Italy?", "Rome.")
    assert chat.version_position() is None and chat.versions() == []  # one version: no switcher
    engine = _again(chat, "Rome, since 1871.")
    # The engine was asked the question alone: the reply being replaced is not history.
    assert engine.requests == [[{"role": "user", "content": "Capital of Italy?"}]]
    _again(chat, "Roma.")
    assert [m.content for m in chat.history()] == ["Capital of Italy?", "Roma."]
    assert [v.content for v in chat.versions()] == ["Rome.", "Rome, since 1871.", "Roma."]
    assert chat.version_position() == (3, 3)
    assert chat.history()[-1].stats["completion_tokens"] == 3  # the shown version's own stats


def test_flipping_versions_changes_what_is_stored_sent_next_and_survives_reopening(inventory) -> None:
    chat = ChatSession.create(inventory)
    _ask(chat, "Capital of Italy?", "Rome.")
    _again(chat, "Roma, the eternal city.")
    first = chat.show_version(-1)
    assert first is not None and first.content == "Rome." and first.stats["completion_tokens"] == 3
    assert chat.show_version(-1) is None and chat.version_position() == (1, 2)  # nothing before the first
    reopened = ChatSession.open(inventory, chat.id)
    assert reopened.version_position() == (1, 2) and reopened.history()[-1].content == "Rome."
    engine = FakeEngine("Yes.")
    list(reopened.stream(engine, reopened.send("Sure?", GREEDY)))
    assert engine.requests[0][1] == {"role": "assistant", "content": "Rome."}  # the version shown
    assert reopened.versions() == []  # the last reply is now "Yes.", generated once
    # An earlier reply's versions stay stored with it.
    assert [v.content for v in store.list_reply_versions(inventory, chat.history()[1].id)] == [
        "Rome.", "Roma, the eternal city."]


def test_an_empty_or_failed_empty_reply_is_replaced_not_kept(inventory) -> None:
    chat = ChatSession.create(inventory)
    _ask(chat, "Hi", "Hello!")
    _again(chat, "Crashed", fail_after=0)  # failed before its first token
    assert [v.content for v in chat.versions()] == ["Hello!", ""] and chat.version_position() == (2, 2)
    _again(chat, "Hey.")
    assert [v.content for v in chat.versions()] == ["Hello!", "Hey."]
    lone = ChatSession.create(inventory)
    reply = lone.send("Hi", GREEDY)
    lone.fail_reply("The engine stopped.")
    assert lone.history()[-1].id == reply.message_id and lone.history()[-1].content == ""
    _again(lone, "Hello.")
    assert lone.versions() == [] and lone.history()[-1].content == "Hello."  # nothing worth a switcher


def test_a_partial_reply_kept_as_a_version_and_refusals(inventory) -> None:
    chat = ChatSession.create(inventory)
    _ask(chat, "Count", "one two three")
    _again(chat, "four five six", fail_after=2)
    assert [v.content for v in chat.versions()] == ["one two three", "four"]
    assert "engine stopped" in chat.versions()[-1].stats["note"]
    reply = chat.regenerate(GREEDY)
    with pytest.raises(UserError, match="still being written"):
        chat.show_version(-1)
    chat.add_text("se")
    chat.fail_reply("Stopped.")
    assert [v.content for v in chat.versions()] == ["one two three", "four", "se"]
    assert chat.history()[-1].id == reply.message_id
    assert chat.show_version(0) is None and chat.show_version(5) is None


def test_versions_go_with_their_message_when_edited_taken_back_or_deleted(inventory, app_paths) -> None:
    chat = ChatSession.create(inventory)
    _ask(chat, "A?", "a1")
    _again(chat, "a2")
    assert chat.take_back_last() == "A?"
    _ask(chat, "B?", "b1")
    _again(chat, "b2")
    chat.delete()

    def count() -> int:
        with sqlite3.connect(app_paths.database) as connection:
            return connection.execute("SELECT count(*) FROM reply_version").fetchone()[0]

    assert count() == 0


def test_context_tokens_come_from_the_last_finished_reply() -> None:
    def message(role: str, stats: dict | None = None) -> MessageRecord:
        return MessageRecord(id=1, conversation_id=1, role=role, content="x", stats=stats)

    assert context_tokens([]) == 0
    assert context_tokens([message("user")]) == 0
    history = [message("user"), message("assistant", {"prompt_tokens": 30, "completion_tokens": 12}),
               message("user"), message("assistant", {"note": "The engine stopped.", "error": True})]
    assert context_tokens(history) == 42  # a failed reply has no counts: the one before holds


def test_presets_are_recognised_by_their_text() -> None:
    names = [preset.name for preset in SYSTEM_PROMPT_PRESETS]
    assert len(names) == len(set(names)) >= 4 and all(p.text.strip() == p.text for p in SYSTEM_PROMPT_PRESETS)
    concise = next(p for p in SYSTEM_PROMPT_PRESETS if p.name == "Concise")
    assert preset_for(concise.text) is concise and preset_for(f"  {concise.text}\n") is concise
    assert preset_for("Talk like a pirate.") is None and preset_for("") is None and preset_for(None) is None


def test_exporting_hashes_the_model_with_a_reading_label_and_no_byte_counts(inventory, tmp_path: Path) -> None:
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + bytes(3 * 2**20))
    with inventory.session() as session:
        row = Artifact(path=str(model), format="gguf", status="ok", size_bytes=model.stat().st_size,
                       name="Tiny", architecture="llama", quantization="Q4_K_M")
        session.add(row)
        session.flush()
        session.add(ArtifactFile(artifact_id=row.id, position=0, path=str(model), size_bytes=model.stat().st_size))
        artifact_id = row.id
    chat = ChatSession.create(inventory, artifact_id=artifact_id)
    _ask(chat, "Hi", "Hello.")
    out = tmp_path / "chat.json"
    steps: list[Progress] = []
    assert run_inline(chat.export_task(out, lambda c, m, info: json.dumps(info)), on_progress=steps.append) == out
    assert steps and all(step.bytes_done is None and step.bytes_total is None for step in steps)
    assert steps[-1].fraction == 1.0 and steps[-1].message == "Reading Tiny for its SHA-256: 3.0 MiB of 3.0 MiB"
    assert len(json.loads(out.read_text())["sha256"]) == 64
