"""The Settings pane: preferences (default context, threads, offline mode), the local API server's
switch, where slmdesk keeps its files, and which model folders it scans."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import psutil
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core import offline
from slmdesk.core.errors import UserError
from slmdesk.core.settings import Settings, load_settings, save_settings
from slmdesk.inventory.records import STORE_KINDS, ScanRootRecord, StoreKind
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.api_service import ApiService
from slmdesk.paths import AppPaths
from slmdesk.ui.network_log import open_network_log
from slmdesk.ui.palette import colour_hex
from slmdesk.ui.settings.api_server import ApiServerBox
from slmdesk.ui.settings.remotes import RemotesBox

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

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._roots):
            return None
        root = self._roots[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            origin = "found" if root.is_default else "added by you"
            return f"{root.path}  ({_KIND_TEXT.get(root.kind, root.kind)}, {origin})"
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if root.enabled else Qt.CheckState.Unchecked
        return None

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
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
        layout.addWidget(
            QLabel("Unticked folders are skipped by Rescan. Models are used where they lie, never copied.", self)
        )
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.model.refresh()

    def add_folder(self, path: Path, kind: str | None = None) -> None:
        """Remember ``path`` (layout ``kind``, default from the combo box) for scans."""
        self._inventory.add_scan_root(path, cast("StoreKind", kind or self.kind_combo.currentData()))
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


CONTEXT_CHOICES = (2048, 4096, 8192, 16384, 32768, 131072)
"""Default contexts offered in the list (tokens); any other size in range may be typed."""

MAX_THREADS = 1024
"""Upper end of the thread box: above any desktop CPU's core count."""


class PreferencesBox(QGroupBox):
    """The settings file's values: default context, threads, offline mode, Chat's Enter key, and Save.

    Nothing is written until Save; invalid input shows a message and writes nothing.
    """

    settings_saved = Signal(object)
    """The new :class:`~slmdesk.core.settings.Settings`, after they were written to the file."""

    network_log_requested = Signal()
    """The user asked to see the Network log."""

    def __init__(self, settings: Settings, path: Path, parent: QWidget | None = None) -> None:
        super().__init__("Preferences", parent)
        self._path = path
        self._settings = settings
        self.n_ctx_combo = QComboBox(self)
        self.n_ctx_combo.setEditable(True)
        self.n_ctx_combo.addItems([str(n) for n in CONTEXT_CHOICES])
        self.n_ctx_combo.setToolTip(
            "The context a model is loaded with until you choose one in its Fit panel; never more than"
            " the model was trained for. Larger contexts take more memory."
        )
        self.threads_spin = QSpinBox(self)
        self.threads_spin.setRange(0, MAX_THREADS)
        cores = psutil.cpu_count(logical=False)
        self.threads_spin.setSpecialValueText(f"Automatic ({cores or 'all'} physical cores)")
        self.threads_spin.setToolTip("Generation threads for models whose load settings do not set them.")
        self.offline_check = QCheckBox("Never connect beyond this computer", self)
        self.offline_check.setToolTip(
            "No connection leaves this computer, from slmdesk or the engines it starts: Hugging Face Hub search and "
            "downloads stop; models on this computer, Chat, Benchmark and the local API server keep working. Blocked "
            "attempts are listed in the Network log."
        )
        self.network_log_button = QPushButton("Network log…", self)
        self.network_log_button.setToolTip("The connections slmdesk attempted beyond this computer")
        self.network_log_button.clicked.connect(self.network_log_requested)
        self.offline_note = QLabel(self)
        self.offline_note.setWordWrap(True)
        self.offline_note.setStyleSheet(f"color: {colour_hex('text.warning')};")
        self.enter_sends_check = QCheckBox("Enter sends the message (Shift+Enter: a new line)", self)
        self.enter_sends_check.setToolTip("When off, Enter starts a new line. Ctrl+Enter sends either way.")
        self.save_button = QPushButton("Save", self)
        self.save_button.clicked.connect(self.save)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Default context (tokens):", self.n_ctx_combo)
        form.addRow("Threads:", self.threads_spin)
        offline_row = QHBoxLayout()
        offline_row.addWidget(self.offline_check)
        offline_row.addStretch(1)
        offline_row.addWidget(self.network_log_button)
        form.addRow("Offline mode:", offline_row)
        form.addRow("", self.offline_note)
        form.addRow("Chat:", self.enter_sends_check)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.message_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        self.show_settings(settings)

    @property
    def settings(self) -> Settings:
        """The settings as last loaded or saved (not the unsaved edits)."""
        return self._settings

    def show_settings(self, settings: Settings) -> None:
        """Fill the fields from ``settings``."""
        self.n_ctx_combo.setCurrentText(str(settings.default_n_ctx))
        self.threads_spin.setValue(settings.n_threads or 0)
        self.offline_check.setChecked(settings.offline_mode)
        forced = offline.current().forced
        self.offline_note.setVisible(forced)
        self.offline_note.setText(
            "On for this run whatever this box says: slmdesk was started with --offline or SLMDESK_OFFLINE=1."
            if forced else ""
        )
        self.enter_sends_check.setChecked(settings.enter_sends)

    def adopt(self, settings: Settings) -> None:
        """Take ``settings`` saved elsewhere (the API server's switch) as the base of the next
        save; the fields keep what the user typed."""
        self._settings = settings

    def edited_settings(self) -> Settings:
        """The settings the fields describe (the fields this box does not show keep their
        values).

        Raises:
            UserError: a field holds an invalid value (the message says which and why).
        """
        text = self.n_ctx_combo.currentText().strip().replace(",", "").replace("_", "").replace(" ", "")
        if not text.isdigit():
            raise UserError(
                f"The default context {self.n_ctx_combo.currentText().strip()!r} is not a whole number of tokens.",
                "Type a number such as 4096, or pick one from the list.",
            )
        return replace(
            self._settings,
            offline_mode=self.offline_check.isChecked(),
            default_n_ctx=int(text),
            n_threads=self.threads_spin.value() or None,
            enter_sends=self.enter_sends_check.isChecked(),
        )

    @Slot()
    def save(self) -> bool:
        """Validate the fields and write them to the settings file; emits :attr:`settings_saved`.
        Returns False (with the reason shown) when the input is invalid or the file cannot be
        written; nothing is written then."""
        try:
            settings = self.edited_settings()
        except UserError as error:
            self._show_message(str(error), error=True)
            return False
        try:
            save_settings(settings, self._path)
        except OSError as error:
            self._show_message(f"Cannot save the settings to {self._path}: {error.strerror or error}.", error=True)
            return False
        self._settings = settings
        self._show_message(f"Saved to {self._path}.", error=False)
        self.settings_saved.emit(settings)
        return True

    def _show_message(self, text: str, error: bool) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(f"color: {colour_hex('text.error' if error else 'text.ok')};")


