"""The Qt item model over the job runner's jobs."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Slot,
)

from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_duration, format_percent, format_rate
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

ProgressRole = Qt.ItemDataRole.UserRole + 1  # float 0..1, or -1.0 for "unknown"
SortRole = Qt.ItemDataRole.UserRole + 2
JobIdRole = Qt.ItemDataRole.UserRole + 3
CancellableRole = Qt.ItemDataRole.UserRole + 4


_STATE_TEXT = {
    JobState.QUEUED: QT_TRANSLATE_NOOP("JobListModel", "Queued"),
    JobState.RUNNING: QT_TRANSLATE_NOOP("JobListModel", "Running"),
    JobState.SUCCEEDED: QT_TRANSLATE_NOOP("JobListModel", "Done"),
    JobState.FAILED: QT_TRANSLATE_NOOP("JobListModel", "Failed"),
    JobState.CANCELLED: QT_TRANSLATE_NOOP("JobListModel", "Cancelled"),
}
"""A job's state as the Status column shows it (translated where shown: :func:`job_state_text`)."""


def job_state_text(state: JobState) -> str:
    """``state`` as a word in the interface language ("Queued", "Running", "Done", "Failed",
    "Cancelled"): the Jobs pane's Status column and the other panes' job lines."""
    return QCoreApplication.translate("JobListModel", _STATE_TEXT[state])


class JobListModel(ColumnTableModel):
    """One row per job, newest last; updates only the changed row."""

    TRANSLATION_CONTEXT = "JobListModel"
    COLUMNS = (
        QT_TRANSLATE_NOOP("JobListModel", "Job"), QT_TRANSLATE_NOOP("JobListModel", "Status"),
        QT_TRANSLATE_NOOP("JobListModel", "Progress"), QT_TRANSLATE_NOOP("JobListModel", "Transferred"),
        QT_TRANSLATE_NOOP("JobListModel", "Speed"), QT_TRANSLATE_NOOP("JobListModel", "ETA"),
        QT_TRANSLATE_NOOP("JobListModel", "Message"), "",
    )
    COL_TITLE, COL_STATE, COL_PROGRESS, COL_BYTES, COL_SPEED, COL_ETA, COL_MESSAGE, COL_CANCEL = range(8)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_ETA: QT_TRANSLATE_NOOP("JobListModel", "Estimated time left"),
        COL_CANCEL: QT_TRANSLATE_NOOP("JobListModel", "Cancel a job that is queued or running"),
    }

    def __init__(self, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._ids: list[int] = [job.id for job in runner.jobs() if not job.background]
        self._row_of: dict[int, int] = {job_id: row for row, job_id in enumerate(self._ids)}
        runner.job_added.connect(self._on_job_added)
        runner.job_changed.connect(self._on_job_changed)

    # -- Qt model API ----------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self._ids)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        job = self._runner.job(self._ids[index.row()])
        column = index.column()
        if role == JobIdRole:
            return job.id
        if role == CancellableRole:
            return not job.state.is_final
        if role == ProgressRole and column == self.COL_PROGRESS:
            return -1.0 if job.progress.fraction is None else float(job.progress.fraction)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_MESSAGE and job.state is JobState.FAILED:
                return "\n\n".join(part for part in (job.error, job.hint, job.details) if part)
            if column == self.COL_CANCEL and not job.state.is_final:
                return self.tr("Cancel this job")
            if column in (self.COL_TITLE, self.COL_MESSAGE):
                return self._display(job, column) or None  # the whole text of a cut cell
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.COL_CANCEL:
            return self.tr("Cancel {job}").format(job=job.title) if not job.state.is_final else ""
        if role == SortRole:
            return self._sort_key(job, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COL_MESSAGE and job.state is JobState.FAILED:
            return colour("text.error")
        return None

    # -- helpers -------------------------------------------------------------------------
    def job_id_at(self, row: int) -> int:
        """The id of the job shown in ``row``."""
        return self._ids[row]

    def _display(self, job: Job, column: int) -> str | None:
        progress = job.progress
        if column == self.COL_TITLE:
            return job.title
        if column == self.COL_STATE:
            return job_state_text(job.state)
        if column == self.COL_PROGRESS:
            if progress.fraction is None:
                return ""
            return format_percent(progress.fraction * 100)
        if column == self.COL_BYTES:
            if progress.bytes_done is None:
                return ""
            total = format_bytes(progress.bytes_total) if progress.bytes_total else "?"
            return f"{format_bytes(progress.bytes_done)} / {total}"
        if column == self.COL_SPEED:
            return format_rate(job.bytes_per_s) if job.state is JobState.RUNNING and job.bytes_per_s else ""
        if column == self.COL_ETA:
            return format_duration(job.eta_s) if job.state is JobState.RUNNING and job.eta_s is not None else ""
        if column == self.COL_MESSAGE:
            if job.state is JobState.FAILED:
                return f"{job.error} {job.hint}".strip()
            if job.state is JobState.SUCCEEDED and job.finished_at and job.started_at:
                return self.tr("Finished in {duration}").format(
                    duration=format_duration(job.finished_at - job.started_at))
            return progress.message
        return ""

    def _sort_key(self, job: Job, column: int) -> object:
        if column == self.COL_PROGRESS:
            return -1.0 if job.progress.fraction is None else job.progress.fraction
        if column == self.COL_BYTES:
            return job.progress.bytes_done or 0
        if column == self.COL_SPEED:
            return job.bytes_per_s or 0.0
        if column == self.COL_ETA:
            return job.eta_s if job.eta_s is not None else float("inf")
        if column == self.COL_TITLE:
            return job.submitted_at or time.time()
        return self._display(job, column) or ""

    @Slot(int)
    def _on_job_added(self, job_id: int) -> None:
        if self._runner.job(job_id).background:
            return
        row = len(self._ids)
        self.beginInsertRows(QModelIndex(), row, row)
        self._ids.append(job_id)
        self._row_of[job_id] = row
        self.endInsertRows()

    @Slot(int)
    def _on_job_changed(self, job_id: int) -> None:
        row = self._row_of.get(job_id)
        if row is None:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def remove_jobs(self, job_ids: list[int]) -> None:
        """Drop the rows of forgotten jobs (after :meth:`JobRunner.clear_finished`)."""
        gone = set(job_ids)
        for row in reversed(range(len(self._ids))):
            if self._ids[row] in gone:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._ids[row]
                self.endRemoveRows()
        self._row_of = {job_id: row for row, job_id in enumerate(self._ids)}
