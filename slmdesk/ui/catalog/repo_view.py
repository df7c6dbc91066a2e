"""The repo view: one Hub repository's items (split sets as one, mmproj marked) with their sizes,
SHA-256 and, for the selected GGUF item, the fit read from its remote header."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from slmdesk.core.errors import UserError
from slmdesk.core.fit import estimate
from slmdesk.core.profiles import HardwareProfile
from slmdesk.hub.catalog import fit_options
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.catalog.curated_view import configure_table
from slmdesk.ui.catalog.models import RepoItemsModel, item_kind
from slmdesk.ui.widgets.elided import ElidedLabel
from slmdesk.ui.widgets.tinted import TintedLabel

RESOURCE = "hub"
"""The runner resource of Hub searches (one at a time: a person waits for the newest)."""
REPO_RESOURCE = "hub-repo"
"""The runner resource of repository listings and header reads (beside a search, one at a time)."""


class RepoView(QWidget):
    """Lists a repository (a job), reads the selected GGUF item's header (a job, cached) and shows
    its fit on the profile given by :meth:`set_target`. ``download_requested`` carries
    (repo_id, first file path, commit, size in bytes, FitEstimate or None)."""

    download_requested = Signal(str, str, str, int, object)
    listing_shown = Signal(str)  # repo_id

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._profile: HardwareProfile | None = None
        self._n_ctx = 4096
        self._listing: Any = None
        self._repo_id = ""
        self._generation = 0
        self._specs: dict[tuple[str, str], Any] = {}
        self.title_label = ElidedLabel("", self, Qt.TextElideMode.ElideMiddle, selectable=True)  # long names elide
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.facts_label = QLabel(self)
        self.facts_label.setWordWrap(True)
        self.notice_label = TintedLabel(self.tr("Select a search result to see its files."), self)
        self.notice_label.setWordWrap(True)
        self.model = RepoItemsModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Files of the repository"))
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.setSortingEnabled(False)
        for column, width in ((RepoItemsModel.COL_KIND, 95), (RepoItemsModel.COL_SIZE, 75),
                              (RepoItemsModel.COL_SHA, 100), (RepoItemsModel.COL_FIT, 110),
                              (RepoItemsModel.COL_MAX_CTX, 90), (RepoItemsModel.COL_TG, 100)):
            self.table.setColumnWidth(column, width)
        header = self.table.horizontalHeader()  # the item takes what the figures leave (elided, in full in its tooltip)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(RepoItemsModel.COL_LABEL, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.table.activated.connect(self._on_activated)
        self.download_button = QPushButton(self.tr("Download…"), self)
        self.download_button.setAccessibleName(self.tr("Download the selected file"))
        self.download_button.setToolTip(self.tr("Download the selected file from the repository (Enter)"))
        self.download_button.setEnabled(False)
        self.download_button.clicked.connect(self.download_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.notice_label, 1)
        buttons.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.facts_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    # -- inputs ------------------------------------------------------------------------------
    def set_target(self, profile: HardwareProfile | None, n_ctx: int) -> None:
        """Compute fits for ``profile`` at ``n_ctx`` (headers already read are not read again)."""
        self._profile, self._n_ctx = profile, n_ctx
        self._fit_rows_with_specs()

    def open_repo(self, repo_id: str) -> int:
        """List ``repo_id`` in a job; returns the job id."""
        self._generation += 1
        generation = self._generation
        self._repo_id, self._listing = repo_id, None
        self.model.set_items(())
        self.title_label.setText(repo_id)
        self.facts_label.clear()
        self.facts_label.setToolTip("")
        self._show_notice(self.tr("Listing the repository…"))
        self.download_button.setEnabled(False)

        def list_it() -> Any:
            from slmdesk.hub.repo import list_repo

            return list_repo(repo_id)

        title = self.tr("List {repo}").format(repo=repo_id)
        return self._runner.submit_call(title, list_it, resource=REPO_RESOURCE, background=True,
                                        on_done=lambda job: self._on_listed(generation, job))

    def _on_listed(self, generation: int, job: Job) -> None:
        if generation != self._generation:
            return
        if job.state is not JobState.SUCCEEDED:
            self._show_error(job.error, job.hint)
            return
        listing = job.result
        self._listing = listing
        self.model.set_items(listing.items)
        facts = [self.tr("License: {license}").format(license=listing.license or self.tr("not stated"))]
        if listing.gated:
            facts.append(self.tr("gated: accept its terms on the Hub and set a token"))
        if getattr(listing, "private", False):
            facts.append(self.tr("private"))
        facts.append(self.tr("commit {commit}").format(commit=str(listing.commit)[:10]))
        self.facts_label.setText(" · ".join(facts))
        self.facts_label.setToolTip(self.tr("commit {commit}").format(commit=listing.commit))
        self._show_notice(self.tr("%n item(s)", "", len(listing.items)) if listing.items else
                          self.tr("No GGUF or ONNX model in this repository."))
        self.listing_shown.emit(listing.repo_id)
        if self.model.rowCount():
            self.table.selectRow(0)

    def _show_notice(self, text: str) -> None:
        """Plain text under the table (it replaces an error)."""
        self.notice_label.setText(html.escape(text))
        self.notice_label.setToolTip("")

    def _show_error(self, message: str, hint: str) -> None:
        """An error, its message in the palette's error colour (again after a theme change)."""
        self.notice_label.set_error(message, hint, "<br>")

    # -- selection and fit --------------------------------------------------------------------
    def selected_row(self) -> int | None:
        """The selected item's row, None for none."""
        index = self.table.currentIndex()
        return index.row() if index.isValid() else None

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self._listing is None:
            self.download_button.setEnabled(False)
            return
        item = self.model.item(current.row())
        kind = item_kind(item)
        self.download_button.setEnabled(kind in ("GGUF", "mmproj"))
        if kind != "GGUF" or self.model.fit(current.row()) is not None:
            return
        key = (self._listing.repo_id, item.first_path)
        if key in self._specs:
            self._fit_row(current.row())
            return
        self.model.set_fit(current.row(), self.tr("Reading header…"))
        listing, row, generation = self._listing, current.row(), self._generation

        def read() -> Any:
            from slmdesk.hub.remote_gguf import read_remote_spec

            return read_remote_spec(listing.repo_id, item.first_path, listing.commit, size_bytes=item.size_bytes)

        title = self.tr("Read the header of {path}").format(path=item.first_path)
        self._runner.submit_call(title, read, resource=REPO_RESOURCE, background=True,
                                 on_done=lambda job: self._on_spec(generation, row, key, job))

    def _on_spec(self, generation: int, row: int, key: tuple[str, str], job: Job) -> None:
        if generation != self._generation:
            return
        if job.state is JobState.SUCCEEDED:
            self._specs[key] = job.result
            self._fit_row(row)
        else:
            self.model.set_fit(row, self.tr("No header"))
            self._show_error(job.error, job.hint)

    def _fit_row(self, row: int) -> None:
        spec = self._specs.get((self._repo_id, self.model.item(row).first_path))
        if spec is None or self._profile is None:
            return
        try:
            result = estimate(spec, fit_options(min(self._n_ctx, spec.context_length or self._n_ctx)), self._profile)
        except UserError as error:
            self.model.set_fit(row, self.tr("No estimate"))
            self._show_error(error.message, error.hint)
            return
        self.model.set_fit(row, result)

    def _fit_rows_with_specs(self) -> None:
        for row in range(self.model.rowCount()):
            if (self._repo_id, self.model.item(row).first_path) in self._specs:
                self._fit_row(row)

    # -- download -----------------------------------------------------------------------------
    @Slot()
    def download_selected(self) -> None:
        """Ask to download the selected item (``download_requested``)."""
        row = self.selected_row()
        if row is None or self._listing is None:
            return
        item = self.model.item(row)
        fit = self.model.fit(row)
        self.download_requested.emit(self._listing.repo_id, item.first_path, str(self._listing.commit),
                                     int(item.size_bytes), None if isinstance(fit, str) else fit)

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid() and self.download_button.isEnabled():
            self.download_selected()
