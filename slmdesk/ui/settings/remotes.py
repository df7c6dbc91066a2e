"""Settings' "Remote engines" group: add (after a connection test), test and remove connections to
OpenAI-compatible servers whose models Chat offers. The key goes to the OS keyring (or a 0600
file), never to the inventory or the screen."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
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

from slmdesk.core import offline
from slmdesk.core.errors import UserError
from slmdesk.engine.remote import RemoteEngineClient, RemoteTimeouts, ServerInfo, kind_label, normalize_base_url
from slmdesk.inventory import remotes as store
from slmdesk.inventory.remotes import RemoteConnectionRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.ui.i18n import format_number
from slmdesk.ui.widgets.tinted import TintedLabel

TIMEOUTS = RemoteTimeouts(connect_s=5.0, request_s=10.0)


class ConnectionListModel(QAbstractListModel):
    """The stored connections, one row each: name, URL and the kind last seen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RemoteConnectionRecord] = []

    def set_connections(self, rows: list[RemoteConnectionRecord]) -> None:
        """Show ``rows``."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def connection(self, row: int) -> RemoteConnectionRecord:
        """The connection in ``row``."""
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            kind = kind_label(record.server_kind) if record.server_kind else self.tr("not tested")
            return f"{record.name}  {record.base_url}  ({kind})"
        if role == Qt.ItemDataRole.ToolTipRole:
            if record.last_ok_at is None:
                return self.tr("{url}\nNever answered").format(url=record.base_url)
            return self.tr("{url}\nLast answered: {time} UTC").format(
                url=record.base_url, time=record.last_ok_at.strftime("%Y-%m-%d %H:%M"))
        return None


class RemotesBox(QGroupBox):
    """Add a connection (tested first), test or remove the selected one.

    The network work runs on a short-lived thread (Settings has no job runner) and reports
    through the queued ``_finished`` signal; ``connections_changed`` follows every change."""

    connections_changed = Signal()
    _finished = Signal(object, str, bool)  # the action to run on the GUI thread, message, error

    def __init__(self, inventory: Inventory, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Remote engines (OpenAI-compatible servers for Chat)"), parent)
        self._inventory = inventory
        self._thread: threading.Thread | None = None
        intro = QLabel(self.tr("Chat lists their models beside yours; messages are sent to that server."), self)
        intro.setWordWrap(True)
        self.model = ConnectionListModel(self)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setMaximumHeight(110)
        self.list.setAccessibleName(self.tr("Remote engines"))
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(self.tr("gpu-box", "an example name of a remote server"))
        self.name_edit.setAccessibleName(self.tr("Name of the new remote engine"))
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("http://gpu-box:8000/v1")
        self.url_edit.setAccessibleName(self.tr("URL of the new remote engine"))
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(self.tr("API key (optional; kept in the OS keyring)"))
        self.key_edit.setAccessibleName(self.tr("API key of the new remote engine"))
        self.add_button = QPushButton(self.tr("Test and add"), self)
        self.add_button.setAccessibleName(self.tr("Test and add the remote engine"))
        self.add_button.clicked.connect(self.add_requested)
        self.test_button = QPushButton(self.tr("Test"), self)
        self.test_button.setAccessibleName(self.tr("Test the selected remote engine"))
        self.test_button.clicked.connect(self.test_selected)
        self.remove_button = QPushButton(self.tr("Remove"), self)
        self.remove_button.setAccessibleName(self.tr("Remove the selected remote engine"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.offline_label = TintedLabel(
            self.tr("Offline mode is on: only servers on this computer (127.0.0.1, localhost) are contacted."), self,
            role="text.warning")
        self.offline_label.setWordWrap(True)
        self.message_label = TintedLabel(self)
        self.message_label.setWordWrap(True)
        self._finished.connect(self._on_finished)

        form = QFormLayout()
        form.addRow(self.tr("Name:"), self.name_edit)
        form.addRow(self.tr("URL:"), self.url_edit)
        form.addRow(self.tr("API key:"), self.key_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.offline_label)
        layout.addWidget(self.message_label)
        self.refresh()

    def refresh(self) -> None:
        """Reload the connections (a few rows from the inventory; the selection kept) and the offline note."""
        selected = self._selected()
        rows = store.list_connections(self._inventory)
        self.model.set_connections(rows)
        kept = next((row for row, record in enumerate(rows) if selected and record.id == selected.id), None)
        if kept is not None:
            self.list.setCurrentIndex(self.model.index(kept))
        self.offline_label.setVisible(offline.current().on)
        self._update_buttons()

    def _selected(self) -> RemoteConnectionRecord | None:
        rows = self.list.selectionModel().selectedRows()
        return self.model.connection(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        idle = self._thread is None
        self.add_button.setEnabled(idle)
        self.test_button.setEnabled(idle and self.model.rowCount() > 0)
        self.remove_button.setEnabled(idle and self.model.rowCount() > 0)

    def _run(self, work: Callable[[], tuple[Callable[[], None], str]], busy: str) -> None:
        """Run ``work`` off the GUI thread; it returns what to do on the GUI thread and a message."""
        def target() -> None:
            try:
                then, message = work()
            except UserError as error:
                self._finished.emit(None, f"{error.message} {error.hint}".strip(), True)
            except Exception as error:  # noqa: BLE001 - a bug: show it, keep the app up
                self._finished.emit(None, self.tr("Internal error: {kind}: {error}").format(
                    kind=type(error).__name__, error=error), True)
            else:
                self._finished.emit(then, message, False)

        self._show(busy, False)
        self._thread = threading.Thread(target=target, name="remote-settings", daemon=True)
        self._thread.start()
        self._update_buttons()

    @Slot(object, str, bool)
    def _on_finished(self, then: Callable[[], None] | None, message: str, error: bool) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if then is not None:
            then()
        self._show(message, error)
        self.refresh()
        self.connections_changed.emit()

    @Slot()
    def add_requested(self) -> None:
        """Test the server in the fields and, when it answers, store it (the key apart)."""
        if self._thread is not None:
            return
        try:
            name = store.check_name(self.name_edit.text())
            base_url = normalize_base_url(self.url_edit.text())
        except UserError as error:
            self._show(f"{error.message} {error.hint}".strip(), True)
            return
        key = self.key_edit.text().strip() or None
        inventory = self._inventory

        def work() -> tuple[Callable[[], None], str]:
            info = RemoteEngineClient(base_url, key, timeouts=TIMEOUTS).probe()
            record = store.add_connection(inventory, name, base_url, info.kind, ok=True)
            if key:
                store.key_store().set(record.id, key)
            return self._clear_fields, self.tr("Added {name}: {server}.").format(name=name, server=self.describe(info))

        self._run(work, self.tr("Testing {target}…").format(target=base_url))

    def describe(self, info: ServerInfo) -> str:
        """``"vLLM 0.6.3, 2 model(s): a, b (41 ms)"`` (safe off the GUI thread: text only)."""
        names = ", ".join(m.id for m in info.models[:4]) + (" …" if len(info.models) > 4 else "")
        milliseconds = format_number(round(info.latency_s * 1000))
        count = len(info.models)
        if names:
            return self.tr("{server}, %n model(s): {names} ({ms} ms)", "", count).format(
                server=info.label, names=names, ms=milliseconds)
        return self.tr("{server}, %n model(s) ({ms} ms)", "", count).format(server=info.label, ms=milliseconds)

    def _clear_fields(self) -> None:
        for edit in (self.name_edit, self.url_edit, self.key_edit):
            edit.clear()

    @Slot()
    def test_selected(self) -> None:
        """Contact the selected connection's server: its kind, version and models."""
        record = self._selected()
        if record is None or self._thread is not None:
            return
        inventory = self._inventory

        def work() -> tuple[Callable[[], None], str]:
            info = RemoteEngineClient(record.base_url, store.key_store().get(record.id), timeouts=TIMEOUTS).probe()
            store.mark_ok(inventory, record.id, info.kind)
            answered = self.tr("{name} answered: {server}.").format(name=record.name, server=self.describe(info))
            return (lambda: None), answered

        self._run(work, self.tr("Testing {target}…").format(target=record.name))

    @Slot()
    def remove_selected(self) -> None:
        """Forget the selected connection and its key."""
        record = self._selected()
        if record is None or self._thread is not None:
            return
        try:
            store.remove_connection(self._inventory, record.name)
        except UserError as error:
            self._show(error.message, True)
            return
        self._show(self.tr("Removed {name} and its key.").format(name=record.name), False)
        self.refresh()
        self.connections_changed.emit()

    def wait(self, timeout_s: float = 20.0) -> None:
        """Wait for a test under way to end (tests; closing)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _show(self, text: str, error: bool) -> None:
        self.message_label.setText(text)
        self.message_label.set_role("text.error" if error else "text.ok")
