"""The Settings pane: preferences (default context, threads, offline mode), the local API server's
switch, where slmdesk keeps its files, and which model folders it scans."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import psutil
from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
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
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
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
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, resolve_language
from slmdesk.ui.network_log import open_network_log
from slmdesk.ui.settings.api_server import ApiServerBox
from slmdesk.ui.settings.remotes import RemotesBox
from slmdesk.ui.widgets.scroll import VerticalScrollArea
from slmdesk.ui.widgets.tinted import TintedLabel

_KIND_TEXT: dict[str, str] = {
    "folder": QT_TRANSLATE_NOOP("ScanRootsBox", "Any folder"),
    "hf_cache": QT_TRANSLATE_NOOP("ScanRootsBox", "Hugging Face cache"),
    "lmstudio": QT_TRANSLATE_NOOP("ScanRootsBox", "LM Studio models folder"),
    "gpt4all": QT_TRANSLATE_NOOP("ScanRootsBox", "GPT4All models folder"),
    "ollama": QT_TRANSLATE_NOOP("ScanRootsBox", "Ollama store"),
}


def _kind_text(kind: str) -> str:
    """A scan root's layout in the interface language (the raw kind when unknown)."""
    text = _KIND_TEXT.get(kind)
    return QCoreApplication.translate("ScanRootsBox", text) if text else kind


