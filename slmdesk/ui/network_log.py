"""The Network log dialog: read-only, the connections slmdesk's processes attempted beyond this
computer (allowed, or blocked by offline mode), newest first, with the process and code that asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, QUrl, Slot
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
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

MAX_ROWS = 2000
"""Entries the dialog reads, the newest. The log is rotated at 1 MB (about 4,000 entries), so a
read takes milliseconds and stays on the GUI thread."""


class NetworkLogModel(ColumnTableModel):
    """Network log entries, newest first: one row per attempt (or guard start, when traced)."""

    TRANSLATION_CONTEXT = "NetworkLogModel"
    COLUMNS = (
        QT_TRANSLATE_NOOP("NetworkLogModel", "Time (UTC)"),
        QT_TRANSLATE_NOOP("NetworkLogModel", "Result"),
        QT_TRANSLATE_NOOP("NetworkLogModel", "Action"),
        QT_TRANSLATE_NOOP("NetworkLogModel", "Target"),
        QT_TRANSLATE_NOOP("NetworkLogModel", "Process"),
        QT_TRANSLATE_NOOP("NetworkLogModel", "Origin"),
    )
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        1: QT_TRANSLATE_NOOP("NetworkLogModel", "Blocked: offline mode refused it, nothing left this computer. "
                             "Allowed: offline mode was off."),
        2: QT_TRANSLATE_NOOP("NetworkLogModel", "connect: a connection; send: a datagram; resolve: a host-name "
                             "lookup (a DNS query); request: an HTTP request (method, URL, status, bytes received, "
                             "duration)."),
        5: QT_TRANSLATE_NOOP("NetworkLogModel", "The slmdesk function that asked, else the library module that "
                             "opened the socket."),
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
            if event.caller:
                origin = self.tr("module {module}, called from {caller}").format(
                    module=event.module, caller=event.caller)
            else:
                origin = self.tr("module {module}").format(module=event.module)
            where = self.tr("{process}, pid {pid}, thread {thread}: {origin}").format(
                process=event.process, pid=event.pid, thread=event.thread, origin=origin)
            # The target column is elided to the dialog's width: its tooltip has it in full.
            return f"{self._text(event, 3)}\n{where}" if index.column() == 3 and event.is_attempt else where
        if role == Qt.ItemDataRole.ForegroundRole and event.blocked and index.column() == 1:
            return colour("text.error")
        return None

    def _text(self, event: NetworkEvent, column: int) -> str:
        if column == 0:
            return event.time.replace("T", " ").rstrip("Z")
        if column == 1:
            if not event.is_attempt:
                return ""
            return self.tr("Blocked") if event.blocked else self.tr("Allowed")
        if column == 2:
            if event.is_attempt:
                return event.action  # the log's own term (connect, send, resolve, request)
            return self.tr("guard started (offline)") if event.offline else self.tr("guard started (online)")
        if column == 3:
            if event.action == "request":  # an HTTP request through huggingface_hub (slmdesk.hub.http)
                status = event.status if event.status is not None else (event.error or self.tr("no answer"))
                received = format_bytes(event.bytes or 0)  # may pass 2**31: no %Ln (a C++ int)
                if event.duration_s is None:
                    return self.tr("{method} {url} → {status}, {received}").format(
                        method=event.method, url=event.url, status=status, received=received)
                return self.tr("{method} {url} → {status}, {received}, {seconds} s").format(
                    method=event.method, url=event.url, status=status, received=received,
                    seconds=format_number(event.duration_s, 2))
            return event.target
        if column == 4:
            return f"{event.process} [{event.pid}]"
        return event.caller or event.module


def describe_offline(state: offline.OfflineState) -> str:
    """One sentence, in the interface language: whether offline mode is on and what turned it on."""
    if not state.on:
        return QCoreApplication.translate("NetworkLogDialog", "Offline mode is off.")
    if state.setting and state.forced:
        return QCoreApplication.translate("NetworkLogDialog",
                                          "Offline mode is on (Settings and --offline or SLMDESK_OFFLINE=1).")
    if state.forced:
        return QCoreApplication.translate("NetworkLogDialog", "Offline mode is on (--offline or SLMDESK_OFFLINE=1).")
    return QCoreApplication.translate("NetworkLogDialog", "Offline mode is on (Settings).")


class NetworkLogDialog(QDialog):
    """The Network log (``log_file``), what offline mode does now, Refresh and Open folder.

    Reachable from Help > Network log and from Settings beside the offline switch.
    """

    def __init__(self, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Network log — slmdesk"))
        self.resize(900, 420)
        self._log_file = log_file
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.model = NetworkLogModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Network log entries"))
        self.table.setAccessibleDescription(self.tr("The connections attempted beyond this computer, newest first"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # long URLs elided, the rest in full
        header.setMinimumSectionSize(60)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.refresh_button = QPushButton(self.tr("Refresh"), self)
        self.refresh_button.setAccessibleName(self.tr("Refresh the Network log"))
        self.refresh_button.clicked.connect(self.refresh)
        self.folder_button = QPushButton(self.tr("Open folder"), self)
        self.folder_button.setAccessibleName(self.tr("Open the Network log's folder"))
        self.folder_button.setToolTip(self.tr("Open {folder} in the file manager").format(folder=log_file.parent))
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
            events, problem = [], self.tr("Cannot read {path}: {reason}.").format(
                path=self._log_file, reason=error.strerror or error)
        self.model.set_entries(events)
        attempts = [event for event in events if event.is_attempt]
        blocked = sum(event.blocked for event in attempts)
        if state.on:
            what = self.tr("Every connection beyond this computer is blocked; the local API server and models on "
                           "this computer keep working.")
        else:
            what = self.tr("Connections slmdesk makes beyond this computer (the Hugging Face Hub) are listed here.")
        if attempts:
            count = self.tr("%n attempt(s) logged, {blocked} blocked.", "", len(attempts)).format(blocked=blocked)
        else:
            count = self.tr("No connection beyond this computer has been attempted.")
        self.summary_label.setText(" ".join(part for part in (describe_offline(state), what, count, problem) if part))

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
