"""Cyclic garbage is collected on the GUI thread only while the guard runs (see gc_guard)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from slmdesk.jobs.gc_guard import GuiThreadCollector


class _Cycle:
    """A reference cycle that records the thread that frees it."""

    def __init__(self, freed_on: list[str], payload: object | None = None) -> None:
        self.me = self
        self.payload = payload
        weakref.finalize(self, lambda: freed_on.append(threading.current_thread().name))


def _make_cycle(freed_on: list[str], payload: object | None = None) -> None:
    _Cycle(freed_on, payload)


def _allocate_in_a_worker() -> str:
    """Allocate enough containers in a worker thread to cross generation 0's threshold many
    times, as a job thread does; returns the worker's name."""

    def churn() -> None:
        keep = []
        for index in range(200_000):
            keep.append([index])
            if len(keep) > 1000:
                keep.clear()

    worker = threading.Thread(target=churn, name="job-worker")
    worker.start()
    worker.join()
    return worker.name


def test_without_the_guard_a_worker_thread_frees_gui_cycles() -> None:
    """The hazard itself: with automatic collection on, a worker's allocations collect a
    cycle created on the GUI thread, on the worker."""
    freed_on: list[str] = []
    gc.enable()
    try:
        gc.collect()
        _make_cycle(freed_on)
        _allocate_in_a_worker()
    finally:
        gc.disable()  # the GUI test session runs like the app: no automatic collection
    assert freed_on == ["job-worker"]


def test_with_the_guard_cycles_wait_for_the_gui_thread(qtbot) -> None:
    freed_on: list[str] = []
    destroyed: list[bool] = []
    collector = GuiThreadCollector(interval_ms=50)
    gc.enable()  # what the app starts with
    collector.start()
    try:
        assert not gc.isenabled() and collector.active
        holder = QObject()
        holder.destroyed.connect(lambda: destroyed.append(True))
        _make_cycle(freed_on, payload=holder)  # the cycle holds the only reference
        del holder
        for _ in range(999):  # enough garbage to pass generation 0's threshold (700)
            _make_cycle(freed_on)
        _allocate_in_a_worker()
        assert freed_on == [] and destroyed == []  # the worker's allocations collected nothing
        qtbot.waitUntil(lambda: len(freed_on) == 1000, timeout=5_000)  # the timer's collection did
        assert set(freed_on) == {threading.main_thread().name} and destroyed == [True]
    finally:
        collector.stop()
    assert gc.isenabled() and not collector.active
    gc.disable()


def test_start_refuses_other_threads() -> None:
    collector = GuiThreadCollector()
    errors: list[BaseException] = []

    def start() -> None:
        try:
            collector.start()
        except RuntimeError as error:
            errors.append(error)

    worker = threading.Thread(target=start)
    worker.start()
    worker.join()
    assert len(errors) == 1 and "GUI thread" in str(errors[0])
    assert not collector.active
