"""Error types that separate what a user can act on from programming errors."""

from __future__ import annotations


class SlmdeskError(Exception):
    """Base of every error slmdesk raises on purpose."""


class UserError(SlmdeskError):
    """A failure the user can understand and act on (bad file, full disk, no network).

    ``message`` says what happened; ``hint`` (optional) says what to do about it. The UI
    shows both verbatim, so write them for a person, not a developer.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class Cancelled(SlmdeskError):
    """The user cancelled the work; not an error to report, only a state to show."""
