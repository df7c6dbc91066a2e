"""The Benchmark pane's run queue: the Jobs model restricted to benchmark jobs, with progress."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.jobs.model import JobIdRole, JobListModel
from slmdesk.ui.jobs.pane import ProgressBarDelegate

RESOURCE = "engine:bench"
"""The job-runner queue of benchmarks: one at a time, so runs never compete for the cores."""

MIN_VISIBLE_ROWS = 3
"""The queue is never shorter than this many rows (a long status line cannot squeeze it)."""


class BenchJobsProxy(QSortFilterProxyModel):
    """The Jobs model restricted to jobs on :data:`RESOURCE`."""

    def __init__(self, runner: JobRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._runner = runner

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        index = self.sourceModel().index(source_row, 0, source_parent)
        job_id = index.data(JobIdRole)
        try:
            return job_id is not None and self._runner.job(job_id).resource == RESOURCE
        except KeyError:
            return False


class BenchQueueView(QTableView):
    """Queued and running benchmarks: title, state, a progress bar and the current step."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue_source = JobListModel(runner, self)
        self.queue_model = BenchJobsProxy(runner, self)
        self.queue_model.setSourceModel(self.queue_source)
        self.setModel(self.queue_model)
        self.setAccessibleName(self.tr("Benchmark queue"))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().hide()
        self._progress_delegate = ProgressBarDelegate(self)
        self.setItemDelegateForColumn(JobListModel.COL_PROGRESS, self._progress_delegate)
        for column in (JobListModel.COL_BYTES, JobListModel.COL_SPEED, JobListModel.COL_ETA, JobListModel.COL_CANCEL):
            self.hideColumn(column)
        # Fits the narrow left column without a horizontal scroll bar; cut titles have their tooltip.
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(JobListModel.COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(JobListModel.COL_STATE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(JobListModel.COL_PROGRESS, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(JobListModel.COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(JobListModel.COL_PROGRESS, 80)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the columns fit the width
        self.setMinimumHeight(self.minimum_rows_height(MIN_VISIBLE_ROWS))

    def sizeHint(self) -> QSize:
        """A few rows tall: the settings form above gets the height first."""
        return QSize(super().sizeHint().width(), self.minimum_rows_height(MIN_VISIBLE_ROWS + 1))

    def minimum_rows_height(self, rows: int) -> int:
        """Pixels that show the header and ``rows`` rows."""
        return (self.horizontalHeader().sizeHint().height() + rows * self.verticalHeader().defaultSectionSize()
                + 2 * self.frameWidth())
