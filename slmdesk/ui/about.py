"""The About dialog: what slmdesk is and the versions of everything it runs on."""

from __future__ import annotations

import html

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from slmdesk.hardware.versions import component_versions, package_version


def about_rows() -> list[tuple[str, str]]:
    """Component versions including Qt and PySide6 (those need Qt, so they are added here)."""
    rows = component_versions()
    rows.insert(2, ("Qt", f"{qVersion()} (PySide6 {package_version('PySide6') or '?'})"))
    return rows


class AboutDialog(QDialog):
    """Versions of slmdesk, Python, Qt, llama.cpp and onnxruntime-genai, selectable for bug reports."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About slmdesk")
        rows = "".join(
            f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(value)}</td></tr>"
            for name, value in about_rows()
        )
        label = QLabel(
            "<h2>slmdesk</h2><p>Small language models on your own machine: find, fit, download, "
            "quantize, chat and benchmark, offline.</p>"
            f"<table cellspacing='6'>{rows}</table>",
            self,
        )
        label.setTextInteractionFlags(label.textInteractionFlags().TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
