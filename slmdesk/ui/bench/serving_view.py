"""The Benchmark pane's Serving tab: benchmark an OpenAI-compatible endpoint like vLLM's serving benchmark.

Left: endpoint (URL, a button that fills in slmdesk's local server when it runs, API key with
password echo, model id fetched from ``/v1/models``), concurrency levels, requests per level,
request rate, prompt/output lengths or a dataset file; Run/Cancel with a progress bar. Right:
every stored serving run (sortable; select rows to chart or export), the throughput-vs-concurrency
chart and the latency-percentile chart. Runs go through the job runner on the benchmark queue
and are stored in the inventory; the key is never stored.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QItemSelection, QSettings, QSortFilterProxyModel, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from slmdesk.bench import export
from slmdesk.bench.serving import ServingRun, ServingSettings, list_models, load_runs, serving_task
from slmdesk.core.errors import UserError
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.bench.model import ResultRole, SortRole
from slmdesk.ui.bench.queue import RESOURCE
from slmdesk.ui.bench.results_view import chart_with_key
from slmdesk.ui.bench.serving_charts import LatencyChartView, ThroughputChartView
from slmdesk.ui.bench.serving_model import ServingRunsModel
from slmdesk.ui.widgets.columns import install_column_chooser
from slmdesk.ui.widgets.scroll import VerticalScrollArea

RUNS_COLUMNS_KEY = "bench/serving_hidden_columns"
"""Window-state key of the serving runs table's hidden columns."""
DEFAULT_HIDDEN = {ServingRunsModel.COL_TPOT50, ServingRunsModel.COL_ITL99, ServingRunsModel.COL_E2E50}
"""Hidden until the user shows them (the Latency chart plots the percentiles)."""

LocalEndpoint = Callable[[], "tuple[str, str] | None"]
"""Returns slmdesk's local server as ``(base URL, key)`` while it runs, else None."""


def parse_levels(text: str) -> tuple[int, ...]:
    """``"1, 2,4"`` -> (1, 2, 4).

    Raises:
        UserError: not a list of positive counts.
    """
    try:
        levels = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        levels = ()
    if not levels or any(level < 1 for level in levels):
        raise UserError(
            QCoreApplication.translate("ServingBenchView", "{text} is not a list of concurrency levels.").format(
                text=repr(text)),
            QCoreApplication.translate("ServingBenchView", "For example 1,2,4,8."))
    return levels


