"""The Catalog pane: the curated offline catalog, recommendations and the Hugging Face Hub, each
with the fit on a chosen profile before any download, and the downloads themselves."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QLabel, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from slmdesk.core.errors import UserError
from slmdesk.core.fit import FitEstimate, Verdict
from slmdesk.hub.catalog import Catalog, QuantAssessment, assess_catalog, load_catalog
from slmdesk.hub.recommend import Recommendation, recommend
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.ui.artifacts import ArtifactSourceModel
from slmdesk.ui.catalog.curated_view import CuratedView
from slmdesk.ui.catalog.downloads import DownloadController, DownloadsView
from slmdesk.ui.catalog.hub_view import HubView
from slmdesk.ui.catalog.models import (
    CuratedModel,
    CuratedRow,
    HubResultsModel,
    RepoItemsModel,
    format_ctx,
)
from slmdesk.ui.catalog.recommend_view import RecommendView
from slmdesk.ui.catalog.target import TargetBar
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number
from slmdesk.ui.verdicts import verdict_text
from slmdesk.ui.widgets.columns import install_column_chooser

TABS = (QT_TRANSLATE_NOOP("CatalogPane", "Curated"), QT_TRANSLATE_NOOP("CatalogPane", "Recommend"),
        QT_TRANSLATE_NOOP("CatalogPane", "Hub"))
"""The tabs' keys (:meth:`CatalogPane.show_tab`), in English; their titles are these, translated."""
HIDDEN_COLUMNS = {
    "catalog/curated_hidden_columns": {CuratedModel.COL_PARAMS, CuratedModel.COL_PUBLISHER, CuratedModel.COL_LICENSE,
                                       CuratedModel.COL_TASKS},
    "catalog/hub_hidden_columns": {HubResultsModel.COL_LIKES, HubResultsModel.COL_LIBRARY},
    "catalog/repo_hidden_columns": {RepoItemsModel.COL_SHA},
}
"""Window-state keys of the tables' hidden columns (:mod:`slmdesk.ui.widgets.columns`, a right
click on a header picks them) and the columns hidden until then, so that the rest fit a
1024-pixel-wide window: the curated facets filter by the hidden ones and the model name's
tooltip lists them; a file's SHA-256 is checked on download whether shown or not."""
RESOURCE = "catalog"
"""Runner resource of the catalog's reading and assessment (one at a time; the newest target wins)."""


