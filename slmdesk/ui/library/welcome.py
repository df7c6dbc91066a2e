"""The Library's welcome banner: the starter models this machine can add without a download,
and the other apps' model folders it could adopt."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from slmdesk.hub import starter
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.stores import default_store_locations
from slmdesk.ui.i18n import format_bytes
from slmdesk.ui.widgets.flow import FlowLayout


def missing_starters(records: Sequence[ArtifactRecord], models_dir: Path) -> list[starter.StarterModel]:
    """The starter models this installation can offer that ``records`` do not hold yet
    (matched by their published SHA-256 or by the path they are made ready at)."""
    hashes = {r.sha256 for r in records if r.sha256}
    paths = {str(r.path) for r in records}
    missing = []
    for model in starter.STARTER_MODELS:
        if not starter.available(model) or model.sha256 in hashes:
            continue
        location = starter.locate(model, models_dir)
        if location is None or str(location) not in paths:
            missing.append(model)
    return missing


class WelcomeBanner(QFrame):
    """On an empty library: every starter model and "Scan other apps' folders". Later: each
    starter model not added yet, until "Not now" hides the banner for this run.

    Signals:
        add_starter_requested(StarterModel): a starter button was pressed.
        scan_defaults_requested(): "Scan other apps' folders" was pressed.
    """

    add_starter_requested = Signal(object)
    scan_defaults_requested = Signal()

    def __init__(self, models_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models_dir = models_dir
        self._dismissed = False
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        layout.addWidget(self.text)
        # The buttons wrap onto more rows in a narrow window.
        buttons = QWidget(self)
        row = FlowLayout(buttons)
        self.starter_buttons: dict[str, QPushButton] = {}
        for model in starter.STARTER_MODELS:
            if model.has_chat_template:
                text = self.tr("Add {name} ({quantization}, {size})")
            else:
                text = self.tr("Add {name} ({quantization}, {size}, base model)")
            button = QPushButton(text.format(name=model.name, quantization=model.quantization,
                                             size=format_bytes(model.size_bytes)), buttons)
            button.setEnabled(starter.available(model))
            if not button.isEnabled():
                button.setToolTip(self.tr("Install the {package} package to offer this model").format(
                    package=model.distribution))
            button.clicked.connect(lambda _=False, m=model: self.add_starter_requested.emit(m))
            self.starter_buttons[model.key] = button
            row.addWidget(button)
        self.scan_defaults_button = QPushButton(self.tr("Scan other apps' folders"), buttons)
        self.scan_defaults_button.clicked.connect(self.scan_defaults_requested)
        row.addWidget(self.scan_defaults_button)
        self.dismiss_button = QPushButton(self.tr("Not now"), buttons)
        self.dismiss_button.setToolTip(self.tr("Hide this offer until slmdesk starts again"))
        self.dismiss_button.setAccessibleName(self.tr("Not now: hide the starter models"))
        self.dismiss_button.clicked.connect(self.dismiss)
        row.addWidget(self.dismiss_button)
        layout.addWidget(buttons)
        self.defaults_label = QLabel(self)
        self.defaults_label.setWordWrap(True)
        layout.addWidget(self.defaults_label)
        self.hide()  # shown once the first read of the inventory says what to offer

    def update_for(self, records: Sequence[ArtifactRecord]) -> list[starter.StarterModel]:
        """Show what fits ``records`` (every artifact of the library); returns the starters offered."""
        empty = not records
        missing = missing_starters(records, self._models_dir)
        keys = {model.key for model in missing}
        self.setVisible((empty or bool(missing)) and not self._dismissed)
        for key, button in self.starter_buttons.items():
            button.setVisible(empty or key in keys)
        self.scan_defaults_button.setVisible(empty)
        self.defaults_label.setVisible(empty)
        self.dismiss_button.setVisible(not empty)
        if empty:
            self.text.setText(self.tr(
                "<b>Your library is empty.</b> Add a small starter model that is already on this "
                "machine (no download), or adopt the models other apps keep: they are used where "
                "they lie, never copied."
            ))
            found = default_store_locations(Path.home())
            self.scan_defaults_button.setEnabled(bool(found))
            places = ", ".join(self.tr("{kind} at {path}").format(kind=loc.kind, path=loc.path) for loc in found)
            self.defaults_label.setText(
                self.tr("Found: {places}").format(places=places)
                if found
                else self.tr("No LM Studio, GPT4All, Ollama or Hugging Face cache folders were found.")
            )
        else:
            self.text.setText(self.tr("Another starter model is on this machine, ready to add (no download):"))
        return missing

    @Slot()
    def dismiss(self) -> None:
        """Hide the banner until the app starts again."""
        self._dismissed = True
        self.hide()
