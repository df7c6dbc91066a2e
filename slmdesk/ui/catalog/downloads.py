"""Downloads from the Catalog: each a job on the runner's "download" resource (so the Jobs pane
shows it too), with pause (cancel, the partial file stays), resume (the same task again), cancel
(keep or discard the partial file), and the finished file registered in the inventory."""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.artifacts import ArtifactSourceModel
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_duration, format_rate
from slmdesk.ui.jobs.model import ProgressRole
from slmdesk.ui.jobs.pane import ProgressBarDelegate
from slmdesk.ui.widgets.table_model import ColumnTableModel
from slmdesk.ui.widgets.tinted import TintedLabel

REFRESH_MS = 250
"""The downloads table repaints at most four times a second (qutebrowser refreshes every 500 ms)."""

QUEUED = QT_TRANSLATE_NOOP("DownloadsModel", "Queued")
RUNNING = QT_TRANSLATE_NOOP("DownloadsModel", "Downloading")
PAUSED = QT_TRANSLATE_NOOP("DownloadsModel", "Paused")
FAILED = QT_TRANSLATE_NOOP("DownloadsModel", "Failed")
DONE = QT_TRANSLATE_NOOP("DownloadsModel", "Done")
CANCELLED = QT_TRANSLATE_NOOP("DownloadsModel", "Cancelled")
"""A download's states: stable keys in English, shown translated (context "DownloadsModel")."""


@dataclass
class DownloadEntry:
    """One download as the Catalog shows it. Mutated on the GUI thread only (``plan`` is set by
    the job's thread before its first progress event, and read after the job ended)."""

    repo_id: str
    filename: str
    revision: str = "main"
    job_id: int | None = None
    state: str = QUEUED
    progress: Progress = field(default_factory=Progress)
    bytes_per_s: float | None = None
    eta_s: float | None = None
    error: str = ""
    hint: str = ""
    plan: Any = None
    artifact_id: int | None = None
    stopping: str = ""
    """"pause" or "cancel" while the job is asked to stop."""

    @property
    def name(self) -> str:
        """The file name."""
        return self.filename.rsplit("/", 1)[-1]

    @property
    def active(self) -> bool:
        """Queued or downloading."""
        return self.state in (QUEUED, RUNNING)


def download_job_task(entry: DownloadEntry) -> Callable[[CancelToken], Generator[Progress, None, Any]]:
    """The job's task: plan the download (a HEAD request for the size and commit), then run the
    downloader; the plan is kept on ``entry`` for a later resume or discard."""
    from slmdesk.hub.download import DownloadRequest, download_task, plan_download

    asking = QCoreApplication.translate("DownloadController", "Asking the Hub about {name}").format(name=entry.name)

    def task(token: CancelToken) -> Generator[Progress, None, Any]:
        yield Progress(None, asking)
        if entry.plan is None:
            entry.plan = plan_download(DownloadRequest(entry.repo_id, entry.filename, revision=entry.revision))
        token.raise_if_cancelled()
        result = yield from download_task(entry.plan)(token)
        return result

    return task