class CatalogPane(QWidget):
    """Tabs over the curated catalog, the recommendations and the Hub, a target (profile and
    n_ctx) shared by all three, and the downloads below. The catalog is read at once (about
    10 ms); it is assessed in a job (0.1-0.7 s) once the pane is first shown and again for each
    new target; ``assessed`` follows each new set of verdicts."""

    assessed = Signal()
    download_finished = Signal(int)  # artifact id, once the Library's model holds it

    def __init__(self, runner: JobRunner, paths: AppPaths, inventory: Inventory | None = None,
                 artifacts: ArtifactSourceModel | None = None, state: QSettings | None = None,
                 parent: QWidget | None = None, catalog: Catalog | None = None) -> None:
        super().__init__(parent)
        started = time.perf_counter()
        self._runner = runner
        self._state = state
        self._catalog = catalog
        self._generation = 0
        self._shown = False
        self._shown_at = started
        self.timings_ms: dict[str, float] = {}
        """Milliseconds: "rows", construction with the catalog's rows; "verdicts", from the first
        show to the first verdicts (this machine's probe included when it is the target)."""
        self._started = started
        self.artifacts = artifacts or ArtifactSourceModel(inventory, runner, self)

        self.target = TargetBar(runner, paths, self, state=state)
        self.target.target_changed.connect(self.reassess)
        self.tabs = QTabWidget(self)  # before its pages: Tab reaches the tab bar before a page's widgets
        self.tabs.setAccessibleName(self.tr("Catalog views"))
        self.curated = CuratedView(self)
        self.recommend = RecommendView(self)
        self.hub = HubView(runner, self)
        for view, key in ((self.curated.table, "catalog/curated_hidden_columns"),
                          (self.hub.table, "catalog/hub_hidden_columns"),
                          (self.hub.repo_view.table, "catalog/repo_hidden_columns")):
            install_column_chooser(view, state, key, HIDDEN_COLUMNS[key])
        for widget, name in zip((self.curated, self.recommend, self.hub), TABS, strict=True):
            self.tabs.addTab(widget, QCoreApplication.translate("CatalogPane", name))
        self.tabs.setTabToolTip(0, self.tr("The curated catalog: works offline"))
        self.tabs.setTabToolTip(1, self.tr("The best quantization of each family that fits the chosen profile"))
        self.tabs.setTabToolTip(2, self.tr("Search the Hugging Face Hub (needs the network)"))
        self.downloads = DownloadController(runner, inventory, self.artifacts, self)
        self.downloads_view = DownloadsView(self.downloads, self)
        self.downloads_view.hide()
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.downloads_view)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        self.title_label = QLabel(self.tr("<h2>Catalog</h2>"), self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.target)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status_label)

        self.curated.download_requested.connect(self._on_curated_download)
        self.recommend.download_requested.connect(self._on_recommend_download)
        self.hub.repo_view.download_requested.connect(self._on_repo_download)
        self.downloads.download_finished.connect(self.download_finished)
        self.artifacts.records_changed.connect(self._mark_owned)
        self.target.target_changed.connect(self._on_target_for_repo)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_filter)
        if state is not None:
            saved = str(state.value("catalog/tab", 0))
            self.tabs.setCurrentIndex(min(len(TABS) - 1, int(saved)) if saved.isdigit() else 0)
        self._load_catalog()

    def _load_catalog(self) -> None:
        """Read the catalog here, on the GUI thread: about 10 ms for 27 models (measured); the
        assessment, 0.1-0.7 s, waits for the pane to be shown and runs in a job."""
        if self._catalog is None:
            try:
                self._catalog = load_catalog()
            except UserError as error:
                self.status_label.setText(f"{error.message} {error.hint}")
                return
        self.curated.set_catalog(self._catalog.models)
        self._mark_owned()
        self.timings_ms["rows"] = (time.perf_counter() - self._started) * 1000

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:  # the first look: assess (and probe this machine) only now
            self._shown = True
            self._shown_at = time.perf_counter()
            self.reassess()

    # -- the catalog and its verdicts ------------------------------------------------------
    @Slot()
    def reassess(self) -> int | None:
        """Assess the catalog on the chosen target in a job (a newer target supersedes an older
        one); waits for this machine's probe when that is the target. Returns the new generation,
        None when there is nothing to assess yet (never shown, no catalog, this machine not probed yet)."""
        self._generation += 1
        generation = self._generation
        if not self._shown:
            return None  # the first show assesses
        profile, n_ctx, catalog = self.target.profile(), self.target.n_ctx(), self._catalog
        if catalog is None or profile is None:
            return None  # target_changed follows the probe
        self.status_label.setText(self.tr("Checking every model on {profile} with n_ctx {n_ctx}…").format(
            profile=self.target.profile_name(), n_ctx=format_number(n_ctx)))

        def work() -> tuple[tuple[QuantAssessment, ...], list[Recommendation]]:
            return assess_catalog(catalog, profile, n_ctx), recommend(catalog, profile, n_ctx)

        self._runner.submit_call(self.tr("Assess the model catalog"), work, resource=RESOURCE, background=True,
                                 on_done=lambda job: self._on_assessed(generation, job, catalog, n_ctx))
        return generation

    def _on_assessed(self, generation: int, job: Job, catalog: Catalog, n_ctx: int) -> None:
        if generation != self._generation:
            return
        if job.state is not JobState.SUCCEEDED:
            self.status_label.setText(f"{job.error} {job.hint}".strip())
            return
        assessments, recommendations = job.result
        self.curated.model.set_assessments(assessments)
        profile_name = self.target.profile_name()
        target = self.tr("{profile} with n_ctx {n_ctx}").format(profile=profile_name, n_ctx=format_number(n_ctx))
        self.recommend.set_recommendations(recommendations, target, profile_name)
        self.status_label.setText(self.tr("Catalog of {date}: %n model(s); fit for {target}.", "",
                                          len(catalog.models)).format(date=catalog.date, target=target))
        self.timings_ms.setdefault("verdicts", (time.perf_counter() - self._shown_at) * 1000)
        self.assessed.emit()

    @property
    def catalog(self) -> Catalog | None:
        """The catalog once read."""
        return self._catalog

    @Slot()
    def _mark_owned(self) -> None:
        """Mark curated rows whose file the inventory holds (by file name, and repository when known)."""
        held: dict[str, set[str]] = {}
        for record in self.artifacts.records():
            repo = str(record.source_detail.get("repo_id") or "")
            held.setdefault(record.path.name.casefold(), set()).add(repo)
        owned = set()
        for row in self.curated.model.rows():
            for file in row.quant.files[:1]:
                repos = held.get(file.path.rsplit("/", 1)[-1].casefold())
                if repos is not None and (file.repo_id in repos or "" in repos):
                    owned.add(row.key)
        self.curated.model.set_owned(owned)

    # -- downloads -------------------------------------------------------------------------
    def _confirm(self, name: str, size_bytes: int, verdict: Verdict | None, detail: str) -> bool:
        """Ask before a download: the size and the fit; a warning when it will not fit."""
        where = self.target.profile_name() if self.target.profile() else self.tr("the chosen profile")
        if verdict is not None:
            fit = self.tr("Fit: {verdict} on {profile}.").format(
                verdict=verdict_text(verdict, sentence=True), profile=where)
        else:
            fit = self.tr("Fit on {profile}: not known yet.").format(profile=where)
        question = self.tr("Download {name} ({size})?").format(name=name, size=format_bytes(size_bytes))
        text = f"{question}\n\n{fit} {detail}".strip()
        if verdict is Verdict.WILL_NOT_FIT:
            warning = self.tr("It will not load with this context. Download anyway?")
            answer = QMessageBox.warning(
                self, self.tr("This model will not fit"), f"{text}\n\n{warning}",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        else:
            answer = QMessageBox.question(self, self.tr("Download?"), text)
        return answer == QMessageBox.StandardButton.Yes

    @Slot(object)
    def _on_curated_download(self, row: CuratedRow) -> None:
        self.download_curated(row)

    def download_curated(self, row: CuratedRow) -> int | None:
        """Confirm and download a curated quantization (all its files); returns the download's
        row, None when declined."""
        assessment = row.assessment
        first = row.quant.files[0]
        detail = "" if assessment is None else self.tr("Largest context that fits: {n_ctx}.").format(
            n_ctx=format_ctx(assessment.max_ctx))
        name = f"{row.model.name} {row.quant.name}"
        if not self._confirm(name, row.quant.size_bytes, assessment.verdict if assessment else None, detail):
            return None
        return self._start(first.repo_id, first.path)

    @Slot(object)
    def _on_recommend_download(self, item: Recommendation) -> None:
        row = CuratedRow(item.assessment.model, item.assessment.quant, item.assessment)
        self.download_curated(row)

    @Slot(str, str, str, int, object)
    def _on_repo_download(self, repo_id: str, path: str, commit: str, size_bytes: int,
                          fit: FitEstimate | None) -> None:
        detail = "" if fit is None else self.tr("Largest context that fits: {n_ctx}.").format(
            n_ctx=format_ctx(fit.max_ctx))
        if self._confirm(path.rsplit("/", 1)[-1], size_bytes, fit.verdict if fit else None, detail):
            self._start(repo_id, path, commit or "main")

    def _start(self, repo_id: str, path: str, revision: str = "main") -> int:
        row = self.downloads.start(repo_id, path, revision)
        self.downloads_view.show()
        return row

    # -- keyboard, tabs, state --------------------------------------------------------------
    @Slot()
    def focus_filter(self) -> None:
        """Ctrl+F: the search or filter box of the tab on screen."""
        box = (self.curated.filter_edit, self.recommend.filter_edit, self.hub.query_edit)[self.tabs.currentIndex()]
        box.setFocus()
        box.selectAll()

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        if self._state is not None:
            self._state.setValue("catalog/tab", index)
        if TABS[index] == "Hub":
            self.hub.update_offline_notice()

    @Slot()
    def _on_target_for_repo(self) -> None:
        self.hub.repo_view.set_target(self.target.profile(), self.target.n_ctx())

    def show_tab(self, name: str) -> None:
        """Switch to the tab called ``name`` ("Curated", "Recommend", "Hub")."""
        self.tabs.setCurrentIndex(TABS.index(name))
