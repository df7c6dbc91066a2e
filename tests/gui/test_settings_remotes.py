"""Settings > Remote engines: a connection is tested before it is stored, its key goes to the key
store (a 0600 file in portable mode) and never to the screen; test and remove work on the selection."""

from __future__ import annotations

import pytest

from slmdesk.core import offline
from slmdesk.inventory import remotes
from slmdesk.inventory.repository import Inventory
from slmdesk.paths import AppPaths
from slmdesk.ui.settings.pane import SettingsPane
from tests.integration.test_remote_server import FakeOpenAIServer

KEY = "sk-settings-remote"


@pytest.fixture
def pane(qtbot, app_paths: AppPaths, inventory: Inventory) -> SettingsPane:
    widget = SettingsPane(app_paths, inventory)
    qtbot.addWidget(widget)
    return widget


def test_add_test_and_remove_a_connection(qtbot, pane: SettingsPane, inventory: Inventory) -> None:
    box = pane.remotes_box
    with FakeOpenAIServer(owned_by="library", key=KEY, extra_routes={"/api/version": {"version": "0.5.7"}}) as server:
        box.name_edit.setText("ollama-box")
        box.url_edit.setText(f"127.0.0.1:{server.port}")
        box.key_edit.setText(KEY)
        with qtbot.waitSignal(box.connections_changed, timeout=15_000):
            box.add_button.click()
        assert box.message_label.text().startswith("Added ollama-box: Ollama 0.5.7, 1 model(s): fake-model (")
        assert box.model.data(box.model.index(0)) == f"ollama-box  {server.base_url}  (Ollama)"
        assert box.key_edit.text() == "" and KEY not in box.message_label.text()
        record = remotes.get_connection(inventory, "ollama-box")
        assert remotes.key_store().get(record.id) == KEY

        box.list.setCurrentIndex(box.model.index(0))
        with qtbot.waitSignal(box.connections_changed, timeout=15_000):
            box.test_button.click()
        assert box.message_label.text().startswith("ollama-box answered: Ollama 0.5.7")

    with qtbot.waitSignal(box.connections_changed, timeout=5_000):
        box.remove_button.click()
    assert box.message_label.text() == "Removed ollama-box and its key."
    assert remotes.list_connections(inventory) == [] and remotes.key_store().get(record.id) is None


def test_a_server_that_refuses_is_not_stored(qtbot, pane: SettingsPane, inventory: Inventory) -> None:
    box = pane.remotes_box
    with FakeOpenAIServer(key=KEY) as server:
        box.name_edit.setText("box")
        box.url_edit.setText(server.base_url)
        box.key_edit.setText("sk-wrong")
        with qtbot.waitSignal(box.connections_changed, timeout=15_000):
            box.add_button.click()
    assert "answered 401 while listing its models: Invalid API key" in box.message_label.text()
    assert remotes.list_connections(inventory) == []


def test_offline_mode_is_said(qtbot, app_paths: AppPaths, inventory: Inventory,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(offline.OFFLINE_ENV, "1")
    widget = SettingsPane(app_paths, inventory)
    qtbot.addWidget(widget)
    assert not widget.remotes_box.offline_label.isHidden()
    assert widget.remotes_box.offline_label.text().startswith("Offline mode is on: only servers on this computer")