class DownloadController(QObject):
    """Starts, pauses, resumes and cancels Catalog downloads; registers finished files (a "db"
    job) and refreshes the shared artifacts model. ``changed`` names the row of an entry."""

    entry_added = Signal(int)
    entry_changed = Signal(int)
    download_finished = Signal(int)  # artifact id
    download_failed = Signal(str, str)  # message, hint

    def __init__(self, runner: JobRunner, inventory: Inventory | None, artifacts: ArtifactSourceModel | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._inventory = inventory
        self._artifacts = artifacts
        self.entries: list[DownloadEntry] = []
        self._row_of_job: dict[int, int] = {}
        runner.job_changed.connect(self._on_job_changed)

    def find(self, repo_id: str, filename: str) -> int | None:
        """The row of the download of this file, None when there is none."""
        for row, entry in enumerate(self.entries):
            if (entry.repo_id, entry.filename) == (repo_id, filename):
                return row
        return None

    # -- commands ----------------------------------------------------------------------------
    def start(self, repo_id: str, filename: str, revision: str = "main") -> int:
        """Download ``filename`` (the first part of a split set fetches them all) from ``repo_id``;
        a paused or failed download of the same file resumes. Returns the entry's row."""
        row = self.find(repo_id, filename)
        if row is None:
            self.entries.append(DownloadEntry(repo_id, filename, revision))
            row = len(self.entries) - 1
            self.entry_added.emit(row)
        elif self.entries[row].active:
            return row
        self._submit(row)
        return row

    def _submit(self, row: int) -> None:
        entry = self.entries[row]
        entry.state, entry.error, entry.hint, entry.stopping = QUEUED, "", "", ""
        title = self.tr("Download {name}").format(name=entry.name)
        entry.job_id = self._runner.submit(title, download_job_task(entry), resource="download",
                                           on_done=lambda job: self._on_done(row, job))
        self._row_of_job[entry.job_id] = row
        self.entry_changed.emit(row)

    def pause(self, row: int) -> None:
        """Stop the download; its partial file stays for :meth:`resume`."""
        entry = self.entries[row]
        if entry.active and entry.job_id is not None:
            entry.stopping = "pause"
            self._runner.cancel(entry.job_id)

    def resume(self, row: int) -> None:
        """Go on from the partial file of a paused (or failed) download."""
        if not self.entries[row].active:
            self._submit(row)

    def cancel(self, row: int, discard: bool) -> None:
        """Stop the download for good; with ``discard`` the partial file is deleted (in a job)."""
        entry = self.entries[row]
        if entry.active and entry.job_id is not None:
            entry.stopping = "cancel-discard" if discard else "cancel"
            self._runner.cancel(entry.job_id)
            return
        entry.state = CANCELLED
        self.entry_changed.emit(row)
        if discard:
            self._discard(entry)

    def _discard(self, entry: DownloadEntry) -> None:
        if entry.plan is None:
            return
        from slmdesk.hub.download import discard_partial

        plan = entry.plan
        title = self.tr("Delete the partial {name}").format(name=entry.name)
        self._runner.submit_call(title, lambda: discard_partial(plan), resource="io", background=True)

    # -- job events --------------------------------------------------------------------------
    @Slot(int)
    def _on_job_changed(self, job_id: int) -> None:
        row = self._row_of_job.get(job_id)
        if row is None:
            return
        entry, job = self.entries[row], self._runner.job(job_id)
        if job.state is JobState.RUNNING:
            entry.state = RUNNING
            entry.progress, entry.bytes_per_s, entry.eta_s = job.progress, job.bytes_per_s, job.eta_s
            self.entry_changed.emit(row)

    def _on_done(self, row: int, job: Job) -> None:
        entry = self.entries[row]
        self._row_of_job.pop(job.id, None)
        entry.bytes_per_s = entry.eta_s = None
        if job.state is JobState.SUCCEEDED:
            entry.state, entry.progress = DONE, job.progress
            self._register(row, job.result)
        elif job.state is JobState.CANCELLED:
            entry.state = PAUSED if entry.stopping == "pause" else CANCELLED
            if entry.stopping == "cancel-discard":
                self._discard(entry)
        else:
            entry.state, entry.error, entry.hint = FAILED, job.error, job.hint
            self.download_failed.emit(job.error, job.hint)
        entry.stopping = ""
        self.entry_changed.emit(row)

    def _register(self, row: int, result: Any) -> None:
        if self._inventory is None:
            return
        from slmdesk.inventory.downloads import register_download

        inventory = self._inventory
        self._runner.submit_call(self.tr("Add {name} to the library").format(name=self.entries[row].name),
                                 lambda: register_download(inventory, result), resource="db",
                                 on_done=lambda job: self._on_registered(row, job))

    def _on_registered(self, row: int, job: Job) -> None:
        entry = self.entries[row]
        if job.state is not JobState.SUCCEEDED:
            entry.state, entry.error, entry.hint = FAILED, job.error, job.hint
            self.entry_changed.emit(row)
            self.download_failed.emit(job.error, job.hint)
            return
        entry.artifact_id = job.result.id
        self.entry_changed.emit(row)
        if self._artifacts is not None:
            self._artifacts.refresh(lambda: self.download_finished.emit(job.result.id))
        else:
            self.download_finished.emit(job.result.id)


class DownloadsModel(ColumnTableModel):
    """The Catalog's downloads, one row each; repaints are gathered and sent at most every
    :data:`REFRESH_MS` milliseconds."""

    TRANSLATION_CONTEXT = "DownloadsModel"
    COLUMNS = (QT_TRANSLATE_NOOP("DownloadsModel", "File"), QT_TRANSLATE_NOOP("DownloadsModel", "Repository"),
               QT_TRANSLATE_NOOP("DownloadsModel", "Status"), QT_TRANSLATE_NOOP("DownloadsModel", "Progress"),
               QT_TRANSLATE_NOOP("DownloadsModel", "Speed"), QT_TRANSLATE_NOOP("DownloadsModel", "ETA"))
    COL_NAME, COL_REPO, COL_STATE, COL_PROGRESS, COL_SPEED, COL_ETA = range(6)

    def __init__(self, controller: DownloadController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._count = len(controller.entries)
        self._dirty: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setObjectName("catalog-downloads-refresh")
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._flush)
        controller.entry_added.connect(self._on_added)
        controller.entry_changed.connect(self._on_changed)

    @Slot(int)
    def _on_added(self, row: int) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self._count = len(self._controller.entries)
        self.endInsertRows()

    @Slot(int)
    def _on_changed(self, row: int) -> None:
        entry = self._controller.entries[row]
        if entry.state == RUNNING:
            self._dirty.add(row)
            if not self._timer.isActive():
                self._timer.start()
        else:  # a state change shows at once
            self._dirty.discard(row)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    @Slot()
    def _flush(self) -> None:
        for row in sorted(self._dirty):
            self.dataChanged.emit(self.index(row, self.COL_STATE), self.index(row, self.COL_ETA))
        self._dirty.clear()

    def entry(self, row: int) -> DownloadEntry:
        """The download in ``row``."""
        return self._controller.entries[row]

    def row_count(self) -> int:
        return self._count

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._count:
            return None
        entry, column = self._controller.entries[index.row()], index.column()
        progress = entry.progress
        if role == ProgressRole and column == self.COL_PROGRESS:
            if entry.state == DONE:
                return 1.0
            return -1.0 if progress.fraction is None and entry.state == RUNNING else (progress.fraction or 0.0)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.COL_NAME:
                return entry.name
            if column == self.COL_REPO:
                return entry.repo_id
            if column == self.COL_STATE:
                if role == Qt.ItemDataRole.ToolTipRole and entry.error:
                    return "\n".join(part for part in (entry.error, entry.hint) if part)
                return QCoreApplication.translate("DownloadsModel", entry.state)
            if column == self.COL_PROGRESS:
                if role == Qt.ItemDataRole.ToolTipRole and progress.message:
                    return progress.message
                if progress.bytes_done is None:
                    return ""
                return self.tr("{done} of {total}").format(done=format_bytes(progress.bytes_done),
                                                          total=format_bytes(progress.bytes_total))
            if column == self.COL_SPEED:
                return format_rate(entry.bytes_per_s) if entry.bytes_per_s else ""
            if column == self.COL_ETA:
                return format_duration(entry.eta_s) if entry.eta_s is not None else ""
        return None


def ask_cancel(parent: QWidget, name: str) -> bool | None:
    """Ask how to cancel a download: True to discard the partial file, False to keep it (a later
    download of the same file resumes from it), None to go on downloading."""
    box = QMessageBox(QMessageBox.Icon.Question, QCoreApplication.translate("DownloadsView", "Cancel the download?"),
                      QCoreApplication.translate("DownloadsView", "Cancel the download of {name}?").format(name=name),
                      parent=parent)
    box.setInformativeText(
        QCoreApplication.translate("DownloadsView", "Keep the partial file to resume later, or delete it."))
    keep = box.addButton(QCoreApplication.translate("DownloadsView", "Keep partial file"),
                         QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton(QCoreApplication.translate("DownloadsView", "Delete partial file"),
                            QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QCoreApplication.translate("DownloadsView", "Go on downloading"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    if clicked is discard:
        return True
    if clicked is keep:
        return False
    return None


class DownloadsView(QWidget):
    """The active and finished downloads: a progress bar per row, Pause/Resume/Cancel for the
    selected one, and a failure's message and hint."""

    def __init__(self, controller: DownloadController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model = DownloadsModel(controller, self)
        self.title_label = QLabel(self.tr("<b>Downloads</b>"), self)
        self.error_label = TintedLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long text: tooltip
        self.error_label.hide()
        self.pause_button = QPushButton(self.tr("Pause"), self)
        self.pause_button.setAccessibleName(self.tr("Pause the selected download"))
        self.pause_button.setToolTip(self.tr("Stop the selected download; its partial file stays for Resume"))
        self.pause_button.clicked.connect(self.pause_selected)
        self.resume_button = QPushButton(self.tr("Resume"), self)
        self.resume_button.setAccessibleName(self.tr("Resume the selected download"))
        self.resume_button.setToolTip(self.tr("Go on from the partial file of the selected download"))
        self.resume_button.clicked.connect(self.resume_selected)
        self.cancel_button = QPushButton(self.tr("Cancel…"), self)
        self.cancel_button.setAccessibleName(self.tr("Cancel the selected download"))
        self.cancel_button.setToolTip(
            self.tr("Stop the selected download for good, keeping or deleting its partial file"))
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Downloads"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setItemDelegateForColumn(DownloadsModel.COL_PROGRESS, ProgressBarDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DownloadsModel.COL_NAME, QHeaderView.ResizeMode.Stretch)  # the rest are short
        for column, width in ((DownloadsModel.COL_REPO, 200), (DownloadsModel.COL_STATE, 95),
                              (DownloadsModel.COL_PROGRESS, 150), (DownloadsModel.COL_SPEED, 85),
                              (DownloadsModel.COL_ETA, 70)):  # all six fit a 1024-pixel-wide window
            self.table.setColumnWidth(column, width)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a file's quantization is at its end
        buttons = QHBoxLayout()
        buttons.addWidget(self.title_label)
        buttons.addWidget(self.error_label, 1)
        for button in (self.pause_button, self.resume_button, self.cancel_button):
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)  # no wide buttons
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        controller.entry_changed.connect(self._on_entry_changed)
        controller.entry_added.connect(self._on_entry_added)
        controller.download_failed.connect(self._on_failed)
        self._update_buttons()

    def selected_row(self) -> int | None:
        """The selected download's row, None for none."""
        index = self.table.currentIndex()
        return index.row() if index.isValid() else None

    @Slot()
    def pause_selected(self) -> None:
        """Pause the selected download."""
        row = self.selected_row()
        if row is not None:
            self.controller.pause(row)

    @Slot()
    def resume_selected(self) -> None:
        """Resume the selected download."""
        row = self.selected_row()
        if row is not None:
            self.controller.resume(row)

    @Slot()
    def cancel_selected(self) -> None:
        """Cancel the selected download, asking whether to keep its partial file."""
        row = self.selected_row()
        if row is None:
            return
        discard = ask_cancel(self, self.controller.entries[row].name)
        if discard is not None:
            self.controller.cancel(row, discard)

    @Slot(int)
    def _on_entry_added(self, row: int) -> None:
        self.show()
        self.table.selectRow(row)

    @Slot(int)
    def _on_entry_changed(self, row: int) -> None:
        if row == self.selected_row():
            self._update_buttons()

    @Slot(str, str)
    def _on_failed(self, message: str, hint: str) -> None:
        self.error_label.set_error(message, hint)  # the message in the theme's error colour
        self.error_label.show()

    @Slot()
    def _update_buttons(self) -> None:
        row = self.selected_row()
        entry = self.controller.entries[row] if row is not None else None
        self.pause_button.setEnabled(entry is not None and entry.active)
        self.resume_button.setEnabled(entry is not None and entry.state in (PAUSED, FAILED, CANCELLED))
        self.cancel_button.setEnabled(entry is not None and entry.state in (QUEUED, RUNNING, PAUSED, FAILED))
