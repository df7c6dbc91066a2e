"""The Hub tab: a debounced search of the Hugging Face Hub, paged on scroll, beside the repo view."""

from __future__ import annotations

import html
import os
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core import offline
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.catalog.curated_view import configure_table
from slmdesk.ui.catalog.models import HubResultsModel
from slmdesk.ui.catalog.repo_view import RESOURCE, RepoView
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP
from slmdesk.ui.widgets.tinted import TintedLabel

DEBOUNCE_MS = 300
"""Typing pauses this long (ms) before a search is sent."""
PAGE_SIZE = 30

_SORTS = ((QT_TRANSLATE_NOOP("HubView", "Most downloaded"), "downloads"),
          (QT_TRANSLATE_NOOP("HubView", "Most liked"), "likes"),
          (QT_TRANSLATE_NOOP("HubView", "Recently updated"), "last_modified"))
_FORMATS = (("GGUF", "gguf"), ("ONNX", "onnx"), (QT_TRANSLATE_NOOP("HubView", "Any format"), None))


class HubView(QWidget):
    """Search box, format and sort, the results table (the next page loads when it is scrolled to
    the end) and the repo view of the selected result. Requests run as jobs on the "hub"
    resource; an answer to a query that has since changed is dropped (a queued one cancelled).
    In offline mode the tab says so and asks nothing."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._generation = 0
        self._pending: int | None = None
        self._cursor: str | None = None
        self.page_size = PAGE_SIZE
        self.dropped_answers = 0
        """Answers that arrived after their query changed (they are not shown)."""
        self._offline_shown = False
        self.query_edit = QLineEdit(self)
        self.query_edit.setPlaceholderText(self.tr("Search the Hugging Face Hub (Ctrl+F)"))
        self.query_edit.setAccessibleName(self.tr("Search the Hugging Face Hub"))
        self.query_edit.setClearButtonEnabled(True)
        self.format_combo = QComboBox(self)
        self.format_combo.setAccessibleName(self.tr("File format"))
        self.format_combo.setToolTip(self.tr("Only repositories with files in this format"))
        for text, key in _FORMATS:
            self.format_combo.addItem(QCoreApplication.translate("HubView", text), key)
        self.sort_combo = QComboBox(self)
        self.sort_combo.setAccessibleName(self.tr("Sort order"))
        self.sort_combo.setToolTip(self.tr("The order the Hub lists the results in"))
        for text, key in _SORTS:
            self.sort_combo.addItem(QCoreApplication.translate("HubView", text), key)
        self.notice_label = TintedLabel(self)
        self.notice_label.setWordWrap(True)
        self.notice_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # fills the tab offline
        self.notice_label.setTextFormat(Qt.TextFormat.RichText)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = HubResultsModel(self)
        self.model.more_requested.connect(self.fetch_next_page)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Hub search results"))
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.setSortingEnabled(False)  # the Hub sorts; a local sort would mix pages
        for column, width in ((HubResultsModel.COL_DOWNLOADS, 95), (HubResultsModel.COL_LIKES, 55),
                              (HubResultsModel.COL_UPDATED, 90), (HubResultsModel.COL_LIBRARY, 70),
                              (HubResultsModel.COL_GATED, 75)):
            self.table.setColumnWidth(column, width)
        header = self.table.horizontalHeader()  # the name takes what the figures leave (elided, in full in its tooltip)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(HubResultsModel.COL_REPO, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.activated.connect(self._on_activated)
        self.repo_view = RepoView(runner, self)

        self._debounce = QTimer(self)
        self._debounce.setObjectName("catalog-hub-debounce")
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)
        self.query_edit.textChanged.connect(self._schedule)
        self.format_combo.currentIndexChanged.connect(self._schedule)
        self.sort_combo.currentIndexChanged.connect(self._schedule)

        controls = QHBoxLayout()
        controls.addWidget(self.query_edit, 3)
        controls.addWidget(self.format_combo)
        controls.addWidget(self.sort_combo)
        results = QWidget(self)
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.table)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(results)
        self.splitter.addWidget(self.repo_view)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1000, 1000])  # halves from the start (scaled to the width), not the size hints
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.notice_label)
        layout.addWidget(self.splitter, 1)
        self.update_offline_notice()

    # -- searching ---------------------------------------------------------------------------
    def hub_is_off(self) -> bool:
        """True in offline mode (slmdesk's, or ``HF_HUB_OFFLINE`` set outside it): the tab says so
        and sends nothing."""
        return self._offline_reason() is not None

    def _offline_reason(self) -> str | None:
        """Why the Hub is off, and how to turn it on again (the facts of
        :meth:`slmdesk.core.offline.OfflineState.describe` in the interface language); None when on."""
        state = offline.current()
        if state.on:
            if state.setting and state.forced:
                why = self.tr("Offline mode is on (Settings and --offline or SLMDESK_OFFLINE=1).")
            elif state.forced:
                why = self.tr("Offline mode is on (--offline or SLMDESK_OFFLINE=1).")
            else:
                why = self.tr("Offline mode is on (Settings).")
            steps = []
            if state.forced:
                steps.append(self.tr("To connect, run without --offline and with SLMDESK_OFFLINE unset."))
            if state.setting:
                steps.append(self.tr('To connect, clear Settings > Offline mode (or set "offline_mode": false '
                                     "in the settings file)."))
            return " ".join((why, *steps))
        if any(offline.is_true(os.environ.get(name)) for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")):
            return self.tr("HF_HUB_OFFLINE is set in the environment, so huggingface_hub refuses to connect. "
                           "Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE and restart slmdesk to use the Hub.")
        return None

    @Slot()
    def update_offline_notice(self) -> bool:
        """When the Hub is off, hide its search and results and show the notice in their place (and
        the reverse when it is on again); returns whether it is off."""
        reason = self._offline_reason()
        for widget in (self.query_edit, self.format_combo, self.sort_combo, self.splitter):
            widget.setHidden(reason is not None)
        if reason is not None:
            # The notice replaces an earlier error (a theme change does not bring it back).
            self.notice_label.setText(self.tr("<b>The Hub is off.</b> {reason} The Curated and Recommend tabs "
                                              "work offline.").format(reason=html.escape(reason)))
            self.notice_label.setToolTip(reason)
            self.notice_label.show()
            self._offline_shown = True
        elif self._offline_shown:
            self._offline_shown = False
            self._show_notice("")
            self.notice_label.hide()
        return reason is not None

    def _show_notice(self, text: str) -> None:
        """Plain text in the notice line (it replaces an error)."""
        self.notice_label.setText(html.escape(text))
        self.notice_label.setToolTip("")
        if text:
            self.notice_label.show()

    def _show_error(self, message: str, hint: str) -> None:
        """An error in the notice line, its message in the palette's error colour (again after a
        theme change)."""
        self.notice_label.set_error(message, hint)
        self.notice_label.show()

    @Slot()
    def _schedule(self) -> None:
        self._debounce.start()

    def query(self) -> tuple[str, str | None, str]:
        """(text, format or None, sort) as chosen."""
        return self.query_edit.text().strip(), self.format_combo.currentData(), str(self.sort_combo.currentData())

    @Slot()
    def search_now(self) -> int | None:
        """Send the first page of the current query (a new query: earlier answers are dropped);
        returns the job id, None when nothing was sent (offline, or nothing to search for)."""
        self._debounce.stop()
        self._generation += 1
        self._drop_pending()
        self.model.reset()
        self._cursor = None
        if self.update_offline_notice():
            return None
        text, formats, _sort = self.query()
        if not text and formats is None:
            self._show_notice(self.tr("Type a word from a model's name, or pick GGUF or ONNX to browse."))
            return None
        return self._request(None)

    @Slot()
    def fetch_next_page(self) -> int | None:
        """Ask for the next page of the current query (the view reached the end)."""
        if self._cursor is None or self._pending is not None or self.hub_is_off():
            self.model.set_loading(False)
            return None
        return self._request(self._cursor)

    def _request(self, cursor: str | None) -> int:
        text, formats, sort = self.query()
        generation, page_size = self._generation, self.page_size
        self.model.set_loading(True)
        self._show_notice(self.tr("Searching…") if cursor is None else self.tr("Loading more…"))

        def search() -> Any:
            from slmdesk.hub.search import search_page

            return search_page(text, formats=formats, sort=sort, page_size=page_size, cursor=cursor)

        title = self.tr("Search the Hub for {query}").format(query=text or formats)
        self._pending = self._runner.submit_call(title, search, resource=RESOURCE, background=True,
                                                 on_done=lambda job: self._on_page(generation, job))
        return self._pending

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._runner.cancel(self._pending)  # a queued request goes; a running one is dropped on arrival
            self._pending = None

    def _on_page(self, generation: int, job: Job) -> None:
        if generation != self._generation:
            if job.state is not JobState.CANCELLED:
                self.dropped_answers += 1
            return
        self._pending = None
        if job.state is JobState.CANCELLED:
            self.model.set_loading(False)
            return
        if job.state is not JobState.SUCCEEDED:
            self.model.set_loading(False)
            self._show_error(job.error, job.hint)
            return
        page = job.result
        self._cursor = page.next_cursor
        self.model.append_page(page.models, page.next_cursor is not None)
        count = self.model.rowCount()
        if not count:
            self._show_notice(self.tr("No repository matches."))
        elif self._cursor:
            self._show_notice(self.tr("%n result(s), more when you scroll down", "", count))
        else:
            self._show_notice(self.tr("%n result(s)", "", count))

    # -- selection ---------------------------------------------------------------------------
    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.repo_view.open_repo(self.model.hub_model(current.row()).repo_id)

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.repo_view.table.setFocus()
