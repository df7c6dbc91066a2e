"""Spin boxes as the forms build them: a range, a value, and a name for screen readers."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox, QWidget


def int_spin(low: int, high: int, value: int, name: str = "", parent: QWidget | None = None) -> QSpinBox:
    """A QSpinBox over ``[low, high]`` at ``value``; ``name`` is its accessible name and tooltip."""
    box = QSpinBox(parent)
    box.setRange(low, high)
    box.setValue(value)
    if name:
        box.setAccessibleName(name)
        box.setToolTip(name)
    return box


def float_spin(low: float, high: float, value: float, step: float, decimals: int = 2, name: str = "",
               parent: QWidget | None = None) -> QDoubleSpinBox:
    """A QDoubleSpinBox over ``[low, high]`` at ``value`` stepping by ``step``, with ``decimals``
    decimals; ``name`` as for :func:`int_spin`."""
    box = QDoubleSpinBox(parent)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setValue(value)
    if name:
        box.setAccessibleName(name)
        box.setToolTip(name)
    return box
