"""Before the main window: the damaged-inventory dialog, the smoke test's trap for modal dialogs, and
how to start slmdesk again (Settings' Restart now)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton, QWidget

from slmdesk.inventory.backups import InventoryDamaged


class DamagedInventoryChoice(Enum):
    """What the user chose in the :class:`DamagedInventoryDialog`."""

    RESTORE = "restore"
    """Move the damaged file aside and copy the newest good backup into place."""
    START_EMPTY = "start_empty"
    """Move the damaged file aside; slmdesk starts with an empty inventory."""
    QUIT = "quit"
    """Leave everything as it is."""


class DamagedInventoryDialog(QMessageBox):
    """Says the inventory is damaged and offers what can be done about it: restore the latest
    backup (when there is one), start with an empty inventory, or quit. Either way out of
    slmdesk's own choices keeps the damaged file (it is moved aside, never deleted)."""

    def __init__(self, error: InventoryDamaged, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(self.tr("slmdesk: the inventory is damaged"))
        self.setText(error.message)  # from the inventory (English, as every core error)
        aside = f"{error.db_path.name}.damaged-<date>"
        if error.backup is not None:
            taken = f"{error.backup.taken_at:%Y-%m-%d %H:%M}"
            self.setInformativeText(self.tr(
                "Restore the latest backup, taken {taken} UTC: the damaged file is kept as {aside} in "
                "{folder}. Models adopted, conversations and results saved after {taken} UTC "
                "are not in the backup; rescan your folders to find the models again. Your model "
                "files are not touched."
            ).format(taken=taken, aside=aside, folder=error.db_path.parent))
        else:
            self.setInformativeText(self.tr(
                "There is no backup of the inventory yet (slmdesk takes one a day). You can start with "
                "an empty inventory: the damaged file is kept as {aside} in {folder} for "
                "recovery, and your model files are not touched."
            ).format(aside=aside, folder=error.db_path.parent))
        self.restore_button: QPushButton | None = None
        if error.backup is not None:
            self.restore_button = self.addButton(self.tr("Restore latest backup"), QMessageBox.ButtonRole.AcceptRole)
        self.empty_button = self.addButton(self.tr("Start with an empty inventory"), QMessageBox.ButtonRole.ActionRole)
        self.quit_button = self.addButton(self.tr("Quit"), QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.restore_button or self.quit_button)
        self.setEscapeButton(self.quit_button)

    def choice(self) -> DamagedInventoryChoice:
        """The button pressed (Quit when the dialog was closed otherwise)."""
        clicked = self.clickedButton()
        if clicked is not None and clicked is self.restore_button:
            return DamagedInventoryChoice.RESTORE
        if clicked is self.empty_button:
            return DamagedInventoryChoice.START_EMPTY
        return DamagedInventoryChoice.QUIT


def ask_about_damaged_inventory(error: InventoryDamaged) -> DamagedInventoryChoice:
    """Show the :class:`DamagedInventoryDialog` (modal) and return the user's choice."""
    dialog = DamagedInventoryDialog(error)
    dialog.exec()
    choice = dialog.choice()
    dialog.deleteLater()
    return choice


def relaunch_command() -> tuple[str, list[str]]:
    """The program and arguments that start this slmdesk again with the same options: the
    frozen executable itself, else this Python with ``-m slmdesk`` (whichever way it was started:
    the console script, ``python -m slmdesk``)."""
    if getattr(sys, "frozen", False):
        return sys.executable, sys.argv[1:]
    return sys.executable, ["-m", "slmdesk", *sys.argv[1:]]


def describe_window(window: QWidget) -> str:
    """A dialog's title and every text it shows, one per line (what a smoke-test log needs)."""
    lines = [f"[{window.windowTitle()}]"]
    if isinstance(window, QMessageBox):
        lines += [window.text(), window.informativeText(), window.detailedText()]
    else:
        lines += [label.text() for label in window.findChildren(QLabel)]
    return "\n".join(line for line in lines if line)


class ModalTrap(QObject):
    """An application-wide event filter that reports every modal window as it is shown.

    In smoke-test mode nobody is there to click: a modal dialog (``exec()``, or any window
    with a window modality) would wait until the process is killed. ``on_modal(window,
    description)`` is called when one is shown (``description`` from :func:`describe_window`);
    the app's handler prints it and exits. Install with ``app.installEventFilter(trap)``.
    """

    def __init__(self, on_modal: Callable[[QWidget, str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_modal = on_modal

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and watched.isModal()
        ):
            self._on_modal(watched, describe_window(watched))
        return False
