"""Offline mode, proven in the GUI process: started as the app starts (``app.build_context`` with
offline mode on in Settings), a model loaded and a reply streamed through Chat; the guard of the
GUI process and of the engine child records zero attempts to leave the computer. An attempt made
on purpose afterwards is blocked and logged with its origin, and the Help menu's Network log shows
it: the guard was really there."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from slmdesk import app
from slmdesk.core import netguard, offline
from slmdesk.core.netguard import TRACE_ENV, NetworkBlocked
from slmdesk.core.network_log import LOG_ENV, read_events
from slmdesk.core.settings import Settings, save_settings
from slmdesk.core.tasks import run_inline
from slmdesk.inventory import conversations as store
from slmdesk.inventory.scanners import scan_task
from slmdesk.paths import AppPaths
from slmdesk.ui.main_window import MainWindow
from slmdesk.ui.network_log import NetworkLogDialog

pytestmark = pytest.mark.slow


@pytest.fixture
def offline_app(qtbot, app_paths: AppPaths, quick_machine_probe, smollm2_gguf: Path, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch):
    """The main window as ``slmdesk`` opens it with Settings' offline mode on (smallest context, one
    thread), SmolLM2 in the inventory, every process's attempts in one file; torn down after."""
    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, *offline.TELEMETRY_OFF):
        monkeypatch.delenv(name, raising=False)  # slmdesk must set them itself
    log_file = tmp_path / "attempts.jsonl"
    monkeypatch.setenv(LOG_ENV, str(log_file))
    monkeypatch.setenv(TRACE_ENV, "1")
    monkeypatch.setattr(app, "_configure_logging", lambda _logs: None)
    app_paths.ensure()
    save_settings(Settings(offline_mode=True, default_n_ctx=512, n_threads=1), app_paths.settings_file)
    context = app.build_context()
    run_inline(scan_task(context.inventory, [smollm2_gguf], mark_missing=False))
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.library.is_refreshing(), timeout=10_000)
    yield window, context, log_file
    context.runner.shutdown()
    context.engine.shutdown()
    context.inventory.close()


def test_load_and_reply_in_chat_attempt_nothing(qtbot, offline_app) -> None:
    window, context, log_file = offline_app
    assert offline.current().describe() == "Offline mode is on (Settings)."
    window.show_pane("Chat")
    chat = window.chat
    qtbot.waitUntil(lambda: chat.selected_artifact() is not None, timeout=10_000)
    with qtbot.waitSignal(context.engine.loaded, timeout=60_000):
        chat.load_selected()
    chat.generation.temperature.setValue(0.0)
    chat.generation.max_tokens.setValue(8)
    chat.composer.input_edit.setPlainText("Name the capital city of France.")
    with qtbot.waitSignal(context.engine.reply_finished, timeout=90_000):
        chat.send()
    messages = store.list_messages(context.inventory, chat.current_conversation_id())
    assert "Paris" in messages[-1].content

    events = read_events(log_file)
    assert [event for event in events if event.is_attempt] == []  # the proof
    guarded = {(event.process, event.offline) for event in events}
    assert guarded == {(app.GUI_PROCESS, True), ("slmdesk engine-host", True)}, events

    # Not vacuous: the GUI process's guard blocks and logs an attempt made on purpose...
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("huggingface.co", 443)
    [attempt] = [event for event in read_events(log_file) if event.is_attempt]
    assert (attempt.target, attempt.blocked, attempt.process, attempt.module) == (
        "huggingface.co:443", True, app.GUI_PROCESS, __name__)
    # ...and the Network log (Help menu) shows it.
    window.network_log_action.trigger()
    [dialog] = [w for w in QApplication.topLevelWidgets() if isinstance(w, NetworkLogDialog)]
    assert dialog.summary_label.text().startswith("Offline mode is on (Settings). Every connection beyond this "
                                                  "computer is blocked")
    assert dialog.summary_label.text().endswith("1 attempt(s) logged, 1 blocked.")
    assert [dialog.model.index(0, column).data() for column in (1, 2, 3)] == ["Blocked", "resolve",
                                                                             "huggingface.co:443"]
    dialog.close()
    assert netguard.current() is not None and netguard.current().process == app.GUI_PROCESS


def test_turning_offline_mode_off_in_settings_reaches_the_guard(qtbot, offline_app) -> None:
    window, _context, _log_file = offline_app
    preferences = window.panes["Settings"].preferences
    assert preferences.offline_check.isChecked()
    preferences.offline_check.setChecked(False)
    assert preferences.save()
    assert netguard.current().offline is False and offline.OFFLINE_ENV not in os.environ
    preferences.offline_check.setChecked(True)
    assert preferences.save()
    assert netguard.current().offline is True
