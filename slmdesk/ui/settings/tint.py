"""Coloured message labels of the Settings pane that follow a theme change."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from slmdesk.ui.palette import colour_hex

ROLE_PROPERTY = "slmdesk_colour_role"
"""The dynamic property that holds a label's :mod:`slmdesk.ui.palette` role ("" for none)."""


def tint(label: QLabel, role: str | None) -> None:
    """Colour ``label``'s text with the palette ``role`` ("text.error", "text.ok"...; None: the
    palette's own text colour), remembered for :func:`retint`."""
    label.setProperty(ROLE_PROPERTY, role or "")
    label.setStyleSheet(f"color: {colour_hex(role)};" if role else "")


def retint(root: QWidget) -> None:
    """Re-apply every tinted label's colour below ``root`` for the current palette (after a
    ``QEvent.PaletteChange``: the light and dark tables differ)."""
    for label in root.findChildren(QLabel):
        role = label.property(ROLE_PROPERTY)
        if role:
            label.setStyleSheet(f"color: {colour_hex(str(role))};")
