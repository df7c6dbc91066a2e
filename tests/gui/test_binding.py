"""Guards against a PySide6 defect that would crash the app after a few thousand signals."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    happened = Signal(int)


def test_signal_emit_keeps_reference_counts_balanced(qapp) -> None:
    # PySide6 6.12.0 decrefs True on every emit(); on Python 3.11 (True not immortal) the
    # interpreter aborts with "bool_dealloc" once the count reaches zero.
    emitter = _Emitter()
    received: list[int] = []
    emitter.happened.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(2000):
        emitter.happened.emit(i)
    assert len(received) == 2000
    assert abs(sys.getrefcount(True) - before) < 50
