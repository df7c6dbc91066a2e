"""The Jobs pane: running and finished jobs with progress, speed, ETA, cancel and errors."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.jobs.model import (
    CancellableRole,
    JobIdRole,
    JobListModel,
    ProgressRole,
    SortRole,
)


class ProgressBarDelegate(QStyledItemDelegate):
    """Paints ``ProgressRole`` (0..1, or -1 for unknown) as a native progress bar."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        fraction = index.data(ProgressRole)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 4, -2, -4)
        bar.minimum = 0
        bar.maximum = 1000 if fraction >= 0 else 0  # 0/0 draws a busy indicator
        bar.progress = int(fraction * 1000) if fraction >= 0 else 0
        bar.text = index.data() or ""
        bar.textVisible = True
        bar.state = option.state
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class CancelButtonDelegate(QStyledItemDelegate):
    """Paints a Cancel button on cancellable rows and reports clicks."""

    cancel_clicked = Signal(int)  # job id

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if not index.data(CancellableRole):
            return
        button = QStyleOptionButton()
        button.rect = option.rect.adjusted(2, 2, -2, -2)
        button.text = self.tr("Cancel")
        button.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
        QApplication.style().drawControl(QStyle.ControlElement.CE_PushButton, button, painter)

    def editorEvent(self, event: QEvent, model: QAbstractItemModel, option: QStyleOptionViewItem,
                    index: QModelIndex | QPersistentModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and index.data(CancellableRole):
            self.cancel_clicked.emit(int(index.data(JobIdRole)))
            return True
        return super().editorEvent(event, model, option, index)


class JobsPane(QWidget):
    """Lists jobs (sortable), cancels with a row button or the Delete key, clears finished ones."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self.model = JobListModel(runner, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)

        # Built in the order they are seen (and tabbed through): title, table, summary and buttons.
        title = QLabel(self.tr("Jobs"), self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        self.empty_label = QLabel(self.tr(
            "No jobs yet. Downloads, checksums, quantizations and benchmarks appear here "
            "while they run, with their progress and a Cancel button."), self)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Jobs"))
        self.table.setAccessibleDescription(self.tr("Press Delete to cancel the selected jobs"))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(JobListModel.COL_TITLE, Qt.SortOrder.AscendingOrder)  # submission order
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(JobListModel.COL_MESSAGE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(JobListModel.COL_STATE, QHeaderView.ResizeMode.ResizeToContents)
        # Sum about 700 px with the message column's minimum: no horizontal scroll bar in a 1024 px window.
        self.table.setColumnWidth(JobListModel.COL_TITLE, 200)
        self.table.setColumnWidth(JobListModel.COL_PROGRESS, 110)
        self.table.setColumnWidth(JobListModel.COL_BYTES, 120)
        self.table.setColumnWidth(JobListModel.COL_SPEED, 80)
        self.table.setColumnWidth(JobListModel.COL_ETA, 70)
        self.table.setColumnWidth(JobListModel.COL_CANCEL, 80)
        self._progress_delegate = ProgressBarDelegate(self.table)
        self._cancel_delegate = CancelButtonDelegate(self.table)
        self.table.setItemDelegateForColumn(JobListModel.COL_PROGRESS, self._progress_delegate)
        self.table.setItemDelegateForColumn(JobListModel.COL_CANCEL, self._cancel_delegate)
        self._cancel_delegate.cancel_clicked.connect(self._on_cancel_clicked)

        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Cancel selected"), self)
        self.cancel_button.setToolTip(self.tr("Cancel the selected jobs (Delete)"))
        self.cancel_button.setAccessibleName(self.tr("Cancel the selected jobs"))
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.clear_button = QPushButton(self.tr("Clear finished"), self)
        self.clear_button.setToolTip(self.tr("Remove finished, failed and cancelled jobs from the list"))
        self.clear_button.clicked.connect(self.clear_finished)

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary_label, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.empty_label, 1)  # the title stays at the top when the table is hidden
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.cancel_selected)
        runner.job_added.connect(self._on_job_event)
        runner.job_finished.connect(self._on_job_event)
        self._refresh_summary()

    @Slot()
    def cancel_selected(self) -> None:
        """Cancel every selected job that is not finished."""
        for index in self.table.selectionModel().selectedRows(JobListModel.COL_TITLE):
            self._runner.cancel(int(index.data(JobIdRole)))

    @Slot()
    def clear_finished(self) -> None:
        """Remove finished, failed and cancelled jobs from the list."""
        self.model.remove_jobs(self._runner.clear_finished())
        self._refresh_summary()

    @Slot(int)
    def _on_cancel_clicked(self, job_id: int) -> None:
        self._runner.cancel(job_id)

    @Slot(int)
    def _on_job_event(self, _job_id: int) -> None:
        self._refresh_summary()

    def _refresh_summary(self) -> None:
        jobs = [job for job in self._runner.jobs() if not job.background]
        active = sum(1 for job in jobs if not job.state.is_final)
        failed = sum(1 for job in jobs if job.state.name == "FAILED")
        self.empty_label.setVisible(not jobs)
        self.table.setVisible(bool(jobs))
        parts = [self.tr("%n running or queued", "", active), self.tr("%n finished", "", len(jobs) - active)]
        if failed:
            parts.append(self.tr("%n failed", "", failed))
        self.summary_label.setText(" · ".join(parts))
