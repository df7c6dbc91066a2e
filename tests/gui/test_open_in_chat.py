"""First run through the main window: "Open in Chat" loads the model, Load needs no "New chat"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from slmdesk.core.settings import Settings
from slmdesk.core.tasks import run_inline
from slmdesk.hardware.live import UsageSampler
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.context import AppContext
from slmdesk.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot, app_paths: AppPaths, quick_machine_probe: list[float], smollm2_gguf: Path):
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    run_inline(scan_task(inventory, [smollm2_gguf], mark_missing=False))
    context = AppContext(app_paths, Settings(), JobRunner(), UsageSampler(), inventory, EngineSession(),
                         LoadPlanStore(inventory))
    main = MainWindow(context)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: not main.library.is_refreshing())
    yield main
    context.runner.shutdown()
    context.engine.shutdown()
    inventory.close()


def test_load_is_enabled_on_a_fresh_chat_pane(qtbot, window) -> None:
    window.show_pane("Chat")
    chat = window.chat
    qtbot.waitUntil(lambda: chat.model_bar.load_button.isEnabled(), timeout=5_000)
    assert chat.current_conversation_id() is None  # no "New chat" was needed


def test_open_in_chat_selects_and_loads_the_model(qtbot, window) -> None:
    record = window.library.selected_record()
    assert record is not None and record.display_name == "SmolLM2 135M Instruct"
    qtbot.mouseClick(window.library.chat_button, Qt.MouseButton.LeftButton)
    assert window.current_pane_name() == "Chat"
    chat = window.chat
    qtbot.waitUntil(lambda: chat._session.load_info is not None, timeout=60_000)
    assert chat.selected_artifact() is not None and chat.selected_artifact().id == record.id
    assert chat.composer.send_button.isEnabled()
    # Opening it again while it is loaded does not reload it.
    assert chat.open_artifact(record.id) is False
