"""Every colour the UI draws with, by meaning, for light and dark palettes.

Widgets ask for a role (``colour("verdict.good")``), never for a hex value, so a dark system
palette gets colours that read on it. The light values are GitHub Primer's functional colours
(success, attention, severe, danger, muted, accent, done), which meet WCAG AA contrast on white;
the dark values are Primer's dark-theme counterparts on its dark background.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

LIGHT: dict[str, str] = {
    "verdict.good": "#1a7f37",
    "verdict.partial": "#9a6700",
    "verdict.tight": "#bc4c00",
    "verdict.bad": "#cf222e",
    "verdict.unknown": "#57606a",
    "text.warning": "#9a6700",
    "text.error": "#cf222e",
    "text.ok": "#1a7f37",
    "text.muted": "#6e7781",
    "text.role": "#57606a",
    "role.user": "#0550ae",
    "role.assistant": "#1a7f37",
    "role.system": "#8250df",
    "code.background": "#f6f8fa",
    "code.keyword": "#cf222e",
    "code.delimiter": "#8250df",
    "code.string": "#0a3069",
    "code.token": "#116329",
    "code.comment": "#59636e",
    "code.number": "#0550ae",
    "code.name": "#6639ba",
    "fit.weights": "#0969da",
    "fit.kv_cache": "#8250df",
    "fit.compute": "#bf8700",
    "fit.overhead": "#57606a",
    "fit.other": "#6e7781",
    "fit.available": "#cf222e",
    "chart.pp": "#4c72b0",
    "chart.tg": "#dd8452",
    "chart.error_bar": "#222222",
    "ui.window": "#f6f8fa",
    "ui.base": "#ffffff",
    "ui.alternate_base": "#f6f8fa",
    "ui.text": "#1f2328",
    "ui.button": "#eaeef2",
    "ui.mid": "#d0d7de",
    "ui.dark": "#8c959f",
    "ui.highlight": "#0969da",
    "ui.highlighted_text": "#ffffff",
    "ui.link": "#0969da",
    "ui.placeholder": "#6e7781",
    "ui.disabled_text": "#8c959f",
    "ui.tooltip_base": "#ffffff",
    "ui.focus": "#0969da",
}

DARK: dict[str, str] = {
    "verdict.good": "#3fb950",
    "verdict.partial": "#d29922",
    "verdict.tight": "#db6d28",
    "verdict.bad": "#f85149",
    "verdict.unknown": "#8b949e",
    "text.warning": "#d29922",
    "text.error": "#f85149",
    "text.ok": "#3fb950",
    "text.muted": "#8b949e",
    "text.role": "#8b949e",
    "role.user": "#58a6ff",
    "role.assistant": "#3fb950",
    "role.system": "#bc8cff",
    "code.background": "#1c2128",
    "code.keyword": "#ff7b72",
    "code.delimiter": "#d2a8ff",
    "code.string": "#a5d6ff",
    "code.token": "#7ee787",
    "code.comment": "#8b949e",
    "code.number": "#79c0ff",
    "code.name": "#d2a8ff",
    "fit.weights": "#4493f8",
    "fit.kv_cache": "#ab7df8",
    "fit.compute": "#d29922",
    "fit.overhead": "#8b949e",
    "fit.other": "#6e7681",
    "fit.available": "#f85149",
    "chart.pp": "#6e9bd8",
    "chart.tg": "#f0a070",
    "chart.error_bar": "#e6edf3",
    "ui.window": "#0d1117",
    "ui.base": "#161b22",
    "ui.alternate_base": "#1c2128",
    "ui.text": "#e6edf3",
    "ui.button": "#21262d",
    "ui.mid": "#30363d",
    "ui.dark": "#010409",
    "ui.highlight": "#1f6feb",
    "ui.highlighted_text": "#ffffff",
    "ui.link": "#4493f8",
    "ui.placeholder": "#8b949e",
    "ui.disabled_text": "#6e7681",
    "ui.tooltip_base": "#161b22",
    "ui.focus": "#58a6ff",
}


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether ``palette`` (default: the application's) has a dark window background."""
    if palette is None:
        app = QGuiApplication.instance()
        palette = app.palette() if isinstance(app, QGuiApplication) else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def colour_hex(role: str, dark: bool | None = None) -> str:
    """The ``#rrggbb`` of ``role`` for the current (or the given) palette.

    Raises:
        KeyError: an unknown role (a typo is a bug, not a grey default).
    """
    table = DARK if (is_dark() if dark is None else dark) else LIGHT
    return table[role]


def colour(role: str, dark: bool | None = None) -> QColor:
    """:func:`colour_hex` as a QColor."""
    return QColor(colour_hex(role, dark))
