"""The Chat pane's parts and controller with the preview's fake engine (fast; no model file):
shortcuts, regenerate and edit, search, per-conversation settings, the conversation model."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from slmdesk.inventory import conversations as store
from slmdesk.inventory.conversations import ConversationRecord
from slmdesk.ui.chat.conversations import ConversationIdRole, ConversationListModel
from slmdesk.ui.chat.pane import ChatPane
from slmdesk.ui.chat.preview import (
    CANNED_REPLY,
)
from slmdesk.ui.i18n import format_datetime

TIMEOUT_MS = 10_000


def _contents(inventory, pane: ChatPane) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in store.list_messages(inventory, pane.current_conversation_id())]


def test_conversation_model_passes_the_model_tester(qtmodeltester) -> None:
    model = ConversationListModel()
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    model.set_conversations([
        ConversationRecord(id=7, title="Trains in Japan", artifact_id=None, system_prompt=None, updated_at=now),
        ConversationRecord(id=3, title="", artifact_id=None, system_prompt=None),
    ])
    qtmodeltester.check(model)
    assert model.data(model.index(0)) == "Trains in Japan"
    assert model.data(model.index(1)) == "Untitled conversation"
    assert model.data(model.index(0), Qt.ItemDataRole.ToolTipRole) == f"Trains in Japan\nUpdated {format_datetime(now)}"
    assert model.data(model.index(1), ConversationIdRole) == 3 and model.row_of(3) == 1 and model.row_of(99) is None
    model.set_conversations([])
    qtmodeltester.check(model)


def test_ctrl_enter_sends_escape_stops_and_ctrl_n_starts_a_chat(qtbot, fake_chat) -> None:
    pane, inventory, session, _runner, _clients = fake_chat
    pane.composer.input_edit.setPlainText("Tell me about tokens.")
    pane.composer.input_edit.setFocus()
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS) as finished:
        qtbot.keyClick(pane.composer.input_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: pane._reply is not None and len(pane._reply.content) > 30, timeout=TIMEOUT_MS)
        assert not pane.conversations.new_button.isEnabled()  # the reply belongs to this chat
        qtbot.keyClick(pane.composer.input_edit, Qt.Key.Key_Escape)
    assert finished.args[0].stats.finish_reason == "cancelled"
    (role, question), (_, reply) = _contents(inventory, pane)[-2:]
    assert (role, question) == ("user", "Tell me about tokens.")
    assert 30 < len(reply) < len(CANNED_REPLY) and CANNED_REPLY.format(question=question).startswith(reply)
    assert "Stopped by you." in pane.transcript.toPlainText()
    assert pane.composer.input_edit.toPlainText() == ""

    before = pane.current_conversation_id()
    qtbot.keyClick(pane.composer.input_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert pane.current_conversation_id() != before and _contents(inventory, pane) == []
    assert pane.conversations.model.conversation(0).title == "New chat"


def test_regenerate_and_edit_last_rewrite_the_end_of_the_conversation(qtbot, fake_chat) -> None:
    pane, inventory, session, _runner, clients = fake_chat
    pane.new_conversation()
    pane.composer.input_edit.setPlainText("First question")
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        pane.send()
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        pane.composer.regenerate_button.click()
    assert [role for role, _ in _contents(inventory, pane)] == ["user", "assistant"]
    assert clients[0].requests[-1] == clients[0].requests[-2] == [{"role": "user", "content": "First question"}]
    assert pane.transcript.toPlainText().count("You asked: First question") == 1

    pane.composer.edit_button.click()
    assert _contents(inventory, pane) == []
    assert pane.composer.input_edit.toPlainText() == "First question"
    assert "First question" not in pane.transcript.toPlainText()


def test_search_filters_the_list_and_each_chat_brings_its_own_settings(qtbot, fake_chat) -> None:
    pane, inventory, session, _runner, _clients = fake_chat

    def titles() -> list[str]:
        model = pane.conversations.model
        return [model.conversation(r).title for r in range(model.rowCount())]

    assert titles() == ["Count tokens in Python", "Which quantization for a laptop?"]
    pane.conversations.search_edit.setText("8 GB")  # matches message text, not only titles
    assert titles() == ["Which quantization for a laptop?"]
    pane.conversations.search_edit.clear()

    laptop = pane.conversations.model.conversation(1)
    store.update_conversation(inventory, laptop.id, settings={"temperature": 0.2, "max_tokens": 64, "seed": 5})
    pane.conversations.view.setCurrentIndex(pane.conversations.model.index(1))
    assert pane.current_conversation_id() == laptop.id
    assert "Q4_K_M" in pane.transcript.toPlainText()
    assert pane.generation.system_prompt() == "You are concise."
    params = pane.generation.sampling_params()
    assert (params.temperature, params.max_tokens, params.seed) == (0.2, 64, 5)

    pane.composer.input_edit.setPlainText("And for 16 GB?")
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        pane.send()
    stored = store.get_conversation(inventory, laptop.id)
    assert stored.settings["max_tokens"] == 64 and stored.title == "Which quantization for a laptop?"
    assert titles()[0] == "Which quantization for a laptop?"  # most recent first
