"""The GUI thread stays responsive while a real long task runs, and cancel is prompt."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from slmdesk.formats.checksum import sha256_task
from slmdesk.jobs.runner import JobRunner, JobState

FILE_BYTES = 500 * 1024 * 1024
HEARTBEAT_MS = 5
MAX_GAP_MS = 50
MAX_CANCEL_MS = 200


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "weights.bin"
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(FILE_BYTES // len(block)):
            handle.write(block)
    return path


class Heartbeat:
    """A GUI-thread timer that records the largest gap between its ticks (ms)."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.clock = QElapsedTimer()
        self.last = 0
        self.max_gap = 0
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.clock.start()
        self.last = 0
        self.timer.start()

    def tick(self) -> None:
        now = self.clock.elapsed()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now

    def stop(self) -> None:
        self.timer.stop()


@pytest.mark.slow
def test_hashing_500_mb_keeps_the_gui_thread_responsive(qtbot, big_file: Path) -> None:
    runner = JobRunner()
    heartbeat = Heartbeat()
    heartbeat.start()
    job_id = runner.submit("Hash weights.bin", sha256_task(big_file))
    qtbot.waitUntil(lambda: runner.job(job_id).state.is_final, timeout=60_000)
    heartbeat.stop()
    assert runner.shutdown()
    job = runner.job(job_id)
    assert job.state is JobState.SUCCEEDED
    assert len(job.result) == 64
    assert job.progress.bytes_done == FILE_BYTES
    assert heartbeat.max_gap < MAX_GAP_MS, f"GUI thread stalled {heartbeat.max_gap} ms"


@pytest.mark.slow
def test_cancel_stops_hashing_within_200_ms(qtbot, big_file: Path) -> None:
    runner = JobRunner()
    job_id = runner.submit("Hash weights.bin", sha256_task(big_file))
    qtbot.waitUntil(lambda: (runner.job(job_id).progress.bytes_done or 0) > 0, timeout=10_000)
    started = time.monotonic()
    runner.cancel(job_id)
    qtbot.waitUntil(lambda: runner.job(job_id).state.is_final, timeout=2000)
    elapsed_ms = (time.monotonic() - started) * 1000
    assert runner.shutdown()
    assert runner.job(job_id).state is JobState.CANCELLED
    assert runner.job(job_id).progress.bytes_done < FILE_BYTES
    assert elapsed_ms < MAX_CANCEL_MS, f"cancel took {elapsed_ms:.0f} ms"
