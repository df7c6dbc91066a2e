"""Resident memory of the current process: the engine reports its own peak for the fit check."""

from __future__ import annotations

import sys
from pathlib import Path

_STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_bytes() -> int:
    """Peak resident set size of this process, in bytes.

    Linux: ``VmHWM`` from ``/proc/self/status`` (the kernel's high-water mark, proc(5)).
    Elsewhere: psutil's ``peak_wset`` (Windows), else ``ru_maxrss`` (KiB on Linux, bytes on
    macOS, getrusage(2)), else the current RSS.
    """
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    try:
        import psutil

        info = psutil.Process().memory_info()
        peak = getattr(info, "peak_wset", None)
        if peak:
            return int(peak)
    except Exception:  # noqa: BLE001 - psutil is a best-effort fallback
        pass
    try:
        import resource

        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(maxrss if sys.platform == "darwin" else maxrss * 1024)
    except (ImportError, OSError):
        return current_rss_bytes()


def current_rss_bytes() -> int:
    """Current resident set size of this process, in bytes (``VmRSS``, else psutil)."""
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib * 1024
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except Exception:  # noqa: BLE001
        return 0
