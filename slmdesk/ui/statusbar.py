"""The live machine summary in the status bar: RAM, CPU and GPU usage."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import QLabel, QWidget

from slmdesk.core.units import format_bytes
from slmdesk.hardware.live import LiveUsage, UsageSampler

REFRESH_MS = 2000
"""Refresh period; two seconds keeps the figure live without flicker (qutebrowser uses 0.5-2 s)."""


def usage_text(usage: LiveUsage) -> str:
    """``'RAM 5.1 GiB / 23.5 GiB · CPU 12% · GPU none'`` for the status bar."""
    parts = [
        f"RAM {format_bytes(usage.ram_used_bytes)} / {format_bytes(usage.ram_total_bytes)}",
        f"CPU {usage.cpu_percent:.0f}%",
    ]
    if usage.gpus:
        for gpu in usage.gpus:
            util = "" if gpu.utilisation_percent is None else f" {gpu.utilisation_percent:.0f}%"
            parts.append(
                f"{gpu.name}{util} VRAM {format_bytes(gpu.memory_used_bytes)} / "
                f"{format_bytes(gpu.memory_total_bytes)}"
            )
    else:
        parts.append("GPU none")
    return " · ".join(parts)


class UsageLabel(QLabel):
    """A status-bar label refreshed every :data:`REFRESH_MS` milliseconds."""

    def __init__(self, sampler: UsageSampler, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sampler = sampler
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Sample and show current usage."""
        self.setText(usage_text(self._sampler.sample()))
