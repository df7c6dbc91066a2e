"""The generic job runner with real QThreads."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.jobs.runner import PROGRESS_INTERVAL_S, JobRunner, JobState


@pytest.fixture
def runner(qtbot):
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown(5000)


def _wait_final(qtbot, runner: JobRunner, job_id: int, timeout: int = 5000) -> None:
    qtbot.waitUntil(lambda: runner.job(job_id).state.is_final, timeout=timeout)


def counting_task(n: int, delay_s: float = 0.0):
    def task(token: CancelToken) -> Generator[Progress, None, int]:
        for i in range(n):
            token.raise_if_cancelled()
            if delay_s:
                time.sleep(delay_s)
            yield Progress.of_bytes(i + 1, n, f"step {i + 1}")
        return n * 2

    return task


def test_task_runs_off_the_gui_thread_and_returns_its_result(qtbot, runner: JobRunner) -> None:
    threads: list[threading.Thread] = []

    def task(token: CancelToken) -> Generator[Progress, None, str]:
        threads.append(threading.current_thread())
        yield Progress(0.5, "half")
        return "done"

    finished: list[int] = []
    job_id = runner.submit("Example", task, on_done=lambda job: finished.append(job.id))
    _wait_final(qtbot, runner, job_id)
    job = runner.job(job_id)
    assert job.state is JobState.SUCCEEDED
    assert job.result == "done"
    assert job.progress.fraction == 1.0
    assert threads[0] is not threading.main_thread()
    assert finished == [job_id]


def test_user_errors_and_bugs_fail_the_job_with_text(qtbot, runner: JobRunner) -> None:
    def user_error(token: CancelToken):
        yield Progress()
        raise UserError("The file is truncated at byte 1234.", "Download it again.")

    def bug(token: CancelToken):
        yield Progress()
        raise KeyError("oops")

    a = runner.submit("user", user_error)
    b = runner.submit("bug", bug)
    _wait_final(qtbot, runner, a)
    _wait_final(qtbot, runner, b)
    assert runner.job(a).state is JobState.FAILED
    assert runner.job(a).error == "The file is truncated at byte 1234."
    assert runner.job(a).hint == "Download it again."
    assert runner.job(b).state is JobState.FAILED
    assert runner.job(b).error.startswith("Internal error: KeyError")
    assert "Traceback" in runner.job(b).details


def test_one_quantization_at_a_time_and_queued_jobs_cancel_at_once(qtbot, runner: JobRunner) -> None:
    release = threading.Event()

    def blocking(token: CancelToken):
        while not release.is_set():
            token.raise_if_cancelled()
            yield Progress(None, "working")
            time.sleep(0.01)

    first = runner.submit("q1", blocking, resource="quantize")
    second = runner.submit("q2", blocking, resource="quantize")
    third = runner.submit("q3", blocking, resource="quantize")
    qtbot.waitUntil(lambda: runner.job(first).state is JobState.RUNNING)
    assert runner.job(second).state is JobState.QUEUED
    assert runner.running_count("quantize") == 1
    runner.cancel(third)
    assert runner.job(third).state is JobState.CANCELLED  # synchronously: it never started
    release.set()
    _wait_final(qtbot, runner, first)
    _wait_final(qtbot, runner, second)
    assert runner.job(first).state is runner.job(second).state is JobState.SUCCEEDED
    assert runner.job(first).finished_at <= runner.job(second).started_at


def test_downloads_run_in_parallel_up_to_the_limit(qtbot, runner: JobRunner) -> None:
    release = threading.Event()

    def blocking(token: CancelToken):
        while not release.wait(0.01):
            token.raise_if_cancelled()
            yield Progress()

    ids = [runner.submit(f"d{i}", blocking, resource="download") for i in range(4)]
    qtbot.waitUntil(lambda: runner.running_count("download") == runner.limit("download"))
    assert [runner.job(i).state for i in ids].count(JobState.QUEUED) == 4 - runner.limit("download")
    release.set()
    for job_id in ids:
        _wait_final(qtbot, runner, job_id)


def test_progress_signals_are_throttled(qtbot, runner: JobRunner) -> None:
    changes: list[int] = []
    runner.job_changed.connect(changes.append)
    started = time.monotonic()
    job_id = runner.submit("burst", counting_task(200_000))
    _wait_final(qtbot, runner, job_id, timeout=20000)
    elapsed = time.monotonic() - started
    # 200,000 events; at most one signal per interval, plus start and finish.
    assert len(changes) <= elapsed / PROGRESS_INTERVAL_S + 3
    assert runner.job(job_id).result == 400_000


def test_running_job_stops_at_its_next_check(qtbot, runner: JobRunner) -> None:
    job_id = runner.submit("slow", counting_task(10_000, delay_s=0.01))
    qtbot.waitUntil(lambda: runner.job(job_id).progress.bytes_done is not None)
    runner.cancel(job_id)
    _wait_final(qtbot, runner, job_id, timeout=1000)
    job = runner.job(job_id)
    assert job.state is JobState.CANCELLED
    assert job.progress.bytes_done < 10_000


def test_speed_and_eta_are_computed_from_byte_progress(qtbot, runner: JobRunner) -> None:
    job_id = runner.submit("bytes", counting_task(60, delay_s=0.01))
    qtbot.waitUntil(lambda: runner.job(job_id).bytes_per_s is not None, timeout=3000)
    job = runner.job(job_id)
    assert job.bytes_per_s > 0
    assert job.eta_s is not None and job.eta_s >= 0
    _wait_final(qtbot, runner, job_id)


def test_submit_after_shutdown_is_refused(qtbot) -> None:
    runner = JobRunner()
    assert runner.shutdown()
    with pytest.raises(RuntimeError, match=r"^the job runner is shut down$"):
        runner.submit("late", counting_task(1))


def test_a_background_job_is_forgotten_after_its_callback(qtbot, runner: JobRunner) -> None:
    seen: list[int] = []
    job_id = runner.submit("Read", counting_task(3), on_done=lambda job: seen.append(job.result), background=True)
    qtbot.waitUntil(lambda: seen == [6], timeout=5000)
    assert job_id not in {job.id for job in runner.jobs()}  # its result is not kept for the session
