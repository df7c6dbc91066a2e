"""The live machine summary in the status bar: RAM, CPU and GPU usage."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTimer, Slot
from PySide6.QtWidgets import QLabel, QWidget

from slmdesk.hardware.live import LiveUsage, UsageSampler
from slmdesk.ui.i18n import format_bytes, format_percent

REFRESH_MS = 2000
"""Refresh period; two seconds keeps the figure live without flicker (qutebrowser uses 0.5-2 s)."""


def usage_text(usage: LiveUsage) -> str:
    """``'RAM 5.1 GiB / 23.5 GiB · CPU 12% · GPU none'`` for the status bar (in the interface
    language and its number format)."""
    parts = [
        QCoreApplication.translate("UsageLabel", "RAM {used} / {total}").format(
            used=format_bytes(usage.ram_used_bytes), total=format_bytes(usage.ram_total_bytes)),
        QCoreApplication.translate("UsageLabel", "CPU {percent}").format(percent=format_percent(usage.cpu_percent)),
    ]
    if usage.gpus:
        for gpu in usage.gpus:
            memory = QCoreApplication.translate("UsageLabel", "VRAM {used} / {total}").format(
                used=format_bytes(gpu.memory_used_bytes), total=format_bytes(gpu.memory_total_bytes))
            if gpu.utilisation_percent is None:
                parts.append(f"{gpu.name} {memory}")
            else:
                parts.append(f"{gpu.name} {format_percent(gpu.utilisation_percent)} {memory}")
    else:
        parts.append(QCoreApplication.translate("UsageLabel", "GPU none"))
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
        self.setAccessibleName(self.tr("Memory, CPU and GPU use"))
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Sample and show current usage."""
        self.setText(usage_text(self._sampler.sample()))
