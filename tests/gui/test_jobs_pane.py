"""The Jobs pane and its item model."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.jobs.runner import JobRunner, JobState
from slmdesk.ui.jobs.model import JobListModel
from slmdesk.ui.jobs.pane import JobsPane


@pytest.fixture
def runner():
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown(5000)


def _blocking(release: threading.Event):
    def task(token: CancelToken):
        done = 0
        while not release.wait(0.01):
            token.raise_if_cancelled()
            done += 1024
            yield Progress.of_bytes(done, 10 * 1024 * 1024, "Downloading model.gguf")

    return task


def _failing(token: CancelToken):
    yield Progress(0.1, "Reading header")
    raise UserError("model.gguf is truncated at byte 4096.", "Download it again.")


def test_model_passes_qtmodeltester_with_live_jobs(qtbot, qtmodeltester, runner: JobRunner) -> None:
    release = threading.Event()
    model = JobListModel(runner)
    running = runner.submit("Download model.gguf", _blocking(release), resource="download")
    failed = runner.submit("Read header", _failing)
    qtbot.waitUntil(lambda: runner.job(failed).state is JobState.FAILED)
    qtbot.waitUntil(lambda: runner.job(running).bytes_per_s is not None, timeout=3000)
    qtmodeltester.check(model)
    row_running = 0
    assert model.index(row_running, JobListModel.COL_STATE).data() == "Running"
    assert "/ 10.0 MiB" in model.index(row_running, JobListModel.COL_BYTES).data()
    assert model.index(row_running, JobListModel.COL_SPEED).data().endswith("/s")
    assert model.index(1, JobListModel.COL_MESSAGE).data() == (
        "model.gguf is truncated at byte 4096. Download it again."
    )
    release.set()
    qtbot.waitUntil(lambda: runner.job(running).state.is_final)
    qtmodeltester.check(model)


def test_cancel_button_and_delete_key_cancel_jobs(qtbot, runner: JobRunner) -> None:
    release = threading.Event()
    pane = JobsPane(runner)
    qtbot.addWidget(pane)
    pane.resize(1300, 500)
    pane.show()
    qtbot.waitExposed(pane)
    assert pane.empty_label.isVisible() and not pane.table.isVisible()
    first = runner.submit("one", _blocking(release), resource="download")
    second = runner.submit("two", _blocking(release), resource="download")
    qtbot.waitUntil(lambda: runner.job(second).state is JobState.RUNNING)
    assert pane.table.isVisible()

    # The row's Cancel button (painted by a delegate) is clicked.
    cancel_index = pane.proxy.index(0, JobListModel.COL_CANCEL)
    pane.table.scrollTo(cancel_index)
    qtbot.waitUntil(lambda: pane.table.viewport().rect().contains(pane.table.visualRect(cancel_index)))
    rect = pane.table.visualRect(cancel_index)
    qtbot.mouseClick(pane.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: runner.job(first).state is JobState.CANCELLED, timeout=1000)

    # Select the second row and press Delete.
    pane.table.selectRow(1)
    pane.table.setFocus()
    qtbot.keyClick(pane.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: runner.job(second).state is JobState.CANCELLED, timeout=1000)
    assert "2 finished" in pane.summary_label.text()

    pane.clear_finished()
    assert pane.model.rowCount() == 0
    assert pane.empty_label.isVisible()
