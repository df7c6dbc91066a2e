"""The Settings pane's preferences: edit, save to the settings file, reload; invalid input is refused."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from slmdesk.core.settings import SETTINGS_VERSION, Settings, load_settings, save_settings
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from slmdesk.ui.settings.pane import SettingsPane


@pytest.fixture
def make_pane(qtbot, app_paths: AppPaths):
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    saved: list[Settings] = []

    def make(settings: Settings | None = None) -> SettingsPane:
        pane = SettingsPane(app_paths, inventory, settings=settings, on_saved=saved.append)
        qtbot.addWidget(pane)
        return pane

    make.saved = saved  # type: ignore[attr-defined]
    yield make
    inventory.close()


def test_edit_save_and_reload_from_disk(qtbot, make_pane, app_paths: AppPaths) -> None:
    pane = make_pane(Settings())
    prefs = pane.preferences
    assert prefs.n_ctx_combo.currentText() == "4096"
    assert prefs.threads_spin.value() == 0 and prefs.threads_spin.text().startswith("Automatic (")
    assert not prefs.offline_check.isChecked()
    prefs.n_ctx_combo.setCurrentText("8,192")  # separators are accepted
    prefs.threads_spin.setValue(6)
    prefs.offline_check.setChecked(True)
    qtbot.mouseClick(prefs.save_button, Qt.MouseButton.LeftButton)

    expected = Settings(offline_mode=True, default_n_ctx=8192, n_threads=6)
    assert prefs.message_label.text() == f"Saved to {app_paths.settings_file}."
    assert make_pane.saved == [expected]  # on_saved applies them without a restart
    assert json.loads(app_paths.settings_file.read_text()) == {
        "version": SETTINGS_VERSION, "offline_mode": True, "default_n_ctx": 8192, "n_threads": 6,
        "api_enabled": False, "api_host": "127.0.0.1", "api_port": 8765, "api_allowed_origins": [],
        "api_max_loaded_models": 1, "enter_sends": True,
    }
    assert load_settings(app_paths.settings_file) == expected

    reopened = make_pane()  # no settings handed in: read from the file
    assert reopened.preferences.settings == expected
    assert reopened.preferences.n_ctx_combo.currentText() == "8192"
    assert reopened.preferences.threads_spin.value() == 6
    assert reopened.preferences.offline_check.isChecked()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("lots", "The default context 'lots' is not a whole number of tokens. Type a number such as 4096"),
        ("100", "A default context of 100 tokens is out of range. Use 256 to 1,048,576 tokens, for example 4096."),
        ("", "The default context '' is not a whole number of tokens."),
    ],
)
def test_invalid_input_shows_a_message_and_saves_nothing(qtbot, make_pane, app_paths: AppPaths,
                                                         typed: str, message: str) -> None:
    save_settings(Settings(default_n_ctx=2048), app_paths.settings_file)
    before = app_paths.settings_file.read_text()
    pane = make_pane()
    pane.preferences.offline_check.setChecked(True)
    pane.preferences.n_ctx_combo.setCurrentText(typed)
    assert pane.preferences.save() is False
    assert pane.preferences.message_label.text().startswith(message)
    assert app_paths.settings_file.read_text() == before
    assert make_pane.saved == [] and pane.preferences.settings == Settings(default_n_ctx=2048)


def test_a_file_that_cannot_be_written_is_reported(qtbot, make_pane, app_paths: AppPaths) -> None:
    app_paths.settings_file.mkdir(parents=True)  # a folder where the file should be
    pane = make_pane(Settings())
    pane.preferences.n_ctx_combo.setCurrentText("16384")
    assert pane.preferences.save() is False
    assert pane.preferences.message_label.text().startswith(f"Cannot save the settings to {app_paths.settings_file}: ")
    assert make_pane.saved == [] and pane.preferences.settings == Settings()
