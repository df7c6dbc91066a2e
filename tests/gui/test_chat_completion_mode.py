"""The Chat pane opens a base model (Gemma 3 270M, no chat template) in completion mode, with
one note instead of the template warnings, and any model can be switched to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.core.tasks import run_inline
from slmdesk.engine.types import LoadSettings
from slmdesk.inventory import conversations as store
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.chat.pane import ChatPane

LOAD_TIMEOUT_MS = 60_000
REPLY_TIMEOUT_MS = 90_000


@pytest.fixture
def chat(qtbot, app_paths: AppPaths, gemma3_gguf: Path):
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    run_inline(scan_task(inventory, [gemma3_gguf], mark_missing=False))
    runner = JobRunner()
    session = EngineSession()
    pane = ChatPane(inventory, session, runner, lambda artifact: LoadSettings(n_ctx=256, n_threads=1, seed=1))
    qtbot.addWidget(pane)
    pane.resize(1300, 800)
    pane.show()
    qtbot.waitUntil(lambda: pane.selected_artifact() is not None)
    yield pane, inventory, session
    session.shutdown()
    assert runner.shutdown(10_000)
    inventory.close()


def test_a_base_model_opens_in_completion_mode_with_one_note(qtbot, chat) -> None:
    pane, inventory, session = chat
    with qtbot.waitSignal(session.loaded, timeout=LOAD_TIMEOUT_MS):
        pane.load_selected()
    assert pane.generation.mode() == "completion"
    lines = pane.model_bar.warning_label.text().splitlines()
    assert len(lines) == 1 and "Gemma 3 270M has no chat template" in lines[0]

    pane.composer.input_edit.setPlainText("The capital of France is")
    with qtbot.waitSignal(session.reply_finished, timeout=REPLY_TIMEOUT_MS):
        pane.send()
    conversation = store.get_conversation(inventory, pane.current_conversation_id())
    assert conversation.mode == "completion"
    messages = store.list_messages(inventory, conversation.id)
    assert [m.role for m in messages] == ["user", "assistant"] and messages[1].content.strip()

    # Chat mode is one choice away; the ChatML-fallback warning comes back with it.
    pane.set_mode("chat")
    assert store.get_conversation(inventory, conversation.id).mode == "chat"
    assert "no chat template" in pane.model_bar.warning_label.text()
    assert "completion mode" not in pane.model_bar.warning_label.text()
