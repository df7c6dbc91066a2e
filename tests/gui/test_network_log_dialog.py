"""The Network log dialog: reached from Settings beside the offline switch; newest entries first,
blocked ones marked, and what offline mode does now."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from slmdesk.core.network_log import NetworkEvent, append_event, log_path
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from slmdesk.ui.network_log import NetworkLogDialog
from slmdesk.ui.palette import colour
from slmdesk.ui.settings.pane import SettingsPane


def entry(second: int, host: str, blocked: bool, action: str = "connect") -> NetworkEvent:
    return NetworkEvent(time=f"2026-03-01T12:00:0{second}.000Z", action=action, host=host,
                        port=None if action == "guard" else 443, blocked=blocked, offline=blocked,
                        process="slmdesk GUI", pid=77, thread="MainThread", module="httpcore2._backends.sync",
                        caller="slmdesk.hub.search.search_models" if action != "guard" else None)


def test_settings_opens_the_log_newest_first(qtbot, qtmodeltester, app_paths: AppPaths) -> None:
    app_paths.ensure()
    path = log_path(app_paths)
    append_event(path, entry(1, "", False, action="guard"))
    append_event(path, entry(2, "huggingface.co", False))
    append_event(path, entry(3, "huggingface.co", True, action="resolve"))
    inventory = open_inventory(app_paths.database)
    try:
        pane = SettingsPane(app_paths, inventory)
        qtbot.addWidget(pane)
        button = pane.preferences.network_log_button
        assert button.text() == "Network log…" and not pane.preferences.offline_note.isVisibleTo(pane)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        [dialog] = [w for w in QApplication.topLevelWidgets() if isinstance(w, NetworkLogDialog)]
        model = dialog.model
        qtmodeltester.check(model)
        rows = [[model.index(row, column).data() for column in range(model.columnCount())]
                for row in range(model.rowCount())]
        assert rows == [
            ["2026-03-01 12:00:03.000", "Blocked", "resolve", "huggingface.co:443", "slmdesk GUI [77]",
             "slmdesk.hub.search.search_models"],
            ["2026-03-01 12:00:02.000", "Allowed", "connect", "huggingface.co:443", "slmdesk GUI [77]",
             "slmdesk.hub.search.search_models"],
            ["2026-03-01 12:00:01.000", "", "guard started (online)", "", "slmdesk GUI [77]",
             "httpcore2._backends.sync"],
        ]
        assert model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) == colour("text.error")
        assert "thread MainThread" in model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole)
        assert dialog.summary_label.text() == (
            "Offline mode is off. Connections slmdesk makes beyond this computer (the Hugging Face Hub) are listed "
            "here. 2 attempt(s) logged, 1 blocked.")
        path.unlink()
        dialog.refresh_button.click()
        assert model.rowCount() == 0
        assert dialog.summary_label.text().endswith("No connection beyond this computer has been attempted.")
        dialog.close()
    finally:
        inventory.close()


def test_a_log_that_cannot_be_read_is_said_so(qtbot, tmp_path) -> None:
    folder = tmp_path / "network-log.jsonl"
    folder.mkdir()  # a folder where the file should be
    dialog = NetworkLogDialog(folder)
    qtbot.addWidget(dialog)
    assert dialog.model.rowCount() == 0
    assert f"Cannot read {folder}: Is a directory." in dialog.summary_label.text()
