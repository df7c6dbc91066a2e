"""Python's cyclic garbage collector, run on the GUI thread only.

CPython runs a collection in whichever thread happens to allocate when generation 0 crosses
its threshold. With job threads and the engine session's thread running Python code, that is
often a worker thread; if the collection frees a reference cycle that holds live QObjects (a
window and the services hanging off it, a ``QSettings``, a ``QThread``), their destructors
run on that worker thread. Qt does not allow it: "QObject::killTimer: Timers cannot be
stopped from another thread", then a segfault. This was seen in this repo's GUI tests, where
each test's window, ``JobRunner`` and ``EngineSession`` end in one cycle (the window keeps
its context, its panes keep bound methods of the window) that a later test's job thread
collected.

:class:`GuiThreadCollector` turns automatic collection off and collects on a timer of the
GUI thread, one generation at a time with the interpreter's own thresholds. The pattern is
pyqtgraph's ``pyqtgraph.util.garbage_collector.GarbageCollector`` (MIT licence).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QThread, QTimer, Slot

INTERVAL_MS = 1000
"""How often the collector looks at the allocation counts (pyqtgraph uses 1 s too)."""


class GuiThreadCollector(QObject):
    """Collects cyclic garbage on the thread it lives in (create it on the GUI thread).

    :meth:`start` disables CPython's automatic collection; :meth:`stop` turns it back on.
    While started, :meth:`collect_due` runs every :data:`INTERVAL_MS` milliseconds.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setObjectName("gc-guard")
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        """Turn automatic collection off and start the timer.

        Raises:
            RuntimeError: called from a thread other than the one this object lives in.
        """
        if QThread.currentThread() is not self.thread():
            raise RuntimeError("start the garbage collector guard on the GUI thread")
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Stop the timer; automatic collection is on again if it was on at :meth:`start`."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    @property
    def active(self) -> bool:
        """True while the timer runs."""
        return self._timer.isActive()

    @Slot()
    def collect_due(self) -> int:
        """Collect the generations whose counts passed their thresholds, youngest first, as
        CPython would; returns the number of unreachable objects found."""
        count0, count1, count2 = gc.get_count()
        found = 0
        if count0 > self._thresholds[0]:
            found += gc.collect(0)
            if count1 > self._thresholds[1]:
                found += gc.collect(1)
                if count2 > self._thresholds[2]:
                    found += gc.collect(2)
        return found
