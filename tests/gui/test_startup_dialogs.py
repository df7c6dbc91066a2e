"""Start-up with a damaged inventory: the dialog offers the latest backup, restoring brings the
rows back and keeps the damaged file; the smoke test's trap reports any modal dialog."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QVBoxLayout, QWidget

from slmdesk import app
from slmdesk.inventory import backups
from slmdesk.inventory.backups import InventoryDamaged
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from slmdesk.ui.context import AppContext
from slmdesk.ui.startup import (
    DamagedInventoryChoice,
    DamagedInventoryDialog,
    ModalTrap,
    ask_about_damaged_inventory,
)
from tests.inventory_damage import damage_a_row_page, truncate
from tests.inventory_factory import insert_artifacts

pytestmark = pytest.mark.modal_dialogs  # these tests show and answer the real dialogs


def damaged_inventory(app_paths: AppPaths, artifacts: int, backed_up: bool) -> InventoryDamaged:
    """An inventory of ``artifacts`` rows (backed up or not), then truncated; the error that
    opening it raises."""
    app_paths.ensure()
    with open_inventory(app_paths.database) as inventory:
        insert_artifacts(inventory, artifacts)
    if backed_up:
        backups.take_backup(app_paths.database)
    truncate(app_paths.database)
    with pytest.raises(InventoryDamaged) as caught:
        open_inventory(app_paths.database)
    return caught.value


def answer_modal(qtbot, button_text: str, seen: list[str]) -> None:
    """Once a modal dialog is up, note its buttons and press the one labelled ``button_text``."""

    def press() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QMessageBox)
        seen.extend(b.text() for b in dialog.buttons())
        next(b for b in dialog.buttons() if b.text() == button_text).click()

    QTimer.singleShot(0, press)


@pytest.fixture
def start_app(monkeypatch: pytest.MonkeyPatch):
    """``app.build_context`` as start-up calls it (logging left alone); contexts are shut down."""
    monkeypatch.setattr(app, "_configure_logging", lambda _logs: None)
    built: list[AppContext] = []

    def build() -> AppContext:
        built.append(app.build_context())
        return built[-1]

    yield build
    for context in built:
        context.runner.shutdown()
        context.engine.shutdown()
        context.inventory.close()


def test_the_dialog_offers_the_latest_backup(qtbot, app_paths: AppPaths) -> None:
    error = damaged_inventory(app_paths, 3, backed_up=True)
    dialog = DamagedInventoryDialog(error)
    qtbot.addWidget(dialog)
    buttons = sorted(b.text() for b in dialog.buttons())
    assert buttons == ["Quit", "Restore latest backup", "Start with an empty inventory"]
    assert dialog.defaultButton() is dialog.restore_button
    assert "is damaged" in dialog.text() and str(app_paths.database) in dialog.text()
    assert "damaged file is kept" in dialog.informativeText()


def test_without_a_backup_the_dialog_does_not_offer_one(qtbot, app_paths: AppPaths) -> None:
    error = damaged_inventory(app_paths, 3, backed_up=False)
    dialog = DamagedInventoryDialog(error)
    qtbot.addWidget(dialog)
    assert sorted(b.text() for b in dialog.buttons()) == ["Quit", "Start with an empty inventory"]
    assert dialog.defaultButton() is dialog.quit_button
    assert "no backup" in dialog.informativeText()


def test_restore_latest_backup_brings_the_rows_back_and_keeps_the_damaged_file(
    qtbot, app_paths: AppPaths, start_app: Callable[[], AppContext]
) -> None:
    error = damaged_inventory(app_paths, 12, backed_up=True)
    damaged_bytes = app_paths.database.read_bytes()
    with pytest.raises(InventoryDamaged):
        start_app()

    pressed: list[str] = []
    answer_modal(qtbot, "Restore latest backup", pressed)
    choice = ask_about_damaged_inventory(error)
    assert choice is DamagedInventoryChoice.RESTORE
    assert "Restore latest backup" in pressed
    notice = app._repair_inventory(error, choice)
    assert "Inventory restored from the backup taken" in notice

    context = start_app()
    assert len(context.inventory.list_artifacts()) == 12
    [kept] = app_paths.data.glob("inventory.sqlite3.damaged-*")
    assert kept.name in notice and kept.read_bytes() == damaged_bytes


def test_start_empty_keeps_the_damaged_file(qtbot, app_paths: AppPaths, start_app: Callable[[], AppContext]) -> None:
    error = damaged_inventory(app_paths, 5, backed_up=False)
    damaged_bytes = app_paths.database.read_bytes()
    answer_modal(qtbot, "Start with an empty inventory", [])
    choice = ask_about_damaged_inventory(error)
    assert choice is DamagedInventoryChoice.START_EMPTY
    app._repair_inventory(error, choice)
    context = start_app()
    assert context.inventory.list_artifacts() == []
    [kept] = app_paths.data.glob("inventory.sqlite3.damaged-*")
    assert kept.read_bytes() == damaged_bytes


def test_quit_leaves_the_files_alone(qtbot, app_paths: AppPaths) -> None:
    error = damaged_inventory(app_paths, 5, backed_up=True)
    before = sorted(p.name for p in app_paths.data.rglob("*"))
    answer_modal(qtbot, "Quit", [])
    assert ask_about_damaged_inventory(error) is DamagedInventoryChoice.QUIT
    assert sorted(p.name for p in app_paths.data.rglob("*")) == before


def test_start_up_checks_a_damaged_file_that_still_opens(app_paths: AppPaths, start_app) -> None:
    """Damage in the middle of the file: it opens, then fails mid-read. Start-up's integrity
    check catches it before the window opens (and closes what it opened)."""
    app_paths.ensure()
    with open_inventory(app_paths.database) as inventory:
        insert_artifacts(inventory, 500)
    damage_a_row_page(app_paths.database)  # it still opens
    with pytest.raises(InventoryDamaged, match="malformed"):
        start_app()


def test_start_up_takes_a_daily_backup(app_paths: AppPaths, start_app) -> None:
    start_app()
    [backup] = backups.rolling_backups(app_paths.database)
    assert backup.path.parent == app_paths.data / "backups"
    start_app()
    assert len(backups.rolling_backups(app_paths.database)) == 1, "one a day"


def test_the_smoke_test_trap_reports_a_modal_dialog_with_its_text(qtbot, qapp) -> None:
    reported: list[str] = []

    def on_modal(window: QWidget, description: str) -> None:
        reported.append(description)
        QTimer.singleShot(0, window.close)  # the app exits here; the test closes it instead

    trap = ModalTrap(on_modal)
    qapp.installEventFilter(trap)
    try:
        modeless = QDialog()
        qtbot.addWidget(modeless)
        QVBoxLayout(modeless).addWidget(QLabel("just information", modeless))
        modeless.show()
        assert reported == [], "a window that does not wait for a click is no failure"
        box = QMessageBox(QMessageBox.Icon.Warning, "slmdesk cannot start", "The inventory is damaged.")
        box.setInformativeText("Restore the latest backup.")
        qtbot.addWidget(box)
        guard = QTimer(box)  # without the trap the test fails instead of hanging
        guard.setSingleShot(True)
        guard.timeout.connect(box.close)
        guard.start(5000)
        box.exec()
        guard.stop()
    finally:
        qapp.removeEventFilter(trap)
    assert reported == ["[slmdesk cannot start]\nThe inventory is damaged.\nRestore the latest backup."]