class ServingBenchView(QWidget):
    """The Serving tab (see the module doc).

    Args:
        inventory: where runs are stored and read.
        runner: the job runner (benchmarks run on :data:`~slmdesk.ui.bench.queue.RESOURCE`).
        local_endpoint: slmdesk's local API server as ``(URL, key)`` when it runs (None: no
            button target; the main window passes its server).
        state: the window-state settings that remember the runs table's columns (default: kept
            in memory only).
    """

    runs_changed = Signal()
    run_finished = Signal(object)  # tuple[ServingRun, ...]
    run_failed = Signal(str, str)  # message, hint

    def __init__(self, inventory: Inventory, runner: JobRunner, local_endpoint: LocalEndpoint | None = None,
                 parent: QWidget | None = None, state: QSettings | None = None) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._runner = runner
        self._local_endpoint = local_endpoint
        self._job: int | None = None
        self._reading = 0

        # -- form, built in the order it is shown (the tab order)
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("http://127.0.0.1:8080/v1")
        self.url_edit.setAccessibleName(self.tr("Endpoint URL"))
        self.local_button = QPushButton(self.tr("Local server"), self)
        self.local_button.setToolTip(self.tr("Use slmdesk's own API server (Settings › Local API server) when it runs"))
        self.local_button.setAccessibleName(self.tr("Use the local API server"))
        self.local_button.clicked.connect(self.use_local_server)
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(self.tr("API key (not stored)"))
        self.key_edit.setAccessibleName(self.tr("API key"))
        self.model_combo = QComboBox(self)
        self.model_combo.setEditable(True)
        self.model_combo.setAccessibleName(self.tr("Model id"))
        self.model_combo.setMinimumContentsLength(12)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.fetch_button = QPushButton(self.tr("Fetch"), self)
        self.fetch_button.setToolTip(self.tr("List the models the endpoint serves (GET /v1/models)"))
        self.fetch_button.setAccessibleName(self.tr("Fetch the endpoint's models"))
        self.fetch_button.clicked.connect(self.fetch_models)
        self.endpoint_combo = QComboBox(self)
        for path, key in (("chat/completions", "chat"), ("completions", "completions")):
            self.endpoint_combo.addItem(path, key)  # the API's paths, not words: never translated
        self.endpoint_combo.setAccessibleName(self.tr("API endpoint"))
        self.levels_edit = QLineEdit("1,2,4", self)
        self.levels_edit.setAccessibleName(self.tr("Concurrency levels"))
        self.levels_edit.setToolTip(self.tr("Requests in flight at once; a list such as 1,2,4 runs each level"))
        self.requests_spin = QSpinBox(self)
        self.requests_spin.setRange(1, 100_000)
        self.requests_spin.setValue(16)
        self.requests_spin.setAccessibleName(self.tr("Requests per level"))
        self.rate_spin = QDoubleSpinBox(self)
        self.rate_spin.setRange(0.0, 10_000.0)
        self.rate_spin.setDecimals(2)
        self.rate_spin.setSpecialValueText(self.tr("inf (all at once)"))
        self.rate_spin.setToolTip(self.tr("Requests per second, Poisson arrivals; 0 sends all at once (vLLM's inf)"))
        self.rate_spin.setAccessibleName(self.tr("Request rate per second"))
        self.input_spin = QSpinBox(self)
        self.input_spin.setRange(1, 100_000)
        self.input_spin.setValue(128)
        self.input_spin.setToolTip(self.tr("Words of each synthetic prompt, about one token each"))
        self.input_spin.setAccessibleName(self.tr("Input words"))
        self.output_spin = QSpinBox(self)
        self.output_spin.setRange(1, 100_000)
        self.output_spin.setValue(64)
        self.output_spin.setToolTip(self.tr("max_tokens of each request (ignore_eos/min_tokens ask for exactly "
                                            "this many)"))
        self.output_spin.setAccessibleName(self.tr("Output tokens"))
        self.dataset_edit = QLineEdit(self)
        self.dataset_edit.setPlaceholderText(self.tr("synthetic prompts"))
        self.dataset_edit.setAccessibleName(self.tr("Dataset file"))
        self.dataset_button = QPushButton("…", self)
        self.dataset_button.setToolTip(self.tr("A JSONL file (prompt, output_len) or a text file, one prompt per line"))
        self.dataset_button.setAccessibleName(self.tr("Choose a dataset file"))
        self.dataset_button.clicked.connect(self._on_dataset_clicked)
        # Wide enough to read a local URL and a file name (the column scrolls, it never cuts them).
        url_width = self.url_edit.fontMetrics().horizontalAdvance("http://127.0.0.1:8080/v1") + 16
        for edit in (self.url_edit, self.key_edit, self.dataset_edit):
            edit.setMinimumWidth(url_width)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        rows: tuple[tuple[str, QWidget, QWidget], ...] = (
            (self.tr("URL"), self.url_edit, _row(self.url_edit, self.local_button)),
            (self.tr("API key"), self.key_edit, self.key_edit),
            (self.tr("Model"), self.model_combo, _row(self.model_combo, self.fetch_button)),
            (self.tr("Endpoint"), self.endpoint_combo, self.endpoint_combo),
            (self.tr("Concurrency"), self.levels_edit, self.levels_edit),
            (self.tr("Requests / level"), self.requests_spin, self.requests_spin),
            (self.tr("Request rate /s"), self.rate_spin, self.rate_spin),
            (self.tr("Input words"), self.input_spin, self.input_spin),
            (self.tr("Output tokens"), self.output_spin, self.output_spin),
            (self.tr("Dataset"), self.dataset_edit, _row(self.dataset_edit, self.dataset_button)),
        )
        for text, buddy, field in rows:
            # Labels made here, with a parent and a buddy (the screen reader's name of the field).
            label = QLabel(text, self)
            label.setBuddy(buddy)
            form.addRow(label, field)

        self.run_button = QPushButton(self.tr("Run serving benchmark"), self)
        self.run_button.clicked.connect(self.start_run)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setAccessibleName(self.tr("Cancel the serving benchmark"))
        self.cancel_button.clicked.connect(self.cancel_run)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setAccessibleName(self.tr("Serving benchmark progress"))
        self.status_label = QLabel(self)
        self.status_label.setAccessibleName(self.tr("Serving benchmark status"))
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.progress)
        left_layout.addWidget(self.status_label)
        left_layout.addStretch(1)
        # Tab goes to the fields (a focused one scrolls into view); never narrower than the form.
        scroll = VerticalScrollArea(self)
        scroll.setFrameShape(QFrame.Shape.StyledPanel)
        scroll.setWidget(left)

        # -- results: the header row (label, Export) is built before the table it sits above.
        runs_label = QLabel(self.tr("Serving runs"), self)
        self.export_button = QPushButton(self.tr("Export…"), self)
        self.export_button.setToolTip(self.tr("Export the selected runs (all if none is selected) as CSV, JSON or "
                                              "Markdown"))
        self.export_button.setAccessibleName(self.tr("Export serving runs"))
        self.export_button.clicked.connect(self._on_export_clicked)
        self.runs_model = ServingRunsModel(self)
        self.runs_proxy = QSortFilterProxyModel(self)
        self.runs_proxy.setSourceModel(self.runs_model)
        self.runs_proxy.setSortRole(SortRole)
        self.runs_view = QTableView(self)
        self.runs_view.setModel(self.runs_proxy)
        self.runs_view.setAccessibleName(self.tr("Serving benchmark runs"))
        self.runs_view.setSortingEnabled(True)
        self.runs_view.sortByColumn(ServingRunsModel.COL_WHEN, Qt.SortOrder.DescendingOrder)
        self.runs_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.runs_view.verticalHeader().hide()
        self.runs_view.setWordWrap(False)
        self.runs_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs_view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        runs_label.setBuddy(self.runs_view)
        install_column_chooser(self.runs_view, state, RUNS_COLUMNS_KEY, DEFAULT_HIDDEN)
        self.throughput_chart = ThroughputChartView(self)
        self.latency_chart = LatencyChartView(self)
        self.chart_tabs = QTabWidget(self)
        self.chart_tabs.setAccessibleName(self.tr("Serving charts"))
        self.chart_tabs.addTab(chart_with_key(self.throughput_chart, self), self.tr("Throughput"))
        self.chart_tabs.addTab(chart_with_key(self.latency_chart, self), self.tr("Latency"))
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(runs_label)
        header.addStretch(1)
        header.addWidget(self.export_button)
        right_layout.addLayout(header)
        vertical = QSplitter(Qt.Orientation.Vertical, self)
        vertical.addWidget(self.runs_view)
        vertical.addWidget(self.chart_tabs)
        vertical.setStretchFactor(0, 1)
        vertical.setStretchFactor(1, 2)
        right_layout.addWidget(vertical)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([scroll.minimumSizeHint().width(), 900])
        splitter.setCollapsible(0, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        # Laying the form out reparented its fields, which moves them in the focus chain: Tab
        # follows the form from top to bottom again.
        order = (self.url_edit, self.local_button, self.key_edit, self.model_combo, self.fetch_button,
                 self.endpoint_combo, self.levels_edit, self.requests_spin, self.rate_spin, self.input_spin,
                 self.output_spin, self.dataset_edit, self.dataset_button, self.run_button, self.cancel_button)
        for before, after in itertools.pairwise(order):
            QWidget.setTabOrder(before, after)
        runner.job_changed.connect(self._on_job_changed)
        self._update_buttons()
        self.refresh()

    # -- endpoint ------------------------------------------------------------------------------
    @Slot()
    def use_local_server(self) -> bool:
        """Fill in slmdesk's local server (URL and key) and fetch its models; False with a
        message when it does not run."""
        endpoint = self._local_endpoint() if self._local_endpoint is not None else None
        if endpoint is None:
            self.status_label.setText(self.tr("slmdesk's local API server is not running: switch it on in Settings."))
            return False
        url, key = endpoint
        self.url_edit.setText(url)
        self.key_edit.setText(key)
        self.fetch_models()
        return True

    @Slot()
    def fetch_models(self) -> int:
        """List the endpoint's models in a background job; returns the job id."""
        url, key = self.url_edit.text().strip(), self.key_edit.text()
        self._reading += 1
        return self._runner.submit_call(self.tr("List the endpoint's models"), lambda: list_models(url, key),
                                        resource="net", on_done=self._on_models, background=True)

    def _on_models(self, job: Job) -> None:
        self._reading -= 1
        if job.state is not JobState.SUCCEEDED:
            self.status_label.setText(f"{job.error} {job.hint}".strip())
            return
        current = self.model_combo.currentText()
        self.model_combo.clear()
        self.model_combo.addItems(job.result)
        if current in job.result:
            self.model_combo.setCurrentText(current)
        self.status_label.setText(self.tr("%n model(s) at {url}.", "", len(job.result)).format(
            url=self.url_edit.text().strip()))

    @Slot()
    def _on_dataset_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Prompts dataset"), str(Path.home()),
                                              self.tr("JSONL or text (*.jsonl *.json *.txt);;All files (*)"))
        if path:
            self.dataset_edit.setText(path)

    # -- settings and runs ---------------------------------------------------------------------
    def settings(self) -> ServingSettings:
        """The settings in the form.

        Raises:
            UserError: an invalid URL, model, level list or value.
        """
        rate = self.rate_spin.value()
        return ServingSettings(
            base_url=self.url_edit.text().strip(), model=self.model_combo.currentText().strip(),
            concurrency=parse_levels(self.levels_edit.text()), request_rate=rate if rate > 0 else math.inf,
            num_requests=self.requests_spin.value(), input_len=self.input_spin.value(),
            output_len=self.output_spin.value(), dataset=self.dataset_edit.text().strip(),
            endpoint=self.endpoint_combo.currentData(),
        )

    @Slot()
    def start_run(self) -> int | None:
        """Queue the benchmark; returns its job id (None with the reason in the status line)."""
        try:
            settings = self.settings()
        except UserError as error:
            self.status_label.setText(str(error))
            return None
        task = serving_task(settings, self.key_edit.text(), self._inventory)
        levels = ",".join(str(c) for c in settings.concurrency)
        title = self.tr("Serving benchmark {model} (c={levels})").format(model=settings.model, levels=levels)
        self._job = self._runner.submit(title, task, resource=RESOURCE, on_done=self._on_run_done)
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("queued"))
        self.status_label.setText("")
        self._update_buttons()
        return self._job

    @Slot()
    def cancel_run(self) -> None:
        """Cancel the running or queued serving benchmark."""
        if self._job is not None:
            self._runner.cancel(self._job)

    def is_running(self) -> bool:
        """True while a serving benchmark of this tab is queued or running."""
        return self._job is not None

    @Slot(int)
    def _on_job_changed(self, job_id: int) -> None:
        if job_id != self._job:
            return
        progress = self._runner.job(job_id).progress
        if progress.fraction is not None:
            self.progress.setValue(int(progress.fraction * 1000))
        self.progress.setFormat(progress.message[:60] or "%p%")

    def _on_run_done(self, job: Job) -> None:
        self._job = None
        self.progress.setFormat("")
        if job.state is JobState.SUCCEEDED:
            runs: tuple[ServingRun, ...] = job.result
            self.runs_model.add_runs(runs)
            self.progress.setValue(1000)
            failed = sum(r.metrics.failed for r in runs)
            notes = list(dict.fromkeys(n for r in runs for n in r.notes))
            finished = self.tr("Finished %n level(s);", "", len(runs))
            failures = self.tr("%n request(s) failed.", "", failed)
            self.status_label.setText(" ".join([finished, failures, *notes]))
            self.runs_view.clearSelection()
            self._update_charts()
            self.runs_changed.emit()
            self.run_finished.emit(runs)
        elif job.state is JobState.FAILED:
            self.progress.setValue(0)
            self.status_label.setText(f"{job.error} {job.hint}".strip())
            self.run_failed.emit(job.error, job.hint)
        else:
            self.progress.setValue(0)
            self.status_label.setText(self.tr("Cancelled."))
        self._update_buttons()

    # -- results -------------------------------------------------------------------------------
    def refresh(self) -> int:
        """Re-read the stored serving runs in a background job; returns its id."""
        self._reading += 1
        return self._runner.submit_call("Read serving benchmark runs", lambda: load_runs(self._inventory),
                                        resource="db-read", on_done=self._on_read, background=True)

    def is_refreshing(self) -> bool:
        """True while runs or model ids are being read."""
        return self._reading > 0

    def _on_read(self, job: Job) -> None:
        self._reading -= 1
        if job.state is JobState.SUCCEEDED:
            self.runs_model.set_runs(job.result)
            self._update_charts()
            self._update_buttons()
            self.runs_changed.emit()
        elif job.state is JobState.FAILED:
            self.status_label.setText(self.tr("Cannot read the inventory: {error}").format(error=job.error))

    def selected_runs(self) -> list[ServingRun]:
        """The selected rows' runs, in view order."""
        rows = sorted(self.runs_view.selectionModel().selectedRows(), key=lambda i: i.row())
        return [index.data(ResultRole) for index in rows]

    def chart_runs(self) -> list[ServingRun]:
        """What the charts show: the selected runs, else the newest sweep (runs with the newest
        run's settings), oldest level first."""
        selected = self.selected_runs()
        if selected:
            return sorted(selected, key=lambda r: (r.created_at, r.concurrency))
        runs = self.runs_model.runs()
        if not runs:
            return []
        newest = runs[0].settings
        sweep = [r for r in runs if r.settings == newest][: len(newest.concurrency)]
        return sorted(sweep, key=lambda r: r.concurrency)

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_charts()

    def _update_charts(self) -> None:
        runs = self.chart_runs()
        self.throughput_chart.set_runs(runs)
        self.latency_chart.set_runs(runs)

    @Slot()
    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export serving benchmark runs"),
                                              str(Path.home() / "slmdesk-serving.csv"),
                                              self.tr("CSV (*.csv);;JSON (*.json);;Markdown (*.md)"))
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Path | None:
        """Write the selected runs (all when none is selected) to ``path`` (format from its
        suffix); returns the path, or None with the reason in the status line."""
        runs = self.selected_runs() or self.runs_model.runs()
        try:
            export.write_export(path, runs)
        except UserError as error:
            self.status_label.setText(str(error))
            return None
        self.status_label.setText(self.tr("Exported %n run(s) to {path}.", "", len(runs)).format(path=path))
        return path

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a theme switch: the charts' colours
            self.throughput_chart.redraw()
            self.latency_chart.redraw()

    def _update_buttons(self) -> None:
        self.run_button.setEnabled(self._job is None)
        self.cancel_button.setEnabled(self._job is not None)
        self.export_button.setEnabled(self.runs_model.rowCount() > 0)
        self.local_button.setEnabled(self._local_endpoint is not None)


def _row(*widgets: QWidget) -> QWidget:
    """Widgets side by side in one form field (the first one stretches)."""
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if index == 0 else 0)
    return holder
