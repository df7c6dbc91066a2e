"""The Network log dialog: read-only, the connections slmdesk's processes attempted beyond this
computer (allowed, or blocked by offline mode), newest first, with the process and code that asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core import offline
from slmdesk.core.network_log import NetworkEvent, log_path, read_events
from slmdesk.paths import AppPaths
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

MAX_ROWS = 2000
"""Entries the dialog reads, the newest. The log is rotated at 1 MB (about 4,000 entries), so a
read takes milliseconds and stays on the GUI thread."""


class NetworkLogModel(ColumnTableModel):
    """Network log entries, newest first: one row per attempt (or guard start, when traced)."""

    COLUMNS = ("Time (UTC)", "Result", "Action", "Target", "Process", "Origin")
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        1: "Blocked: offline mode refused it, nothing left this computer. Allowed: offline mode was off.",
        2: "connect: a connection; send: a datagram; resolve: a host-name lookup (a DNS query); "
           "request: an HTTP request (method, URL, status, bytes received, duration).",
        5: "The slmdesk function that asked, else the library module that opened the socket.",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._events: list[NetworkEvent] = []

    def set_entries(self, events: list[NetworkEvent]) -> None:
        """Show ``events`` (oldest first, as the log holds them), newest at the top."""
        self.beginResetModel()
        self._events = list(reversed(events))
        self.endResetModel()

    def entry(self, row: int) -> NetworkEvent:
        """The entry in ``row``."""
        return self._events[row]

    def row_count(self) -> int:
        return len(self._events)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._events):
            return None
        event = self._events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(event, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            origin = f"module {event.module}" + (f", called from {event.caller}" if event.caller else "")
            return f"{event.process}, pid {event.pid}, thread {event.thread}: {origin}"
        if role == Qt.ItemDataRole.ForegroundRole and event.blocked and index.column() == 1:
            return colour("text.error")
        return None

    @staticmethod
    def _text(event: NetworkEvent, column: int) -> str:
        if column == 0:
            return event.time.replace("T", " ").rstrip("Z")
        if column == 1:
            return ("Blocked" if event.blocked else "Allowed") if event.is_attempt else ""
        if column == 2:
            return event.action if event.is_attempt else f"guard started ({'offline' if event.offline else 'online'})"
        if column == 3:
            if event.action == "request":  # an HTTP request through huggingface_hub (slmdesk.hub.http)
                status = event.status if event.status is not None else (event.error or "no answer")
                duration = f", {event.duration_s:.2f} s" if event.duration_s is not None else ""
                return f"{event.method} {event.url} → {status}, {event.bytes or 0:,} bytes{duration}"
            return event.target
        if column == 4:
            return f"{event.process} [{event.pid}]"
        return event.caller or event.module


class NetworkLogDialog(QDialog):
    """The Network log (``log_file``), what offline mode does now, Refresh and Open folder.

    Reachable from Help > Network log and from Settings beside the offline switch.
    """

    def __init__(self, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Network log — slmdesk")
        self.resize(900, 420)
        self._log_file = log_file
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.model = NetworkLogModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.folder_button = QPushButton("Open folder", self)
        self.folder_button.setToolTip(f"Open {log_file.parent} in the file manager")
        self.folder_button.clicked.connect(self._open_folder)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Read the log again and say what offline mode does now."""
        state = offline.current()
        try:
            events = read_events(self._log_file, limit=MAX_ROWS)
            problem = ""
        except OSError as error:
            events, problem = [], f" Cannot read {self._log_file}: {error.strerror or error}."
        self.model.set_entries(events)
        attempts = [event for event in events if event.is_attempt]
        blocked = sum(event.blocked for event in attempts)
        if state.on:
            what = (f"{state.describe()} Every connection beyond this computer is blocked; the local API server "
                    "and models on this computer keep working.")
        else:
            what = (f"{state.describe()} Connections slmdesk makes beyond this computer (the Hugging Face Hub) "
                    "are listed here.")
        count = (f" {len(attempts)} attempt(s) logged, {blocked} blocked." if attempts
                 else " No connection beyond this computer has been attempted.")
        self.summary_label.setText(what + count + problem)

    @Slot()
    def _open_folder(self) -> None:
        self._log_file.parent.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_file.parent)))


def open_network_log(paths: AppPaths, parent: QWidget) -> NetworkLogDialog:
    """Open the Network log of this installation (not modal; deleted when closed) and return it."""
    dialog = NetworkLogDialog(log_path(paths), parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
