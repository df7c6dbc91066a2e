"""Light, dark and follow-the-system themes: one QPalette built from :mod:`slmdesk.ui.palette`.

The light and dark themes use Qt's Fusion style (the same on every platform, and it draws
every colour from the palette) with the ``ui.*`` roles of :mod:`slmdesk.ui.palette`; the
system theme restores the style and palette the application started with. Widgets that draw
with :func:`slmdesk.ui.palette.colour` re-read their colours on ``QEvent.PaletteChange``, so a
new theme applies without a restart.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from slmdesk.core.settings import THEME_CHOICES
from slmdesk.ui.palette import colour_hex, is_dark

FOCUS_STYLE_SHEET = """
QAbstractItemView:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border: 2px solid {focus}; }}
"""
"""A stronger focus ring on tables, lists and text areas than the styles' faint one-pixel
frame (WCAG 2.2 SC 2.4.13 "Focus Appearance" asks for a 2 px indicator with 3:1 contrast).
These are plain frames, so a style sheet border keeps their look; buttons, line edits, spin
and combo boxes keep the style's own focus ring, drawn in the palette's Highlight colour."""

_system: tuple[str, QPalette] | None = None
_applied: str | None = None


def build_palette(dark: bool) -> QPalette:
    """The QPalette of the light (``dark=False``) or dark theme, every role from
    :mod:`slmdesk.ui.palette`."""
    def c(role: str) -> QColor:
        return QColor(colour_hex(role, dark))

    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: c("ui.window"),
        QPalette.ColorRole.WindowText: c("ui.text"),
        QPalette.ColorRole.Base: c("ui.base"),
        QPalette.ColorRole.AlternateBase: c("ui.alternate_base"),
        QPalette.ColorRole.Text: c("ui.text"),
        QPalette.ColorRole.Button: c("ui.button"),
        QPalette.ColorRole.ButtonText: c("ui.text"),
        QPalette.ColorRole.BrightText: c("text.error"),
        QPalette.ColorRole.Light: c("ui.base"),
        QPalette.ColorRole.Midlight: c("ui.button"),
        QPalette.ColorRole.Mid: c("ui.mid"),
        QPalette.ColorRole.Dark: c("ui.dark"),
        QPalette.ColorRole.Shadow: c("ui.dark"),
        QPalette.ColorRole.Highlight: c("ui.highlight"),
        QPalette.ColorRole.HighlightedText: c("ui.highlighted_text"),
        QPalette.ColorRole.Link: c("ui.link"),
        QPalette.ColorRole.LinkVisited: c("role.system"),
        QPalette.ColorRole.ToolTipBase: c("ui.tooltip_base"),
        QPalette.ColorRole.ToolTipText: c("ui.text"),
        QPalette.ColorRole.PlaceholderText: c("ui.placeholder"),
        QPalette.ColorRole.Accent: c("ui.highlight"),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, c("ui.disabled_text"))
    return palette


def apply_theme(app: QApplication, theme: str) -> str:
    """Give ``app`` the ``theme`` (a :data:`~slmdesk.core.settings.THEME_CHOICES` value; an unknown one counts as
    ``"system"``) and return the theme applied. Every widget gets a ``PaletteChange`` event,
    unless ``theme`` is the one already applied (then nothing happens)."""
    global _system, _applied
    if _system is None:
        _system = (app.style().name(), QPalette(app.palette()))
    chosen = theme if theme in THEME_CHOICES else "system"
    if chosen == _applied:
        return chosen  # a save of other settings: no re-polish, no PaletteChange for every widget
    _applied = chosen
    if chosen == "system":
        app.setStyle(QStyleFactory.create(_system[0]) or app.style())
        app.setPalette(_system[1])
    else:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(build_palette(dark=chosen == "dark"))
    dark = is_dark(app.palette())
    app.setStyleSheet(FOCUS_STYLE_SHEET.format(focus=colour_hex("ui.focus", dark)))
    return chosen
