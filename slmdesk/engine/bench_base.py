"""What both backends' benchmark code shares inside the engine process (no inference library)."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int, str], None]
"""``on_progress(done, total, message)``: called between repetitions, outside timed regions."""


class BenchCancelled(Exception):
    """The client cancelled the benchmark; raised between two model calls, caught by the host."""
