"""The honest empty state of a pane that a later version of slmdesk fills."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ComingLaterPane(QWidget):
    """Says what the pane will do and that it is not there yet; shows no fake data."""

    def __init__(self, title: str, promise: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(f"<h2>{title}</h2>", self)
        body = QLabel(
            f"{promise}<br><br><i>Coming in a later version of slmdesk.</i>",
            self,
        )
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        body.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addStretch(1)
