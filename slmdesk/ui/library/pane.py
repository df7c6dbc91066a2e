"""The Library pane: every model artifact the user owns, with filters, details and actions."""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QModelIndex, QSettings, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core.fit import FitEstimate, estimate
from slmdesk.core.tasks import CancelToken, Progress, Task
from slmdesk.formats.detect import read_spec
from slmdesk.hub import starter
from slmdesk.inventory import fit_records, scanners
from slmdesk.inventory.dependents import ArtifactDependents, artifact_dependents
from slmdesk.inventory.lineage import derived_from, lineage_of
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.records import ArtifactRecord, ScanSummary
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.ui.artifacts import ArtifactSourceModel, Badge
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number
from slmdesk.ui.library.deploy_dialog import DeployChoices, DeployDialog, default_folder, export_in_job
from slmdesk.ui.library.details import ArtifactDetails
from slmdesk.ui.library.fit_panel import FitPanel
from slmdesk.ui.library.model import ArtifactTableModel
from slmdesk.ui.library.welcome import WelcomeBanner, missing_starters
from slmdesk.ui.quantize.lineage_panel import Derived
from slmdesk.ui.verdicts import badge_for
from slmdesk.ui.widgets.columns import install_column_chooser
from slmdesk.ui.widgets.flow import FlowLayout
from slmdesk.ui.widgets.scroll import VerticalScrollArea

_FACETS = (
    # (accessible name, first item, column)
    (QT_TRANSLATE_NOOP("LibraryPane", "Format"), QT_TRANSLATE_NOOP("LibraryPane", "Any format"),
     ArtifactTableModel.COL_FORMAT),
    (QT_TRANSLATE_NOOP("LibraryPane", "Quantization"), QT_TRANSLATE_NOOP("LibraryPane", "Any quantization"),
     ArtifactTableModel.COL_QUANT),
    (QT_TRANSLATE_NOOP("LibraryPane", "Source"), QT_TRANSLATE_NOOP("LibraryPane", "Any source"),
     ArtifactTableModel.COL_SOURCE),
    (QT_TRANSLATE_NOOP("LibraryPane", "Status"), QT_TRANSLATE_NOOP("LibraryPane", "Any status"),
     ArtifactTableModel.COL_STATUS),
)

HIDDEN_COLUMNS_KEY = "library/hidden_columns"
"""Window-state key of the Library table's hidden columns (:mod:`slmdesk.ui.widgets.columns`)."""
DEFAULT_HIDDEN_COLUMNS = {
    ArtifactTableModel.COL_CTX, ArtifactTableModel.COL_ARCH, ArtifactTableModel.COL_FORMAT,
    ArtifactTableModel.COL_SOURCE, ArtifactTableModel.COL_ADDED,
}
"""Shown on request (header menu): the rest fit a 1440x900 window without a horizontal scroll
bar; the details panel shows them all for the selected model."""


def _tr(text: str) -> str:
    """``text`` (a ``QT_TRANSLATE_NOOP("LibraryPane", ...)`` literal) in the interface language."""
    return QCoreApplication.translate("LibraryPane", text)


def configure_table(view: QTableView) -> None:
    """Table settings that keep 10,000 rows fast: fixed row heights, no row header."""
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    vertical = view.verticalHeader()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(26)
    vertical.hide()
    horizontal = view.horizontalHeader()
    horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    horizontal.setStretchLastSection(True)
    view.setColumnWidth(ArtifactTableModel.COL_NAME, 220)
    view.setColumnWidth(ArtifactTableModel.COL_FIT, 110)
    for column in (ArtifactTableModel.COL_PARAMS, ArtifactTableModel.COL_SIZE, ArtifactTableModel.COL_STATUS):
        view.setColumnWidth(column, 80)


