"""A message label coloured with a :mod:`slmdesk.ui.palette` role that follows a theme change."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

from slmdesk.ui.palette import colour_hex


class TintedLabel(QLabel):
    """A QLabel for status, warning and error messages.

    :meth:`set_role` colours the whole text with a palette role ("text.error", "text.ok"...;
    None: the palette's own text colour). :meth:`set_error` shows an error as rich text: the
    escaped message in the ``text.error`` colour, then the escaped hint, the full text in the
    tooltip. The light and dark palettes have different colours for a role, so the label
    re-applies its colour itself on a ``QEvent.PaletteChange`` (a theme change).
    """

    def __init__(self, text: str | QWidget | None = "", parent: QWidget | None = None, *,
                 role: str | None = None) -> None:
        """``TintedLabel(parent)`` or ``TintedLabel(text, parent)`` as a QLabel, optionally
        coloured with ``role`` already."""
        if isinstance(text, QWidget):
            super().__init__("", text)
        else:
            super().__init__(text or "", parent)
        self._role: str | None = None
        self._error: tuple[str, str, str] | None = None
        if role:
            self.set_role(role)

    def role(self) -> str | None:
        """The palette role of the text colour, None for the normal text colour."""
        return self._role

    def set_role(self, role: str | None) -> None:
        """Colour the text with the palette ``role`` (None or "": the normal text colour)."""
        self._role = role or None
        self._apply_role()

    def set_error(self, message: str, hint: str, separator: str = " ") -> None:
        """Show ``message`` (escaped) in the palette's error colour, then ``separator`` (" ",
        "<br>") and ``hint`` (escaped); the tooltip gets both as plain text. A later
        :meth:`setText` or :meth:`clear` replaces the error."""
        self._error = (message, hint, separator)
        self._render_error()
        self.setToolTip(f"{message}\n{hint}".strip())

    def has_error(self) -> bool:
        """Whether the label shows an error of :meth:`set_error`."""
        return self._error is not None

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        """Show ``text``; it replaces an error of :meth:`set_error`."""
        self._error = None
        super().setText(text)

    def clear(self) -> None:
        self._error = None
        super().clear()

    def _apply_role(self) -> None:
        sheet = f"color: {colour_hex(self._role)};" if self._role else ""
        if self.styleSheet() != sheet:  # setting a style sheet sends a PaletteChange itself
            self.setStyleSheet(sheet)

    def _render_error(self) -> None:
        if self._error is None:
            return
        message, hint, separator = self._error
        markup = (f"<span style='color:{colour_hex('text.error')}'>{html.escape(message)}</span>"
                  f"{separator}{html.escape(hint)}")
        super().setText(markup)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the colours of the new theme
            self._apply_role()
            self._render_error()
