"""The Benchmark pane: pick models and a preset, queue runs, read results, charts, compare, export."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QSettings,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slmdesk.bench import export
from slmdesk.bench.results import BenchResult, latest_per_artifact, load_results
from slmdesk.bench.runner import bench_task, target_from_record
from slmdesk.bench.settings import BenchSettings
from slmdesk.bench.stats import noise_notes
from slmdesk.core.errors import UserError
from slmdesk.core.profiles import HardwareProfile
from slmdesk.engine.client import EngineClient
from slmdesk.inventory import benchmarks
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.ui.artifacts import ArtifactSourceModel, LoadableArtifacts
from slmdesk.ui.bench.model import ResultRole
from slmdesk.ui.bench.queue import RESOURCE, BenchQueueView
from slmdesk.ui.bench.results_view import BenchResultsView
from slmdesk.ui.bench.serving_view import LocalEndpoint, ServingBenchView
from slmdesk.ui.bench.settings_form import BenchSettingsForm
from slmdesk.ui.i18n import format_number, format_percent
from slmdesk.ui.jobs.model import JobIdRole
from slmdesk.ui.widgets.elided import ElidedLabel
from slmdesk.ui.widgets.scroll import VerticalScrollArea


class ModelChecklist(QListView):
    """The models to benchmark, a few rows tall by default (the settings form gets the height first)."""

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), 5 * self.fontMetrics().height() + 2 * self.frameWidth() + 8)


class BenchmarkPane(QWidget):
    """Benchmark models from the inventory with llama-bench's definitions.

    Left: models (checkable), preset (quick, standard, custom with every setting), Run and
    Cancel, and the run queue with progress. Right: the results table (every stored run,
    sortable; select rows to chart, two to compare, any to export or delete), the speed chart
    (grouped pp/tg bars with ±stdev error bars), the history chart, and the comparison of two
    selected runs. Runs go through the job runner on resource :data:`RESOURCE` (one at a time);
    each is stored in the inventory when it finishes.

    Args:
        inventory: the inventory (artifacts to pick, runs stored and read).
        runner: the job runner.
        paths: application paths (engine log, hardware cache).
        client_factory: builds the engine client of one configuration (default: an
            ``EngineClient`` logging to ``paths.logs / "engine.log"``); each run starts and
            closes its own engine process.
        profile: the hardware profile to record and estimate against; None probes this
            machine in each run (cached after the first probe).
        local_endpoint: slmdesk's local API server as ``(base URL, key)`` while it runs, for the
            Serving tab's "Local server" button (:class:`ServingBenchView`).
        state: the window-state settings (the tables' chosen columns); default: in memory only.
    """

    results_changed = Signal()
    run_finished = Signal(object)  # tuple[BenchResult, ...]
    run_failed = Signal(str, str)  # message, hint

    def __init__(
        self,
        inventory: Inventory,
        runner: JobRunner,
        paths: AppPaths,
        client_factory: Callable[[], EngineClient] | None = None,
        profile: HardwareProfile | None = None,
        parent: QWidget | None = None,
        plans: LoadPlanStore | None = None,
        artifacts: ArtifactSourceModel | None = None,
        local_endpoint: LocalEndpoint | None = None,
        state: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._runner = runner
        self._paths = paths
        self._plans = plans or LoadPlanStore(inventory)
        self._client_factory = client_factory
        self._profile = profile
        self._refreshing = 0
        self._owns_artifacts = artifacts is None
        self.artifacts = artifacts or ArtifactSourceModel(inventory, runner, self)
        """The shared source model of artifacts (the main window's; its own when alone)."""
        self._pending_selection: set[int] | None = None
        self._jobs: set[int] = set()
        # Made first so that its tab bar comes first in the tab order, as on screen.
        self.modes = QTabWidget(self)
        self.modes.setAccessibleName(self.tr("Benchmark mode"))

        # -- models to benchmark
        self.artifact_model = LoadableArtifacts(self.artifacts, checkable=True, parent=self)
        self.artifact_list = ModelChecklist(self)
        self.artifact_list.setModel(self.artifact_model)
        self.artifact_list.setAccessibleName(self.tr("Models to benchmark"))
        self.artifact_list.setAccessibleDescription(self.tr("Check the models to benchmark"))
        self.artifact_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.artifact_model.checked_changed.connect(self._update_buttons)
        self.artifacts.records_changed.connect(self._on_artifacts_changed)

        # -- view parts: settings form, queue, results
        self.form = BenchSettingsForm(self)
        # The form's controls, as the controller and the tests use them.
        form = self.form
        self.preset_combo, self.threads_edit, self.fa_combo, self.kv_combo = (
            form.preset_combo, form.threads_edit, form.fa_combo, form.kv_combo)
        self.pp_spin, self.tg_spin, self.reps_spin, self.depth_spin = (
            form.pp_spin,
            form.tg_spin,
            form.reps_spin,
            form.depth_spin,
        )
        self.batch_spin, self.ubatch_spin, self.ctx_spin, self.gpu_spin = (
            form.batch_spin, form.ubatch_spin, form.ctx_spin, form.gpu_spin)
        self.fit_check, self.ttft_check = form.fit_check, form.ttft_check
        self.run_button = QPushButton(self.tr("Run benchmark"), self)
        self.run_button.setToolTip(self.tr("Queue one benchmark per checked model"))
        self.run_button.clicked.connect(self.start_runs)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setToolTip(
            self.tr("Cancel the selected queued or running benchmark (all of them if none is selected)")
        )
        self.cancel_button.setAccessibleName(self.tr("Cancel benchmarks"))
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.queue_view = BenchQueueView(runner, self)
        self.queue_source, self.queue_model = self.queue_view.queue_source, self.queue_view.queue_model
        # Elided to the column's width, one line per message, the whole text in the tooltip: a long
        # message never squeezes the queue (which keeps MIN_VISIBLE_ROWS rows).
        self.fit_label = ElidedLabel("", self, Qt.TextElideMode.ElideRight, selectable=True)
        self.fit_label.setAccessibleName(self.tr("Measured generation speed against the fit estimate"))
        self.status_label = ElidedLabel("", self, Qt.TextElideMode.ElideRight, selectable=True)
        self.status_label.setAccessibleName(self.tr("Benchmark status"))

        self.results = BenchResultsView(self, state)
        part = self.results
        self.results_model, self.results_proxy, self.results_view = (
            part.results_model,
            part.results_proxy,
            part.results_view,
        )
        self.compare_button, self.export_button, self.delete_button = (
            part.compare_button,
            part.export_button,
            part.delete_button,
        )
        self.speed_chart, self.history_chart, self.history_metric = (
            part.speed_chart,
            part.history_chart,
            part.history_metric,
        )
        self.compare_model, self.compare_view, self.tabs = part.compare_model, part.compare_view, part.tabs
        self.results_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.compare_button.clicked.connect(self.compare_selected)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.delete_button.clicked.connect(self.delete_selected)
        self.history_metric.currentIndexChanged.connect(self._on_history_metric_changed)

        # The left column: models, the settings form (it scrolls when the window is too short for
        # it, so its fields keep their height at 1024x640), Run/Cancel, the queue, the messages.
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        models_label = QLabel(self.tr("Models"), self)
        models_label.setBuddy(self.artifact_list)
        queue_label = QLabel(self.tr("Queue"), self)
        queue_label.setBuddy(self.queue_view)
        left_layout.addWidget(models_label)
        self.artifact_list.setMinimumHeight(max(self.artifact_list.minimumSizeHint().height(),
                                                3 * self.artifact_list.fontMetrics().height() + 12))
        # The form takes the height it needs first; the list and the queue share what is left.
        for view in (self.artifact_list, self.queue_view):
            view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        for label in (models_label, queue_label, self.fit_label, self.status_label):
            label.setSizePolicy(label.sizePolicy().horizontalPolicy(), QSizePolicy.Policy.Fixed)
        left_layout.addWidget(self.artifact_list)
        self.form_scroll = VerticalScrollArea(self)  # Tab goes to the fields; a focused one scrolls
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setMinimumHeight(max(self.form_scroll.minimumSizeHint().height(),
                                              4 * self.form.fontMetrics().height()))
        self.form_scroll.setMaximumHeight(self.form.sizeHint().height() + 2)
        left_layout.addWidget(self.form_scroll, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        left_layout.addLayout(buttons)
        left_layout.addWidget(queue_label)
        left_layout.addWidget(self.queue_view)
        left_layout.addWidget(self.fit_label)
        left_layout.addWidget(self.status_label)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(self.results)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([left.minimumSizeHint().width() + 20, 900])
        # Local models (llama-bench's figures) and Serving (an endpoint, vLLM's figures) side by side.
        self.serving = ServingBenchView(inventory, runner, local_endpoint, self, state)
        self.modes.addTab(splitter, self.tr("Local models"))
        self.modes.addTab(self.serving, self.tr("Serving"))
        self.modes.setTabToolTip(0, self.tr("Benchmark models from the inventory with llama-bench's figures"))
        self.modes.setTabToolTip(1, self.tr("Benchmark an OpenAI-compatible server with vLLM's serving figures"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.modes)

        self._update_buttons()
        self.refresh()

    # -- inventory --------------------------------------------------------------------------
    def refresh(self) -> int:
        """Re-read the stored runs in a background job (and the artifacts, when this pane owns
        its source model; the main window's shared one is reloaded by the Library); returns
        the job id."""
        if self._owns_artifacts:
            self.artifacts.refresh()
        self._refreshing += 1
        return self._runner.submit_call("Read benchmark results", lambda: load_results(self._inventory),
                                        resource="db-read", on_done=self._on_read, background=True)

    def is_refreshing(self) -> bool:
        """True while a re-read of the runs or of the artifacts is under way."""
        return self._refreshing > 0 or self.artifacts.loading or self.serving.is_refreshing()

    def _on_read(self, job: Job) -> None:
        self._refreshing -= 1
        if job.state is not JobState.SUCCEEDED:
            if job.state is JobState.FAILED:
                self.set_status(self.tr("Cannot read the inventory: {error}").format(error=job.error))
            return
        self.results_model.set_results(job.result)
        self._update_charts()
        self._update_buttons()
        self.results_changed.emit()

    @Slot()
    def _on_artifacts_changed(self) -> None:
        if self._pending_selection is not None and not self.artifacts.loading:
            self.artifact_model.set_checked(sorted(self._pending_selection))
            self._pending_selection = None
        self._update_buttons()

    def select_artifacts(self, artifact_ids: Sequence[int]) -> None:
        """Check exactly these artifacts ("Open in Benchmark" from the Library). Ids the shared
        list does not show yet are applied when it is next read (a reload is started)."""
        wanted = set(artifact_ids)
        if self.artifacts.loading or any(self.artifact_model.row_of(i) is None for i in wanted):
            self._pending_selection = wanted
            if not self.artifacts.loading:
                self.artifacts.refresh()
            return
        self.artifact_model.set_checked(sorted(wanted))

    def checked_artifact_ids(self) -> list[int]:
        """Ids of the checked models, in list order."""
        return self.artifact_model.checked_ids()

    # -- settings ---------------------------------------------------------------------------
    def set_custom(self, settings: BenchSettings) -> None:
        """Switch the form to the custom preset with ``settings``."""
        self.form.set_custom(settings)

    def settings(self) -> BenchSettings:
        """The settings in the form (:meth:`BenchSettingsForm.settings`).

        Raises:
            UserError: an invalid thread list or an impossible combination.
        """
        return self.form.settings()

    def settings_for(self, record: ArtifactRecord, settings: BenchSettings) -> BenchSettings:
        """``settings`` for one model: with the load plan chosen in its Fit panel when "Use each
        model's load settings" is checked and it has one ("automatic" GPU layers runs on the
        CPU here: the benchmark has no fit estimate to take the count from)."""
        if not self.fit_check.isChecked():
            return settings
        plan = self._plans.get(record.id)
        return settings if plan is None else settings.with_plan(plan)

    # -- runs -------------------------------------------------------------------------------
    @Slot()
    def start_runs(self) -> list[int]:
        """Queue one benchmark job per checked model; returns the job ids ([] with a message
        in the status line when nothing can run)."""
        try:
            settings = self.settings()
        except UserError as error:
            self.set_status(f"{error.message} {error.hint}".strip())
            return []
        records = [r for r in (self.artifacts.find(i) for i in self.checked_artifact_ids()) if r is not None]
        if not records:
            self.set_status(self.tr("Check at least one model to benchmark."))
            return []
        ids, problems = [], []
        for record in records:
            try:
                own = self.settings_for(record, settings)
            except UserError as error:
                problems.append(f"{record.display_name}: {error.message} {error.hint}".strip())
                continue
            task = bench_task(target_from_record(record), own, self._paths, self._client_factory,
                              self._inventory, self._profile)
            title = self.tr("Benchmark {model} ({settings})").format(model=record.display_name, settings=own.label)
            job_id = self._runner.submit(title, task, resource=RESOURCE, on_done=self._on_run_done)
            self._jobs.add(job_id)
            ids.append(job_id)
        self.set_status(" ".join([self.tr("%n benchmark(s) queued.", "", len(ids)), *problems]))
        self._update_buttons()
        return ids

    @Slot()
    def cancel_selected(self) -> None:
        """Cancel the selected queue rows, or every unfinished benchmark when none is selected."""
        rows = self.queue_view.selectionModel().selectedRows()
        ids = [self.queue_model.index(i.row(), 0).data(JobIdRole) for i in rows]
        if not ids:
            ids = sorted(self._jobs)
        for job_id in ids:
            self._runner.cancel(job_id)

    def pending_jobs(self) -> list[int]:
        """Benchmark jobs of this pane that are queued or running."""
        return [j for j in sorted(self._jobs) if not self._runner.job(j).state.is_final]

    def _on_run_done(self, job: Job) -> None:
        self._jobs.discard(job.id)
        if job.state is JobState.SUCCEEDED:
            results: tuple[BenchResult, ...] = job.result
            self.results_model.add_results(results)
            self._show_fit(results)
            noisy = [note for r in results for note in noise_notes(r.pp, r.tg, r.settings.n_prompt, r.settings.n_gen)]
            self.set_status(" ".join([self.tr("Finished: {job}.").format(job=job.title), *noisy]))
            self.results_view.clearSelection()
            self._update_charts()
            self.results_changed.emit()
            self.run_finished.emit(results)
        elif job.state is JobState.FAILED:
            self.set_status(self.tr("{job} failed: {error}").format(job=job.title,
                                                                    error=f"{job.error} {job.hint}".strip()))
            self.run_failed.emit(job.error, job.hint)
        else:
            self.set_status(self.tr("Cancelled: {job}.").format(job=job.title))
        self._update_buttons()

    def set_status(self, text: str) -> None:
        """Show ``text`` in the status line (elided to its width; the whole text in its tooltip)."""
        self.status_label.setText(text)

    def _show_fit(self, results: Sequence[BenchResult]) -> None:
        lines = []
        for result in results:
            if result.tg is None:
                continue
            mean, stdev = format_number(result.tg.mean, 1), format_number(result.tg.stdev, 1)
            threads = self.tr("%n thread(s)", "", result.n_threads)
            if result.fit_tg_bound:
                lines.append(self.tr(
                    "{model} ({threads}): tg {mean} ± {stdev} t/s measured; fit estimate bound {bound} t/s "
                    "({share} of it).").format(
                        model=result.model_name, threads=threads, mean=mean, stdev=stdev,
                        bound=format_number(result.fit_tg_bound, 1),
                        share=format_percent(result.tg.mean / result.fit_tg_bound * 100)))
            else:
                lines.append(self.tr(
                    "{model} ({threads}): tg {mean} ± {stdev} t/s measured; no fit bound (no memory bandwidth "
                    "figure).").format(model=result.model_name, threads=threads, mean=mean, stdev=stdev))
        self.fit_label.setText("\n".join(lines))

    # -- results: selection, charts, compare, export, delete ------------------------------------
    def selected_results(self) -> list[BenchResult]:
        """The selected rows' results, in view order."""
        rows = sorted(self.results_view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [index.data(ResultRole) for index in rows]

    def select_results(self, run_ids: Sequence[int]) -> None:
        """Select the rows of these runs (tests, and after a comparison request)."""
        wanted = set(run_ids)
        selection = self.results_view.selectionModel()
        selection.clearSelection()
        for row in range(self.results_proxy.rowCount()):
            index = self.results_proxy.index(row, 0)
            if index.data(ResultRole).id in wanted:
                selection.select(index, QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)

    def chart_results(self) -> list[BenchResult]:
        """What the speed chart shows: the selected runs, else the newest run per model."""
        selected = self.selected_results()
        if selected:
            return selected
        return list(reversed(latest_per_artifact(list(reversed(self.results_model.results())))))

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.speed_chart.set_results(self.chart_results())  # the history plots every run: unchanged
        self._update_buttons()
        if len(self.selected_results()) == 2:
            self.compare_selected()

    def _update_charts(self) -> None:
        self.speed_chart.set_results(self.chart_results())
        self._update_history()

    @Slot(int)
    def _on_history_metric_changed(self, _index: int) -> None:
        self._update_history()

    def _update_history(self) -> None:
        self.history_chart.set_results(self.results_model.results(), self.history_metric.currentData() or "tg")

    @Slot()
    def compare_selected(self) -> None:
        """Compare the two selected runs (older as A); shows the Compare tab."""
        selected = sorted(self.selected_results(), key=lambda r: r.created_at)
        if len(selected) != 2:
            self.set_status(self.tr("Select exactly two runs to compare them."))
            return
        self.compare_model.set_runs(selected[0], selected[1])
        self.tabs.setCurrentIndex(2)

    @Slot()
    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export benchmark results"), str(Path.home() / "slmdesk-benchmarks.csv"),
            self.tr("CSV (*.csv);;JSON (*.json);;Markdown (*.md)"),
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Path | None:
        """Write the selected runs (all when none is selected) to ``path`` (format from its
        suffix); returns the path, or None with the reason in the status line."""
        results = self.selected_results() or self.results_model.results()
        try:
            export.write_export(path, results)
        except UserError as error:
            self.set_status(f"{error.message} {error.hint}".strip())
            return None
        self.set_status(self.tr("Exported %n run(s) to {path}.", "", len(results)).format(path=path))
        return path

    @Slot()
    def delete_selected(self) -> None:
        """Delete the selected runs from the inventory, after asking."""
        selected = self.selected_results()
        if not selected:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete benchmark runs?"),
            self.tr("Delete %n run(s) from the history?", "", len(selected)),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_runs([r.id for r in selected if r.id is not None])

    def delete_runs(self, run_ids: Sequence[int]) -> None:
        """Delete runs from the inventory and the table (no confirmation)."""
        for run_id in run_ids:
            benchmarks.delete_run(self._inventory, run_id)
            self.results_model.remove_result(run_id)
        self._update_charts()
        self._update_buttons()
        self.results_changed.emit()

    @Slot()
    def _update_buttons(self) -> None:
        selected = len(self.results_view.selectionModel().selectedRows())
        self.run_button.setEnabled(bool(self.checked_artifact_ids()))
        self.cancel_button.setEnabled(bool(self._jobs))
        self.compare_button.setEnabled(selected == 2)
        self.delete_button.setEnabled(selected > 0)
        self.export_button.setEnabled(self.results_model.rowCount() > 0)
