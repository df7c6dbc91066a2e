"""The Chat pane's export: where to save (a file name every system accepts, in the folder used
last) and the job that writes the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from slmdesk.chat import ChatSession
from slmdesk.chat.session import Renderer
from slmdesk.core.files import safe_file_name
from slmdesk.engine.types import LoadInfo
from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.chat.export import conversation_json, conversation_markdown
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP

EXPORT_FOLDER_KEY = "chat/export_folder"
"""Where the folder of the last export is kept in the window-state settings."""


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name, the save dialog's filter (translated where shown), the file
    suffix and its renderer."""

    name: str
    file_filter: str
    suffix: str
    render: Renderer


MARKDOWN = ExportFormat(
    "Markdown", QT_TRANSLATE_NOOP("ConversationExporter", "Markdown files (*.md)"), ".md", conversation_markdown
)
JSON = ExportFormat(
    "JSON", QT_TRANSLATE_NOOP("ConversationExporter", "JSON files (*.json)"), ".json",
    lambda c, m, model: json.dumps(conversation_json(c, m, model), indent=2),
)


ExportSource = Callable[[], tuple[ChatSession, LoadInfo | None] | None]
"""The conversation on screen and, when its model is the one loaded, the engine's load info
(:meth:`ChatSession.export_task`); None without a conversation."""


class ConversationExporter(QObject):
    """Asks where to export the conversation on screen and writes it in a job.

    The dialog offers the conversation's title as a file name valid on Windows too
    (:func:`~slmdesk.core.files.safe_file_name`), in the folder of the last export: remembered
    in ``state`` (the main window's settings) across sessions, for this object's life without.
    """

    def __init__(
        self, runner: JobRunner, parent: QWidget, source: ExportSource, state: QSettings | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._parent = parent
        self._source = source
        self._state = state
        self._folder: Path | None = None

    @Slot()
    def export_markdown(self) -> int | None:
        """Ask where and save the conversation as Markdown (model, settings and stats in a
        header); returns the job id, None when cancelled or there is no conversation."""
        return self.ask_and_export(MARKDOWN)

    @Slot()
    def export_json(self) -> int | None:
        """Ask where and save the conversation as JSON with the model file's SHA-256,
        quantization, backend and version, sampling parameters and seed; as :meth:`export_markdown`."""
        return self.ask_and_export(JSON)

    def folder(self) -> Path:
        """The folder the next export is offered in: the last one used, else the home folder."""
        if self._state is not None:
            stored = self._state.value(EXPORT_FOLDER_KEY)
            if stored:
                return Path(str(stored))
        return self._folder or Path.home()

    def suggested_path(self, title: str, export_format: ExportFormat) -> Path:
        """The path the save dialog starts with: ``title`` as a safe file name in :meth:`folder`."""
        return self.folder() / safe_file_name(title, export_format.suffix, fallback="conversation")

    def ask_and_export(self, export_format: ExportFormat) -> int | None:
        """Ask where to save the conversation (a modal dialog) and export it there; returns the
        job id, or None when the user cancelled or there is no conversation."""
        source = self._source()
        if source is None:
            return None
        start = self.suggested_path(source[0].conversation().title, export_format)
        caption = self.tr("Export conversation as {format}").format(format=export_format.name)
        path, _ = QFileDialog.getSaveFileName(self._parent, caption, str(start), self.tr(export_format.file_filter))
        return self.export(Path(path), export_format.render) if path else None

    def export(self, path: Path, render: Renderer) -> int | None:
        """Write the conversation to ``path`` as ``render`` formats it, in a job (the model may
        need hashing first); its folder becomes the one offered next. Returns the job id
        (failures show in the Jobs pane), None when there is no conversation."""
        source = self._source()
        if source is None:
            return None
        self._folder = path.parent
        if self._state is not None:
            self._state.setValue(EXPORT_FOLDER_KEY, str(path.parent))
        task = source[0].export_task(path, render, source[1])
        return self._runner.submit(self.tr("Export conversation to {file}").format(file=path.name), task,
                                   resource="io")
