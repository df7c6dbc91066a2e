"""The Settings pane's preferences: edit, save to the settings file, reload; invalid input is refused."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton

from slmdesk.core.settings import SETTINGS_VERSION, Settings, load_settings, save_settings
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from slmdesk.ui.palette import is_dark
from slmdesk.ui.settings.pane import SettingsPane
from slmdesk.ui.theme import apply_theme


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
        "api_max_loaded_models": 1, "enter_sends": True, "language": "system", "theme": "system", "models_dir": None,
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


@pytest.fixture
def system_theme_after(qapp: QApplication):
    """Whatever theme a test applies, the system one is back afterwards (other tests' colours)."""
    try:
        yield
    finally:
        apply_theme(qapp, "system")


def test_language_theme_and_models_folder_are_saved_and_wait_for_a_restart(
        qtbot, make_pane, app_paths: AppPaths, tmp_path) -> None:
    pane = make_pane(Settings())
    prefs = pane.preferences
    assert prefs.language_combo.currentData() == "system" and prefs.language_combo.currentText().startswith(
        "System default (")
    assert [prefs.language_combo.itemText(i) for i in range(1, 3)] == ["English", "Svenska"]
    assert prefs.models_edit.placeholderText() == str(app_paths.data / "models")
    assert prefs.restart_note.isHidden() and prefs.restart_button.isHidden()
    prefs.language_combo.setCurrentIndex(prefs.language_combo.findData("sv"))
    prefs.theme_combo.setCurrentIndex(prefs.theme_combo.findData("light"))
    chosen = tmp_path / "elsewhere" / "models"
    prefs.models_edit.setText(str(chosen))
    assert prefs.save()

    expected = Settings(language="sv", theme="light", models_dir=str(chosen))
    assert make_pane.saved == [expected] and load_settings(app_paths.settings_file) == expected
    raw = json.loads(app_paths.settings_file.read_text())
    assert (raw["language"], raw["theme"], raw["models_dir"]) == ("sv", "light", str(chosen))
    assert chosen.is_dir(), "the new folder is made at once, so the next start cannot fail on it"
    assert prefs.restart_note.text() == "The new language and models folder take effect when slmdesk restarts."
    assert not prefs.restart_note.isHidden() and not prefs.restart_button.isHidden()

    prefs.models_default_button.click()  # back to the default folder: the file says null
    prefs.language_combo.setCurrentIndex(0)
    assert prefs.save()
    assert json.loads(app_paths.settings_file.read_text())["models_dir"] is None
    assert prefs.restart_note.isHidden()  # the same as this run: nothing waits for a restart


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("relative/models", "The models folder 'relative/models' is not a full path. Choose a folder with the Browse"),
        ("FILE", "The models folder 'FILE' is a file, not a folder."),
    ],
)
def test_an_invalid_models_folder_is_refused(qtbot, make_pane, app_paths: AppPaths, tmp_path,
                                              typed: str, message: str) -> None:
    save_settings(Settings(), app_paths.settings_file)
    before = app_paths.settings_file.read_text()
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    pane = make_pane()
    pane.preferences.models_edit.setText(typed.replace("FILE", str(a_file)))
    assert pane.preferences.save() is False
    assert pane.preferences.message_label.text().startswith(message.replace("FILE", str(a_file)))
    assert app_paths.settings_file.read_text() == before and make_pane.saved == []


def test_a_new_theme_applies_at_once(qtbot, make_window, qapp: QApplication, system_theme_after) -> None:
    window = make_window()
    prefs = window.panes["Settings"].preferences
    for theme, dark in (("dark", True), ("light", False), ("dark", True)):
        prefs.theme_combo.setCurrentIndex(prefs.theme_combo.findData(theme))
        assert prefs.save()
        assert is_dark(qapp.palette()) is dark, theme
        assert prefs.restart_note.isHidden(), "a theme needs no restart"
    prefs.theme_combo.setCurrentIndex(prefs.theme_combo.findData("system"))
    assert prefs.save()
    assert window._context.settings.theme == "system"


def test_the_folder_buttons_have_distinct_names(qtbot, make_pane) -> None:
    pane = make_pane(Settings())
    names = [b.accessibleName() for b in pane.findChildren(QPushButton) if b.text() == "Open"]
    assert names == ["Open the Models folder", "Open the Data folder", "Open the Configuration folder",
                     "Open the Cache folder", "Open the Logs folder"]