class LibraryPane(QWidget):
    """Artifacts table with a text filter and facets, a details panel, and the actions:
    add files or a folder, rescan, verify checksum, remove, delete from disk, open in Chat or
    Benchmark, open in Quantize. Inventory work runs as jobs; the pane refreshes when they finish.

    ``state`` keeps the table's column choice (the main window's window-state file; in memory
    when None)."""

    open_in_chat_requested = Signal(int)
    open_in_bench_requested = Signal(int)
    quantize_requested = Signal(int)  # source artifact id
    compare_requested = Signal(int, int)  # base (source) id, variant id
    selection_changed = Signal(object)  # ArtifactRecord | None
    records_changed = Signal()

    def __init__(
        self, inventory: Inventory, runner: JobRunner, paths: AppPaths, parent: QWidget | None = None,
        plans: LoadPlanStore | None = None, artifacts: ArtifactSourceModel | None = None,
        state: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._runner = runner
        self._paths = paths
        self._state = state
        self.artifacts = artifacts or ArtifactSourceModel(inventory, runner, self)
        """The shared source model of artifacts (the main window's; its own when alone)."""
        self._reselect: int | None = None
        self._estimates: dict[int, FitEstimate] = {}
        """This machine's latest estimate per artifact, with the plan it was made for."""

        self.model = ArtifactTableModel(self, source=self.artifacts)
        # Every reset of the Library's rows (new records, a filter, a facet) keeps the selected
        # model when it is still shown; when it is not, the details and buttons let go of it.
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        self.artifacts.records_changed.connect(self._on_records_changed)

        # Widgets are built in reading order (top to bottom, left to right): that is the tab order.
        title = QLabel(self.tr("<h2>Library</h2>"), self)
        self.add_files_button = QPushButton(self.tr("Add files…"), self)
        self.add_files_button.clicked.connect(self.add_files)
        self.add_folder_button = QPushButton(self.tr("Add folder…"), self)
        self.add_folder_button.clicked.connect(self.add_folder)
        self.rescan_button = QPushButton(self.tr("Rescan"), self)
        self.rescan_button.setToolTip(self.tr("Scan every known folder again (F5)"))
        self.rescan_button.clicked.connect(self.rescan)
        top_row = QHBoxLayout()
        top_row.addWidget(title)
        top_row.addStretch(1)
        for button in (self.add_files_button, self.add_folder_button, self.rescan_button):
            top_row.addWidget(button)

        self.welcome = WelcomeBanner(paths.models, self)
        self.welcome.add_starter_requested.connect(self.add_starter)
        self.welcome.scan_defaults_requested.connect(self.scan_default_locations)
        self.starter_buttons = self.welcome.starter_buttons
        self.dismiss_welcome_button = self.welcome.dismiss_button

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(self.tr("Filter by name, architecture, quantization, source (Ctrl+F)"))
        self.filter_edit.setAccessibleName(self.tr("Filter models"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.model.set_text)
        self.facet_combos: dict[int, QComboBox] = {}
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_edit, 2)
        for label, _any, column in _FACETS:
            combo = QComboBox(self)
            combo.setAccessibleName(self.tr("Filter by {facet}").format(facet=_tr(label).lower()))
            combo.setMinimumWidth(100)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            combo.currentIndexChanged.connect(self._on_facet_changed)
            self.facet_combos[column] = combo
            filter_row.addWidget(combo, 1)

        # The selected model's actions wrap onto a second row in a narrow window.
        self.actions_bar = QWidget(self)
        bar = self.actions_bar
        self.chat_button = QPushButton(self.tr("Open in Chat"), bar)
        self.chat_button.clicked.connect(self._on_open_chat)
        self.bench_button = QPushButton(self.tr("Open in Benchmark"), bar)
        self.bench_button.clicked.connect(self._on_open_bench)
        self.quantize_button = QPushButton(self.tr("Open in Quantize"), bar)
        self.quantize_button.setToolTip(self.tr("Make a smaller GGUF or an ONNX model from this one"))
        self.quantize_button.clicked.connect(self._on_open_quantize)
        self.deploy_button = QPushButton(self.tr("Export deployment…"), bar)
        self.deploy_button.setToolTip(
            self.tr("Write the files to serve this model with Ollama, llama-server, vLLM, Kubernetes"))
        self.deploy_button.clicked.connect(self._on_export_deployment)
        self.verify_button = QPushButton(self.tr("Verify checksum"), bar)
        self.verify_button.setToolTip(self.tr("Compute the SHA-256 of the model's files"))
        self.verify_button.clicked.connect(self.verify_selected)
        self.remove_button = QPushButton(self.tr("Remove"), bar)
        self.remove_button.setToolTip(self.tr("Forget the selected model; its files stay on disk"))
        self.remove_button.setAccessibleName(self.tr("Remove from the library"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.delete_button = QPushButton(self.tr("Delete from disk…"), bar)
        self.delete_button.clicked.connect(self.delete_selected)
        actions = FlowLayout(bar)
        for button in (self.chat_button, self.bench_button, self.quantize_button, self.deploy_button,
                       self.verify_button, self.remove_button, self.delete_button):
            actions.addWidget(button)

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Models"))
        configure_table(self.table)
        install_column_chooser(self.table, self._state, HIDDEN_COLUMNS_KEY, DEFAULT_HIDDEN_COLUMNS)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.table.doubleClicked.connect(self._on_double_clicked)

        self.details = ArtifactDetails(self)
        self.details.verify_requested.connect(self.verify)
        self.details.lineage.quantize_requested.connect(self.quantize_requested)
        self.details.lineage.compare_requested.connect(self.compare_requested)
        self.details.lineage.delete_variant_requested.connect(self.delete_variant)
        fit_scroll = VerticalScrollArea(self)  # a short window scrolls the facts instead of overlapping them
        fit_scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a tab stop of its own, as the Details tab
        fit_scroll.setAccessibleName(self.tr("Fit"))
        self.fit_panel = FitPanel(paths, runner, inventory, fit_scroll, plans=plans)
        self.plans = self.fit_panel.plans
        fit_scroll.setWidget(self.fit_panel)
        self.details.tabs.insertTab(0, fit_scroll, self.tr("Fit"))
        self.details.tabs.setCurrentIndex(0)
        self.fit_panel.estimated.connect(self._on_estimated)
        self.fit_panel.defaults_saved.connect(self._on_plan_saved)
        self.fit_panel.machine_probed.connect(self._on_machine_probed)
        self.count_label = QLabel(self)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([700, 500])

        layout = QVBoxLayout(self)
        layout.addLayout(top_row)
        layout.addWidget(self.welcome)
        layout.addLayout(filter_row)
        layout.addWidget(self.actions_bar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.count_label)

        QShortcut(QKeySequence.StandardKey.Find, self, self.filter_edit.setFocus)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.rescan)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, self.remove_selected)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.refresh()

    # -- first run ------------------------------------------------------------------------
    def missing_starters(self) -> list[starter.StarterModel]:
        """The starter models this installation can offer that the library does not hold yet."""
        return missing_starters(self.model.all_records(), self._paths.models)

    # -- data -----------------------------------------------------------------------------
    @Slot()
    def refresh(self, then: Callable[[], None] | None = None) -> int | None:
        """Reload every record from the inventory in a job (the shared source model's: 10,000
        rows take about half a second to read, the GUI thread must not wait for them); keeps
        the selection. ``records_changed`` is emitted, and ``then`` called, when the table
        shows the new records. Returns the job id.
        """
        return self.artifacts.refresh(then)

    @Slot()
    def _remember_selection(self) -> None:
        selected = self.selected_record()
        self._reselect = selected.id if selected is not None else None

    @Slot()
    def _restore_selection(self) -> None:
        if self._reselect is None or not self.select(self._reselect):
            self._on_current_changed(QModelIndex(), QModelIndex())

    @Slot()
    def _on_records_changed(self) -> None:
        self._refresh_facets()
        self.welcome.update_for(self.model.all_records())
        if self.selected_record() is None and self.model.rowCount():
            self.select(self.model.record(0).id)
        self.records_changed.emit()
        self.update_badges()

    @Slot(int, object)
    def _on_estimated(self, artifact_id: int, result: FitEstimate) -> None:
        if self.fit_panel.profile_combo.currentIndex() == 0:  # badges are for this machine
            self.model.set_verdict(artifact_id, badge_for(result))

    @Slot(int)
    def _on_plan_saved(self, artifact_id: int) -> None:
        # The panel's estimate is the saved plan's; it is this machine's only on its profile.
        result = self.fit_panel.result
        if result is not None and self.fit_panel.profile_combo.currentIndex() == 0:
            self._estimates[artifact_id] = result

    def estimate_for(self, artifact_id: int) -> FitEstimate | None:
        """This machine's latest estimate for the artifact's saved (or default) load plan,
        None before the badges were computed. Its ``gpu_layers`` is what "automatic" GPU
        layers loads with."""
        return self._estimates.get(artifact_id)

    def update_badges(self) -> int | None:
        """Estimate every loadable artifact on this machine with its load defaults, in a job,
        and show the verdict badges. Waits for the machine probe the first time."""
        machine = self.fit_panel.machine_profile()
        if machine is None:
            self.fit_panel.probe_machine()  # badges follow in _on_machine_probed
            return None
        records = [r for r in self.model.all_records() if r.loadable]
        plans = {r.id: self.plans.plan_for(r.id, r.context_length) for r in records}
        specs = self.fit_panel._specs
        inventory = self._inventory
        estimates = self._estimates
        estimating = self.tr("Estimating {name}")

        def task(token: CancelToken) -> Generator[Progress, None, dict[int, Badge]]:
            verdicts: dict[int, Badge] = {}
            # A new fingerprint (more RAM, a new GPU) is a new profile: estimates are recomputed.
            profile_id = fit_records.save_hardware_profile(inventory, machine)
            for index, record in enumerate(records):
                token.raise_if_cancelled()
                yield Progress(index / max(1, len(records)), estimating.format(name=record.display_name))
                try:
                    spec = specs.get(record.id) or read_spec(record.path)
                    specs[record.id] = spec
                    result = estimate(spec, plans[record.id].fit_options(), machine)
                    fit_records.save_fit_estimate(inventory, record.id, profile_id, result)
                    estimates[record.id] = result
                    verdicts[record.id] = badge_for(result)
                except Exception:  # noqa: BLE001 - an unreadable header just gets no badge
                    continue
            return verdicts

        def show(job: Job) -> None:
            if job.state is JobState.SUCCEEDED:
                self.model.set_verdicts(job.result)

        return self._runner.submit(self.tr("Estimate fit"), task, resource="io", on_done=show, background=True)

    @Slot(object)
    def _on_machine_probed(self, _profile: object) -> None:
        self.update_badges()

    def is_refreshing(self) -> bool:
        """True while a reload of the records is under way."""
        return self.artifacts.loading

    def _refresh_facets(self) -> None:
        for _label, any_text, column in _FACETS:
            combo = self.facet_combos[column]
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(_tr(any_text), None)
            for value in self.model.facet_values(column):
                combo.addItem(value, value)
            index = combo.findData(current) if current else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    @Slot(int)
    def _on_facet_changed(self, _index: int) -> None:
        for column, combo in self.facet_combos.items():
            self.model.set_facet(column, combo.currentData())

    def selected_record(self) -> ArtifactRecord | None:
        """The artifact in the current row, if any."""
        index = self.table.currentIndex()
        return self.model.record(index.row()) if index.isValid() else None

    def select(self, artifact_id: int) -> bool:
        """Select the row of an artifact; False if it is not shown."""
        row = self.model.row_of(artifact_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    @Slot(QModelIndex, QModelIndex)
    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record = self.model.record(current.row()) if current.isValid() else None
        self.details.show_record(record)
        self.fit_panel.set_artifact(record)
        has = record is not None
        loadable = record is not None and record.loadable
        for button in (self.remove_button, self.delete_button):
            button.setEnabled(has)
        self.verify_button.setEnabled(record is not None and record.status != "missing")
        self.chat_button.setEnabled(loadable)
        self.bench_button.setEnabled(loadable)
        self.quantize_button.setEnabled(record is not None and record.status == "ok"
                                        and record.format in ("gguf", "hf"))
        self.deploy_button.setEnabled(record is not None and record.status == "ok" and record.format in ("gguf", "hf"))
        if record is not None:
            self.read_lineage(record.id)
        self.selection_changed.emit(record)

    def read_lineage(self, artifact_id: int) -> int:
        """Read how an artifact was made and what was made from it, in a job, and show it in
        the details' Lineage tab (if it is still the selected artifact); returns the job id."""
        inventory = self._inventory

        def read() -> tuple[object, object, list[Derived]]:
            made = next(iter(lineage_of(inventory, artifact_id)), None)
            source = inventory.get_artifact(made.source_artifact_id) if made and made.source_artifact_id else None
            derived = [Derived(row, inventory.get_artifact(row.artifact_id))
                       for row in derived_from(inventory, artifact_id)]
            return made, source, derived

        def show(job: Job) -> None:
            selected = self.selected_record()
            if job.state is JobState.SUCCEEDED and selected is not None and selected.id == artifact_id:
                made, source, derived = job.result
                self.details.lineage.show_lineage(selected, made, source, derived)

        return self._runner.submit_call(self.tr("Read lineage"), read, resource="db-read", on_done=show,
                                        background=True)

    @Slot()
    def _update_count(self, *_args: object) -> None:
        total = len(self.model.all_records())
        shown = self.model.rowCount()
        if shown != total:
            text = self.tr("{shown} of %Ln model(s) shown", "", total).format(shown=format_number(shown))
        else:
            text = self.tr("%Ln model(s)", "", total)
        self.count_label.setText(text)

    # -- actions --------------------------------------------------------------------------
    def _submit(self, title: str, task: Task, on_done: Callable[[Job], None] | None = None) -> int:
        def finished(job: Job) -> None:
            self.refresh(then=(lambda: on_done(job)) if on_done is not None else None)

        return self._runner.submit(title, task, resource="db", on_done=finished)

    def scan(self, paths: list[Path]) -> int:
        """Adopt files or folders (by reference) in a job; returns the job id."""
        names = ", ".join(p.name for p in paths[:3]) + ("…" if len(paths) > 3 else "")
        return self._submit(self.tr("Scan {names}").format(names=names),
                            scanners.scan_task(self._inventory, paths, mark_missing=False),
                            on_done=self._select_first_found)

    def _select_first_found(self, job: Job) -> None:
        if job.state is JobState.SUCCEEDED and isinstance(job.result, ScanSummary) and job.result.artifact_ids:
            self.select(job.result.artifact_ids[0])

    @Slot()
    def add_files(self) -> None:
        """Pick GGUF files to adopt."""
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Add model files"), str(Path.home()), self.tr("GGUF models (*.gguf);;All files (*)")
        )
        if files:
            self.scan([Path(f) for f in files])

    @Slot()
    def add_folder(self) -> None:
        """Pick a folder to scan recursively; it is remembered for rescans."""
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of models"), str(Path.home()))
        if folder:
            path = Path(folder)
            self._inventory.add_scan_root(path, "folder")
            self.scan([path])

    @Slot()
    def rescan(self) -> int:
        """Scan every known folder: new files are added, vanished ones marked missing."""
        return self._submit(self.tr("Rescan the library"), scanners.rescan_task(self._inventory))

    @Slot()
    def scan_default_locations(self) -> int:
        """Register and scan LM Studio, GPT4All, Ollama and Hugging Face cache folders."""
        scanners.ensure_default_scan_roots(self._inventory, Path.home(), extra=[self._paths.models])
        return self.rescan()

    def add_starter(self, model: starter.StarterModel) -> int:
        """Make a starter model ready (offline) and add it to the inventory."""
        inventory = self._inventory
        prepare = starter.prepare_task(model, self._paths.models)

        def task(token: CancelToken) -> Generator[Progress, None, ScanSummary]:
            path = yield from prepare(token)  # checks the published SHA-256
            summary = yield from scanners.scan_task(inventory, [path], mark_missing=False)(token)
            record = inventory.find_by_path(path)
            if record is not None:
                inventory.set_source(record.id, "starter", starter.provenance(model))
                inventory.set_verified(record.id, model.sha256)
            return summary

        return self._submit(self.tr("Add {name}").format(name=model.display_name), task,
                            on_done=self._select_first_found)

    @Slot()
    def verify_selected(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.verify(record.id)

    @Slot(int)
    def verify(self, artifact_id: int) -> int:
        """Hash the artifact's files in a job and store the SHA-256."""
        record = self._inventory.get_artifact(artifact_id)
        name = record.display_name if record else str(artifact_id)
        return self._runner.submit(
            self.tr("Verify {name}").format(name=name), scanners.verify_task(self._inventory, artifact_id),
            resource="io",
            on_done=self._refresh_after,  # shows the new checksum
        )

    def _refresh_after(self, _job: Job) -> None:
        self.refresh()

    @Slot()
    def remove_selected(self) -> None:
        """Forget the selected artifact (files stay on disk) after a confirmation that says
        what is forgotten with it and what is kept."""
        record = self.selected_record()
        if record is None:
            return
        dependents = artifact_dependents(self._inventory, record.id)
        answer = QMessageBox.question(
            self,
            self.tr("Remove from the library"),
            self.tr("Remove {name} from the library? Its files stay on disk.").format(name=record.display_name)
            + "\n\n" + self.dependents_text(dependents),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._inventory.remove_artifact(record.id)
        self._forget(record.id)
        self.refresh()

    def dependents_text(self, dependents: ArtifactDependents) -> str:
        """Two sentences for a confirmation: what is forgotten with an artifact, what is kept."""
        forgotten = [text for count, text in (
            (dependents.load_plan, self.tr("its load settings")),
            (dependents.estimates, self.tr("%n fit estimate(s)", "", dependents.estimates)),
            (dependents.measurements, self.tr("%n memory measurement(s)", "", dependents.measurements)),
        ) if count]
        kept = [text for count, text in (
            (dependents.benchmark_runs, self.tr("%n benchmark run(s), with the model's name and SHA-256", "",
                                                dependents.benchmark_runs)),
            (dependents.conversations, self.tr("%n conversation(s)", "", dependents.conversations)),
        ) if count]
        separator = self.tr(", ", "between the items of a list")
        lines = [self.tr("Forgotten with it: {items}.").format(items=separator.join(forgotten)) if forgotten
                 else self.tr("Nothing else is forgotten with it.")]
        if kept:
            lines.append(self.tr("Kept: {items}.").format(items=separator.join(kept)))
        return " ".join(lines)

    def _forget(self, artifact_id: int) -> None:
        """Drop what this process remembers about a removed artifact (the database let go of
        it in the same transaction as the artifact row)."""
        self.plans.forget(artifact_id)
        self._estimates.pop(artifact_id, None)
        self.fit_panel.forget(artifact_id)

    @Slot()
    def delete_selected(self) -> None:
        """Delete the selected artifact's files from disk after a confirmation naming them."""
        record = self.selected_record()
        if record is not None:
            self.delete_artifact(record)

    @Slot(int)
    def delete_variant(self, artifact_id: int) -> None:
        """Delete a variant (from the Lineage tab) from disk, after the same confirmation."""
        record = self.artifacts.find(artifact_id) or self._inventory.get_artifact(artifact_id)
        if record is not None:
            self.delete_artifact(record)

    def delete_artifact(self, record: ArtifactRecord) -> None:
        """Delete an artifact's files from disk after a confirmation naming them."""
        files = "\n".join(str(f) for f in record.files)
        dependents = artifact_dependents(self._inventory, record.id)
        answer = QMessageBox.warning(
            self,
            self.tr("Delete from disk"),
            self.tr("Delete {name} ({size}) from disk?").format(name=record.display_name,
                                                                 size=format_bytes(record.size_bytes))
            + f"\n\n{files}\n\n" + self.dependents_text(dependents) + "\n\n" + self.tr("This cannot be undone."),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._inventory.delete_artifact_files(record.id)
        except Exception as error:  # noqa: BLE001 - shown to the user, app stays up
            QMessageBox.critical(self, self.tr("Delete failed"), str(error))
        else:
            self._forget(record.id)
        self.refresh()

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and self.chat_button.isEnabled():
            self._on_open_chat()

    @Slot()
    def _on_open_chat(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.open_in_chat_requested.emit(record.id)

    @Slot()
    def _on_open_bench(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.open_in_bench_requested.emit(record.id)

    @Slot()
    def _on_open_quantize(self) -> None:
        record = self.selected_record()
        if record is not None:
            self.quantize_requested.emit(record.id)

    # -- deployment export ----------------------------------------------------------------
    @Slot()
    def _on_export_deployment(self) -> None:
        record = self.selected_record()
        if record is None:
            return
        dialog = DeployDialog(record, default_folder(record, Path.home()), self)
        if dialog.exec() == DeployDialog.DialogCode.Accepted:
            self.export_deployment(record, dialog.choices())
        dialog.deleteLater()

    def export_deployment(self, record: ArtifactRecord, choices: DeployChoices) -> int:
        """Write the deployment files of ``record`` in a job, then offer to open the folder;
        "automatic" GPU layers use this machine's estimate. Returns the job id."""
        estimate = self._estimates.get(record.id)
        layers = estimate.gpu_layers if estimate is not None else None
        return export_in_job(self._runner, self._inventory, self.plans, record, choices, layers,
                             on_done=partial(self._on_deployment_written, folder=choices.folder))

    def _on_deployment_written(self, job: Job, folder: Path) -> None:
        if job.state is JobState.FAILED:
            QMessageBox.warning(self, self.tr("Export deployment"), f"{job.error}\n\n{job.hint}".strip())
        elif job.state is JobState.SUCCEEDED:
            answer = QMessageBox.question(
                self, self.tr("Export deployment"),
                self.tr("Wrote %n file(s) into {folder}; its README.md says how to apply them.", "",
                        len(job.result)).format(folder=folder)
                + "\n\n" + self.tr("Open the folder?"),
            )
            if answer == QMessageBox.StandardButton.Yes:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
