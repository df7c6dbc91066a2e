"""The Settings pane: where slmdesk keeps its files, and which model folders it scans."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from slmdesk.inventory.records import STORE_KINDS, ScanRootRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.paths import AppPaths

_KIND_TEXT = {
    "folder": "Any folder",
    "hf_cache": "Hugging Face cache",
    "lmstudio": "LM Studio models folder",
    "gpt4all": "GPT4All models folder",
    "ollama": "Ollama store",
}


class ScanRootModel(QAbstractListModel):
    """The scan roots, one checkable row each (checked = included in rescans)."""

    def __init__(self, inventory: Inventory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._roots: list[ScanRootRecord] = []

    def refresh(self) -> None:
        """Reload from the inventory."""
        self.beginResetModel()
        self._roots = self._inventory.list_scan_roots()
        self.endResetModel()

    def root(self, row: int) -> ScanRootRecord:
        """The scan root in ``row``."""
        return self._roots[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._roots)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() else base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._roots):
            return None
        root = self._roots[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            origin = "found" if root.is_default else "added by you"
            return f"{root.path}  ({_KIND_TEXT.get(root.kind, root.kind)}, {origin})"
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if root.enabled else Qt.CheckState.Unchecked
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        enabled = Qt.CheckState(value) == Qt.CheckState.Checked
        self._roots[index.row()] = self._inventory.set_scan_root_enabled(self._roots[index.row()].id, enabled)
        self.dataChanged.emit(index, index, [role])
        return True


class ScanRootsBox(QGroupBox):
    """The folders the Library scans: found defaults and the user's own; add, remove, enable."""

    roots_changed = Signal()

    def __init__(self, inventory: Inventory, parent: QWidget | None = None) -> None:
        super().__init__("Model folders scanned by the Library", parent)
        self._inventory = inventory
        self.model = ScanRootModel(inventory, self)
        self.model.dataChanged.connect(self._on_data_changed)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.kind_combo = QComboBox(self)
        for kind in STORE_KINDS:
            self.kind_combo.addItem(_KIND_TEXT[kind], kind)
        self.add_button = QPushButton("Add folder…", self)
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Stop scanning the selected folder (its models stay in the Library)")
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(QLabel("Layout:", self))
        row.addWidget(self.kind_combo)
        row.addWidget(self.add_button)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Unticked folders are skipped by Rescan. Models are used where they lie, never copied.", self))
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.model.refresh()

    def add_folder(self, path: Path, kind: str | None = None) -> None:
        """Remember ``path`` (layout ``kind``, default from the combo box) for scans."""
        self._inventory.add_scan_root(path, kind or self.kind_combo.currentData())
        self.model.refresh()
        self.roots_changed.emit()

    @Slot()
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to scan", str(Path.home()))
        if folder:
            self.add_folder(Path(folder))

    @Slot()
    def remove_selected(self) -> None:
        index = self.list.currentIndex()
        if not index.isValid():
            return
        self._inventory.remove_scan_root(self.model.root(index.row()).id)
        self.model.refresh()
        self.roots_changed.emit()

    @Slot()
    def _on_data_changed(self, *_args: object) -> None:
        self.roots_changed.emit()


class SettingsPane(QWidget):
    """Shows every directory slmdesk uses (each with an Open button) and the scanned folders."""

    def __init__(self, paths: AppPaths, inventory: Inventory, parent: QWidget | None = None) -> None:
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
        self.scan_roots = ScanRootsBox(inventory, self)
        layout.addWidget(self.scan_roots, 1)

    @Slot()
    def open_folder(self, path: Path) -> None:
        """Create ``path`` if needed and open it in the desktop's file manager."""
        path.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
