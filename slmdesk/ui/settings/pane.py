"""The Settings pane: where slmdesk keeps its files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from slmdesk.paths import AppPaths


class SettingsPane(QWidget):
    """Shows every directory slmdesk uses, each with a button that opens it."""

    def __init__(self, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout()
        self.path_fields: dict[str, QLineEdit] = {}
        for label, path in (
            ("Models", paths.models),
            ("Data (inventory)", paths.data),
            ("Configuration", paths.config),
            ("Cache", paths.cache),
            ("Logs", paths.logs),
        ):
            field = QLineEdit(str(path), self)
            field.setReadOnly(True)
            button = QPushButton("Open", self)
            button.setToolTip(f"Open {path} in the file manager")
            button.clicked.connect(lambda _=False, p=path: self.open_folder(p))
            row = QHBoxLayout()
            row.addWidget(field, 1)
            row.addWidget(button)
            form.addRow(label, row)
            self.path_fields[label] = field
        mode = (
            "Portable mode: everything lives under SLMDESK_HOME."
            if paths.portable
            else "Per-user folders of this operating system. Set SLMDESK_HOME to keep everything in one folder."
        )
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Settings</h2>", self))
        layout.addWidget(QLabel(mode, self))
        layout.addLayout(form)
        layout.addStretch(1)

    @Slot()
    def open_folder(self, path: Path) -> None:
        """Create ``path`` if needed and open it in the desktop's file manager."""
        path.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