class SettingsPane(QWidget):
    """Edits the preferences, switches the local API server, shows every directory slmdesk uses
    (each with an Open button) and the scanned folders.

    Args:
        paths: the folders; the settings file is ``paths.settings_file``.
        inventory: holds the scanned folders.
        settings: the settings in use (default: read from the file).
        on_saved: called with the new :class:`~slmdesk.core.settings.Settings` after each save,
            to apply them without a restart (the composition root's business).
        api: the local API server's controller; None leaves its group out (previews).
    """

    settings_saved = Signal(object)
    """The new :class:`~slmdesk.core.settings.Settings`, after they were written to the file."""

    def __init__(
        self, paths: AppPaths, inventory: Inventory, parent: QWidget | None = None, *,
        settings: Settings | None = None, on_saved: Callable[[Settings], None] | None = None,
        api: ApiService | None = None,
    ) -> None:
        super().__init__(parent)
        current = load_settings(paths.settings_file) if settings is None else settings
        self.preferences = PreferencesBox(current, paths.settings_file, self)
        self.preferences.settings_saved.connect(self._on_box_saved)
        self.preferences.network_log_requested.connect(self.show_network_log)
        self._paths = paths
        self.api_box = ApiServerBox(current, paths.settings_file, api, self) if api is not None else None
        """The local API server's group; None without a controller."""
        if self.api_box is not None:
            self.api_box.settings_saved.connect(self._on_box_saved)
        if on_saved is not None:
            self.settings_saved.connect(on_saved)
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
        content = QWidget(self)
        layout = QVBoxLayout(content)
        layout.addWidget(QLabel("<h2>Settings</h2>", content))
        layout.addWidget(QLabel(mode, content))
        layout.addWidget(self.preferences)
        if self.api_box is not None:
            layout.addWidget(self.api_box)
        self.remotes_box = RemotesBox(inventory, content)
        """Connections to remote OpenAI-compatible servers (their models appear in Chat)."""
        layout.addWidget(self.remotes_box)
        layout.addLayout(form)
        self.scan_roots = ScanRootsBox(inventory, content)
        layout.addWidget(self.scan_roots, 1)
        # The groups are taller than a small window: scroll rather than squeeze them.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    @Slot(object)
    def _on_box_saved(self, settings: Settings) -> None:
        # Each box saves the whole file: the other one's next save must start from this one.
        self.preferences.adopt(settings)
        if self.api_box is not None:
            self.api_box.adopt(settings)
        self.settings_saved.emit(settings)

    @Slot()
    def show_network_log(self) -> QWidget:
        """Open the Network log (not modal; it closes with its own button) and return it."""
        return open_network_log(self._paths, self)

    @Slot()
    def open_folder(self, path: Path) -> None:
        """Create ``path`` if needed and open it in the desktop's file manager."""
        path.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
