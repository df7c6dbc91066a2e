"""GUI test rig: nothing a test creates (widgets, threads, timers) may outlive it."""

from __future__ import annotations

import gc
import threading
import time

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QThread, QTimer
from PySide6.QtWidgets import QApplication


def _flush_deletes(app: QApplication) -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


def _alive(objects_of: type) -> list:
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, objects_of) and shiboken6.isValid(obj):
            found.append(obj)
    return found


@pytest.fixture(scope="session", autouse=True)
def cyclic_gc_on_the_gui_thread_only():
    """As in the app (``slmdesk.jobs.gc_guard``): no automatic collection, which would run in
    whichever thread allocates, job threads included, and destroy QObjects there (each test's
    window, JobRunner and EngineSession end in one reference cycle). ``no_leftovers``
    collects on the GUI thread after each test, once its threads have ended."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def no_leftovers(qapp: QApplication):
    """Fail a test that leaves top-level widgets, running QThreads/threads or active timers."""
    threads_before = set(threading.enumerate())
    yield
    _flush_deletes(qapp)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        running = [t for t in _alive(QThread) if t.isRunning() and t is not qapp.thread()]
        # _DummyThread entries stand for foreign (Qt) threads and are never removed by Python;
        # those are covered by the QThread check.
        threads = [
            t
            for t in threading.enumerate()
            if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        if not running and not threads:
            break
        qapp.processEvents()
        time.sleep(0.02)
    _flush_deletes(qapp)
    widgets = [w for w in QApplication.topLevelWidgets() if shiboken6.isValid(w)]
    timers = [t for t in _alive(QTimer) if t.isActive()]
    problems = []
    if widgets:
        problems.append(f"top-level widgets left: {[type(w).__name__ for w in widgets]}")
        for widget in widgets:
            widget.close()
            widget.deleteLater()
        _flush_deletes(qapp)
    if running:
        problems.append(f"QThreads still running: {running}")
    if threads:
        problems.append(f"threads still running: {threads}")
    if timers:
        problems.append(f"active timers left: {[(t.objectName(), t.interval()) for t in timers]}")
        for timer in timers:
            timer.stop()
    if not running and not threads:
        gc.collect()  # on the GUI thread, with no job thread left to race it
        _flush_deletes(qapp)
    assert not problems, "; ".join(problems)