LANGUAGE_NAMES = {"en": "English", "sv": "Svenska"}
"""Each language by its own name (not translated: a reader looks for the language they read)."""


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
            if root.is_default:
                return self.tr("{path}  ({layout}, found)").format(path=root.path, layout=_kind_text(root.kind))
            return self.tr("{path}  ({layout}, added by you)").format(path=root.path, layout=_kind_text(root.kind))
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
        super().__init__(self.tr("Model folders scanned by the Library"), parent)
        self._inventory = inventory
        self.model = ScanRootModel(inventory, self)
        self.model.dataChanged.connect(self._on_data_changed)
        note = QLabel(self.tr("Unticked folders are skipped by Rescan. Models are used where they lie, never copied."),
                      self)
        note.setWordWrap(True)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setAccessibleName(self.tr("Scanned model folders"))
        self.list.setAccessibleDescription(self.tr("Tick a folder to include it in rescans"))
        layout_label = QLabel(self.tr("Layout:"), self)
        self.kind_combo = QComboBox(self)
        for kind in STORE_KINDS:
            self.kind_combo.addItem(_kind_text(kind), kind)
        self.kind_combo.setAccessibleName(self.tr("Layout of the folder to add"))
        layout_label.setBuddy(self.kind_combo)
        self.add_button = QPushButton(self.tr("Add folder…"), self)
        self.add_button.setAccessibleName(self.tr("Add a folder to scan"))
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.setAccessibleName(self.tr("Remove the selected scanned folder"))
        self.remove_button.setToolTip(self.tr("Stop scanning the selected folder (its models stay in the Library)"))
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(layout_label)
        row.addWidget(self.kind_combo)
        row.addWidget(self.add_button)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
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
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder to scan"), str(Path.home()))
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
    """The settings file's values: language, theme, default context, threads, the models folder,
    offline mode, Chat's Enter key, and Save.

    Nothing is written until Save; invalid input shows a message and writes nothing. The theme
    applies at once (the composition root's ``on_saved``); a new language or models folder at
    the next start, which the box says (with a Restart now button).

    Args:
        settings: the settings in use (a language or models folder that differs from these
            waits for a restart).
        path: the settings file.
        default_models: the models folder when none is chosen (shown as the field's placeholder).
    """

    settings_saved = Signal(object)
    """The new :class:`~slmdesk.core.settings.Settings`, after they were written to the file."""

    network_log_requested = Signal()
    """The user asked to see the Network log."""

    restart_requested = Signal()
    """The user asked to restart slmdesk now (to apply a new language or models folder)."""

    def __init__(self, settings: Settings, path: Path, parent: QWidget | None = None, *,
                 default_models: Path | None = None) -> None:
        super().__init__(self.tr("Preferences"), parent)
        self._path = path
        self._settings = settings
        self._running = settings
        self._default_models = default_models
        # Built in visual order: Qt's tab order is creation order.
        self.language_combo = QComboBox(self)
        system = LANGUAGE_NAMES[resolve_language("system")]
        self.language_combo.addItem(self.tr("System default ({language})").format(language=system), "system")
        for code, name in LANGUAGE_NAMES.items():
            self.language_combo.addItem(name, code)
        self.language_combo.setAccessibleName(self.tr("Language"))
        self.language_combo.setToolTip(self.tr("The language of slmdesk's windows; applied when slmdesk restarts."))
        self.theme_combo = QComboBox(self)
        self.theme_combo.addItem(self.tr("Follow the system"), "system")
        self.theme_combo.addItem(self.tr("Light"), "light")
        self.theme_combo.addItem(self.tr("Dark"), "dark")
        self.theme_combo.setAccessibleName(self.tr("Theme"))
        self.theme_combo.setToolTip(self.tr("The colours of slmdesk's windows; applied when you save."))
        self.n_ctx_combo = QComboBox(self)
        self.n_ctx_combo.setEditable(True)
        self.n_ctx_combo.addItems([str(n) for n in CONTEXT_CHOICES])
        self.n_ctx_combo.setAccessibleName(self.tr("Default context in tokens"))
        self.n_ctx_combo.setToolTip(self.tr(
            "The context a model is loaded with until you choose one in its Fit panel; never more than"
            " the model was trained for. Larger contexts take more memory."
        ))
        self.threads_spin = QSpinBox(self)
        self.threads_spin.setRange(0, MAX_THREADS)
        cores = psutil.cpu_count(logical=False)
        self.threads_spin.setSpecialValueText(
            self.tr("Automatic (%n physical core(s))", "", cores) if cores else self.tr("Automatic (all cores)"))
        self.threads_spin.setAccessibleName(self.tr("Threads"))
        self.threads_spin.setToolTip(self.tr("Generation threads for models whose load settings do not set them."))
        self.models_edit = QLineEdit(self)
        self.models_edit.setAccessibleName(self.tr("Models folder"))
        self.models_edit.setAccessibleDescription(self.tr("Empty: the default folder"))
        if default_models is not None:
            self.models_edit.setPlaceholderText(str(default_models))
        self.models_edit.setToolTip(self.tr(
            "Where downloads and quantized models are saved; the Library scans it. Empty: the default folder. "
            "Applied when slmdesk restarts."
        ))
        self.models_browse_button = QPushButton(self.tr("Browse…"), self)
        self.models_browse_button.setAccessibleName(self.tr("Choose the models folder"))
        self.models_browse_button.clicked.connect(self.choose_models_folder)
        self.models_default_button = QPushButton(self.tr("Default"), self)
        self.models_default_button.setAccessibleName(self.tr("Use the default models folder"))
        self.models_default_button.setToolTip(self.tr("Empty the field: models go to the default folder."))
        self.models_default_button.clicked.connect(self.models_edit.clear)
        self.offline_check = QCheckBox(self.tr("Never connect beyond this computer"), self)
        self.offline_check.setToolTip(self.tr(
            "No connection leaves this computer, from slmdesk or the engines it starts: Hugging Face Hub search and "
            "downloads stop; models on this computer, Chat, Benchmark and the local API server keep working. Blocked "
            "attempts are listed in the Network log."
        ))
        self.network_log_button = QPushButton(self.tr("Network log…"), self)
        self.network_log_button.setToolTip(self.tr("The connections slmdesk attempted beyond this computer"))
        self.network_log_button.clicked.connect(self.network_log_requested)
        self.offline_note = TintedLabel(self, role="text.warning")
        self.offline_note.setWordWrap(True)
        self.enter_sends_check = QCheckBox(self.tr("Enter sends the message (Shift+Enter: a new line)"), self)
        self.enter_sends_check.setToolTip(self.tr("When off, Enter starts a new line. Ctrl+Enter sends either way."))
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setAccessibleName(self.tr("Save the preferences"))
        self.save_button.clicked.connect(self.save)
        self.message_label = TintedLabel(self)
        self.message_label.setWordWrap(True)
        self.restart_note = TintedLabel(self, role="text.warning")
        self.restart_note.setWordWrap(True)
        self.restart_button = QPushButton(self.tr("Restart now"), self)
        self.restart_button.setAccessibleName(self.tr("Restart slmdesk now"))
        self.restart_button.setToolTip(self.tr("Close slmdesk and start it again (running jobs are cancelled, "
                                               "after you confirm)."))
        self.restart_button.clicked.connect(self.restart_requested)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("Language:"), self.language_combo)
        form.addRow(self.tr("Theme:"), self.theme_combo)
        form.addRow(self.tr("Default context (tokens):"), self.n_ctx_combo)
        form.addRow(self.tr("Threads:"), self.threads_spin)
        models_row = QHBoxLayout()
        models_row.addWidget(self.models_edit, 1)
        models_row.addWidget(self.models_browse_button)
        models_row.addWidget(self.models_default_button)
        models_label = QLabel(self.tr("Models folder:"), self)
        models_label.setBuddy(self.models_edit)
        form.addRow(models_label, models_row)
        offline_row = QHBoxLayout()
        offline_row.addWidget(self.offline_check, 1)
        offline_row.addWidget(self.network_log_button)
        offline_label = QLabel(self.tr("Offline mode:"), self)
        offline_label.setBuddy(self.offline_check)
        form.addRow(offline_label, offline_row)
        form.addRow("", self.offline_note)
        form.addRow(self.tr("Chat:"), self.enter_sends_check)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.message_label, 1)
        restart_row = QHBoxLayout()
        restart_row.addWidget(self.restart_note, 1)
        restart_row.addWidget(self.restart_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addLayout(restart_row)
        self.show_settings(settings)
        self._show_restart_note()

    @property
    def settings(self) -> Settings:
        """The settings as last loaded or saved (not the unsaved edits)."""
        return self._settings

    def show_settings(self, settings: Settings) -> None:
        """Fill the fields from ``settings``."""
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(settings.language)))
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.n_ctx_combo.setCurrentText(str(settings.default_n_ctx))
        self.threads_spin.setValue(settings.n_threads or 0)
        self.models_edit.setText(settings.models_dir or "")
        self.offline_check.setChecked(settings.offline_mode)
        forced = offline.current().forced
        self.offline_note.setVisible(forced)
        self.offline_note.setText(
            self.tr("On for this run whatever this box says: slmdesk was started with --offline or SLMDESK_OFFLINE=1.")
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
        typed = self.n_ctx_combo.currentText().strip()
        text = typed.replace(",", "").replace("_", "").replace(" ", "").replace("\N{NO-BREAK SPACE}", "")
        if not text.isdigit():
            raise UserError(
                self.tr("The default context '{text}' is not a whole number of tokens.").format(text=typed),
                self.tr("Type a number such as 4096, or pick one from the list."),
            )
        return replace(
            self._settings,
            language=str(self.language_combo.currentData()),
            theme=str(self.theme_combo.currentData()),
            offline_mode=self.offline_check.isChecked(),
            default_n_ctx=int(text),
            n_threads=self.threads_spin.value() or None,
            models_dir=self._edited_models_dir(),
            enter_sends=self.enter_sends_check.isChecked(),
        )

    def _edited_models_dir(self) -> str | None:
        """The models folder field as the settings file holds it: None for empty or the default.

        Raises:
            UserError: not an absolute path, or a file.
        """
        typed = self.models_edit.text().strip()
        if not typed:
            return None
        folder = Path(typed).expanduser()
        if not folder.is_absolute():
            raise UserError(
                self.tr("The models folder '{path}' is not a full path.").format(path=typed),
                self.tr("Choose a folder with the Browse button, or press Default to use the default folder."),
            )
        if folder.exists() and not folder.is_dir():
            raise UserError(self.tr("The models folder '{path}' is a file, not a folder.").format(path=folder),
                            self.tr("Choose a folder with the Browse button."))
        if self._default_models is not None and folder == self._default_models:
            return None
        return str(folder)

    @Slot()
    def choose_models_folder(self) -> None:
        """Ask for the models folder (starting at the current one) and put it in the field."""
        current = self.models_edit.text().strip() or str(self._default_models or Path.home())
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose the models folder"), current)
        if folder:
            self.models_edit.setText(str(Path(folder)))

    @Slot()
    def save(self) -> bool:
        """Validate the fields and write them to the settings file; emits :attr:`settings_saved`.
        Returns False (with the reason shown) when the input is invalid, a new models folder
        cannot be created, or the file cannot be written; nothing is written then."""
        try:
            settings = self.edited_settings()
        except UserError as error:
            self._show_message(str(error), error=True)
            return False
        if settings.models_dir is not None and settings.models_dir != self._settings.models_dir:
            try:
                Path(settings.models_dir).mkdir(parents=True, exist_ok=True)
            except OSError as error:
                self._show_message(self.tr("Cannot create the models folder {path}: {reason}.").format(
                    path=settings.models_dir, reason=error.strerror or error), error=True)
                return False
        try:
            save_settings(settings, self._path)
        except OSError as error:
            self._show_message(self.tr("Cannot save the settings to {path}: {reason}.").format(
                path=self._path, reason=error.strerror or error), error=True)
            return False
        self._settings = settings
        self._show_message(self.tr("Saved to {path}.").format(path=self._path), error=False)
        self._show_restart_note()
        self.settings_saved.emit(settings)
        return True

    def _show_restart_note(self) -> None:
        """Say which saved settings wait for a restart (none: the note and its button hide)."""
        language = self._settings.language != self._running.language
        models = self._settings.models_dir != self._running.models_dir
        if language and models:
            text = self.tr("The new language and models folder take effect when slmdesk restarts.")
        elif language:
            text = self.tr("The new language takes effect when slmdesk restarts.")
        elif models:
            text = self.tr("The new models folder takes effect when slmdesk restarts.")
        else:
            text = ""
        self.restart_note.setText(text)
        self.restart_note.setVisible(bool(text))
        self.restart_button.setVisible(bool(text))

    def _show_message(self, text: str, error: bool) -> None:
        self.message_label.setText(text)
        self.message_label.set_role("text.error" if error else "text.ok")


_FOLDERS: tuple[tuple[str, str, str], ...] = (
    ("Models", QT_TRANSLATE_NOOP("SettingsPane", "Models"),
     QT_TRANSLATE_NOOP("SettingsPane", "Open the Models folder")),
    ("Data (inventory)", QT_TRANSLATE_NOOP("SettingsPane", "Data (inventory)"),
     QT_TRANSLATE_NOOP("SettingsPane", "Open the Data folder")),
    ("Configuration", QT_TRANSLATE_NOOP("SettingsPane", "Configuration"),
     QT_TRANSLATE_NOOP("SettingsPane", "Open the Configuration folder")),
    ("Cache", QT_TRANSLATE_NOOP("SettingsPane", "Cache"),
     QT_TRANSLATE_NOOP("SettingsPane", "Open the Cache folder")),
    ("Logs", QT_TRANSLATE_NOOP("SettingsPane", "Logs"),
     QT_TRANSLATE_NOOP("SettingsPane", "Open the Logs folder")),
)
"""The folders the pane lists: key of :attr:`SettingsPane.path_fields`, label, the Open button's
accessible name (five buttons read "Open": a screen reader needs to tell them apart)."""


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

    restart_requested = Signal()
    """The user asked to restart slmdesk (a new language or models folder waits for it)."""

    def __init__(
        self, paths: AppPaths, inventory: Inventory, parent: QWidget | None = None, *,
        settings: Settings | None = None, on_saved: Callable[[Settings], None] | None = None,
        api: ApiService | None = None,
    ) -> None:
        super().__init__(parent)
        current = load_settings(paths.settings_file) if settings is None else settings
        self._paths = paths
        content = QWidget(self)
        heading = self.tr("Settings")
        markup = f"<h2>{html.escape(heading)}</h2>"
        title = QLabel(markup, content)
        mode = QLabel(
            self.tr("Portable mode: everything lives under SLMDESK_HOME.")
            if paths.portable
            else self.tr("Per-user folders of this operating system. Set SLMDESK_HOME to keep everything in one "
                         "folder."),
            content,
        )
        mode.setWordWrap(True)
        # Widgets are built in visual order: Qt's tab order is creation order.
        self.preferences = PreferencesBox(current, paths.settings_file, content,
                                          default_models=paths.data / "models")
        self.preferences.settings_saved.connect(self._on_box_saved)
        self.preferences.network_log_requested.connect(self.show_network_log)
        self.preferences.restart_requested.connect(self.restart_requested)
        self.api_box = ApiServerBox(current, paths.settings_file, api, content) if api is not None else None
        """The local API server's group; None without a controller."""
        if self.api_box is not None:
            self.api_box.settings_saved.connect(self._on_box_saved)
        if on_saved is not None:
            self.settings_saved.connect(on_saved)
        self.remotes_box = RemotesBox(inventory, content)
        """Connections to remote OpenAI-compatible servers (their models appear in Chat)."""
        folders = QGroupBox(self.tr("Folders"), content)
        form = QFormLayout(folders)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.path_fields: dict[str, QLineEdit] = {}
        """The read-only folder fields by their English key ("Models", "Data (inventory)", ...)."""
        for (key, label_text, open_name), path in zip(
            _FOLDERS, (paths.models, paths.data, paths.config, paths.cache, paths.logs), strict=True
        ):
            label = QLabel(self.tr(label_text), folders)
            field = QLineEdit(str(path), folders)
            field.setReadOnly(True)
            field.setAccessibleName(self.tr(label_text))
            field.setToolTip(str(path))
            label.setBuddy(field)
            button = QPushButton(self.tr("Open", "verb: open a folder"), folders)
            button.setAccessibleName(self.tr(open_name))
            button.setToolTip(self.tr("Open {path} in the file manager").format(path=path))
            button.clicked.connect(lambda _=False, p=path: self.open_folder(p))
            row = QHBoxLayout()
            row.addWidget(field, 1)
            row.addWidget(button)
            form.addRow(label, row)
            self.path_fields[key] = field
        self.scan_roots = ScanRootsBox(inventory, content)
        layout = QVBoxLayout(content)
        layout.addWidget(title)
        layout.addWidget(mode)
        layout.addWidget(self.preferences)
        if self.api_box is not None:
            layout.addWidget(self.api_box)
        layout.addWidget(self.remotes_box)
        layout.addWidget(folders)
        layout.addWidget(self.scan_roots, 1)
        # The groups are taller than a small window: scroll rather than squeeze them.
        scroll = VerticalScrollArea(self)
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
