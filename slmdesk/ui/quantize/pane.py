"""The Quantize pane: make a GGUF quantization or an ONNX build of a model, then measure it
against its source, side by side with the model's other variants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from slmdesk.bench.results import latest_per_artifact, load_results
from slmdesk.bench.runner import bench_task, target_from_record
from slmdesk.bench.settings import PRESETS, BenchSettings
from slmdesk.core.errors import UserError
from slmdesk.core.files import write_text_atomic
from slmdesk.core.profiles import HardwareProfile
from slmdesk.core.tasks import Task
from slmdesk.hardware.profile import probe_task
from slmdesk.inventory.lineage import derived_from, lineage_of
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.quantize import quality
from slmdesk.quantize.gguf_quantize import QuantizePlan, QuantizeResult
from slmdesk.quantize.onnx_build import OnnxBuildPlan
from slmdesk.quantize.types import QUANT_TYPES
from slmdesk.ui.artifacts import ArtifactSourceModel
from slmdesk.ui.bench.queue import RESOURCE as BENCH_RESOURCE
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number, format_percent
from slmdesk.ui.jobs.model import job_state_text
from slmdesk.ui.quantize import build
from slmdesk.ui.quantize.form import TARGET_ONNX, QuantizeForm
from slmdesk.ui.quantize.models import TypeRow, VariantQuality
from slmdesk.ui.quantize.quality_view import QualityView
from slmdesk.ui.verdicts import badge_for
from slmdesk.ui.widgets.elided import ElidedLabel
from slmdesk.ui.widgets.scroll import VerticalScrollArea
from slmdesk.ui.widgets.tinted import TintedLabel

RESOURCE = "quantize"
"""The job-runner queue of quantizations, builds and quality checks: one at a time."""

DEFAULT_TYPE = "Q4_K_M"
NO_SOURCE = QT_TRANSLATE_NOOP(
    "QuantizePane", "No model to quantize yet: add an F16, BF16 or F32 GGUF in the Library (a quantized one works "
    "too, with less quality), or open a Hugging Face folder.")
"""The source note without a source (translated in the "QuantizePane" context where shown)."""

VALIDATE_DELAY_MS = 150
"""Edits are checked (the core's ``prepare``, in a job) this long after the last one."""


class QuantizePane(QWidget):
    """Left: the form (source, GGUF type table with predicted sizes, fit and importance-matrix
    marks, or ONNX precision; output), Run (Ctrl+Return) and Cancel (Esc while running), the
    progress of the build with the tensor being quantized, and what went wrong with its hint.
    Right: the quality view. Builds and quality checks run as jobs on :data:`RESOURCE` (they
    show in the Jobs pane); the output is added to the inventory with its lineage, and the
    shared artifacts model is reloaded so that it appears in the Library.

    Args:
        inventory: the inventory (outputs and lineage recorded; variants and speeds read).
        runner: the job runner.
        paths: application paths (models folder, cache, hardware probe cache).
        artifacts: the shared source model of artifacts (its own when None).
        state: the window's QSettings; the last type, importance-matrix choice, precision and
            folders are remembered there (nothing is remembered when None).
        profile: the hardware profile the fit verdicts are for; None probes this machine once.
    """

    build_finished = Signal(object)  # QuantizeResult, or the ONNX folder (Path)
    build_failed = Signal(str, str)  # message, hint
    comparison_finished = Signal(object)  # quality.ComparisonResult
    speed_measured = Signal()

    def __init__(
        self, inventory: Inventory, runner: JobRunner, paths: AppPaths, parent: QWidget | None = None,
        artifacts: ArtifactSourceModel | None = None, state: QSettings | None = None,
        profile: HardwareProfile | None = None,
    ) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._runner = runner
        self._paths = paths
        self._state = state
        self._profile = profile
        self._probing = False
        self._owns_artifacts = artifacts is None
        self.artifacts = artifacts or ArtifactSourceModel(inventory, runner, self)
        """The shared source model of artifacts (the main window's; its own when alone)."""
        self._facts: build.SourceFacts | None = None
        self._plan: object = None  # QuantizePlan, OnnxBuildPlan, or None for a folder to convert
        self._checked = False  # the last check of the form passed
        self._problem: UserError | None = None
        self._validation = 0  # generation of the newest check; older answers are dropped
        self._reading = 0
        self._source_unread = False
        self._build_job: int | None = None
        self._compare_job: int | None = None
        self._last_result: QuantizeResult | None = None
        self.quality_text: Path | None = None
        """The held-out text of quality checks; None: the one slmdesk ships."""
        self.speed_settings: BenchSettings = PRESETS["quick"]
        """The benchmark of "Measure speed too" (the Benchmark pane's quick preset)."""
        self._speed_jobs: set[int] = set()
        self._pending_source: int | None = None
        self._pending_pair: tuple[int, int] | None = None
        self._measured: dict[int, dict[int, quality.ComparisonResult]] = {}
        """base id -> variant id -> the newest comparison of this session."""

        self.form = QuantizeForm(self.artifacts, self)
        self.form.type_model.set_rows([TypeRow(t.name, None, t.needs_imatrix, t.description)
                                       for t in QUANT_TYPES.values() if not t.moe_only])
        self.type_model, self.type_view = self.form.type_model, self.form.type_view
        self.form.changed.connect(self._schedule_validation)
        self.form.source_changed.connect(self._read_source)
        self.form.open_folder_requested.connect(self.open_folder)
        self.form.browse_output_requested.connect(self._browse_output)
        self.form.browse_imatrix_requested.connect(self._browse_imatrix)
        self.form.browse_onnx_output_requested.connect(self._browse_onnx_output)

        self.run_button = QPushButton(self.tr("Run"), self)
        self.run_button.setToolTip(self.tr("Start the quantization or build (Ctrl+Return)"))
        self.run_button.setAccessibleName(self.tr("Run the quantization"))
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setToolTip(self.tr("Stop it now; nothing is left behind (Esc)"))
        self.cancel_button.setAccessibleName(self.tr("Cancel the quantization or quality check"))
        self.cancel_button.clicked.connect(self.cancel)
        self.check_quality = QCheckBox(self.tr("Check quality when done"), self)
        self.check_quality.setToolTip(
            self.tr("Compare the new GGUF with its source on the held-out text (takes a while)"))
        self.check_quality.toggled.connect(self._on_check_quality_toggled)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress_label = ElidedLabel("", self, Qt.TextElideMode.ElideRight)  # a long step never widens the form
        self.progress_label.setAccessibleName(self.tr("Step"))
        self.status_label = TintedLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setAccessibleName(self.tr("Status"))

        self.quality = QualityView(self.artifacts, self, state=state)
        self.quality.compare_requested.connect(self.compare)
        self.quality.export_requested.connect(self._on_export)
        self.quality.base_combo.currentIndexChanged.connect(self._on_base_changed)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.form, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.check_quality)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.progress)
        left_layout.addWidget(self.progress_label)
        left_layout.addWidget(self.status_label)
        scroll = VerticalScrollArea(self)  # a short window scrolls the form instead of squeezing the type table
        scroll.setWidget(left)
        left.setMinimumHeight(500)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.quality)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([3000, 2000])  # 3:2, kept as the window resizes
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h2>Quantize</h2>"), self))
        layout.addWidget(self.splitter, 1)

        self._validate_timer = QTimer(self)
        self._validate_timer.setObjectName("quantize-validate")
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(VALIDATE_DELAY_MS)
        self._validate_timer.timeout.connect(self.validate)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.start, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.start, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.escape_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel,
                                         context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.artifacts.records_changed.connect(self._on_artifacts_changed)
        runner.job_changed.connect(self._on_job_changed)

        self._restore()
        self._update_buttons()
        if self._owns_artifacts:
            self.artifacts.refresh()
        elif self.artifacts.rowCount():
            self._on_artifacts_changed()

    # -- state --------------------------------------------------------------------------------
    def _setting(self, key: str, default: str = "") -> str:
        return str(self._state.value(f"quantize/{key}", default)) if self._state is not None else default

    def _remember(self, key: str, value: str) -> None:
        if self._state is not None:
            self._state.setValue(f"quantize/{key}", value)

    def _restore(self) -> None:
        # Read every value first: applying one re-saves the form, the others included.
        type_name, choice = self._setting("type", DEFAULT_TYPE), self._setting("imatrix", "none")
        precision, check = self._setting("precision", "int4"), self._setting("check_quality", "false")
        self.form.select_type(type_name) or self.form.select_type(DEFAULT_TYPE)
        self.form.set_imatrix_choice(choice)
        self.form.set_precision(precision)
        self.check_quality.setChecked(check == "true")

    def _folder(self, key: str, fallback: Path | None = None) -> str:
        return self._setting(f"folders/{key}", str(fallback or Path.home()))

    # -- sources ------------------------------------------------------------------------------
    def set_source(self, artifact_id: int) -> bool:
        """Quantize ``artifact_id`` ("Open in Quantize", "Quantize again"). An id the shared list
        does not show yet is picked once it is read (a reload is started); False when it is
        known and cannot be a source (an ONNX folder, a missing file)."""
        if self.form.select_source(artifact_id):
            return True
        if self.artifacts.find(artifact_id) is not None and not self.artifacts.loading:
            self.status_label.setText(
                self.tr("That model cannot be quantized: choose a GGUF file or a Hugging Face folder."))
            return False
        self._pending_source = artifact_id
        if not self.artifacts.loading:
            self.artifacts.refresh()
        return True

    @Slot()
    def open_folder(self) -> None:
        """Pick a Hugging Face folder to quantize (converted to GGUF first)."""
        folder = QFileDialog.getExistingDirectory(self, self.tr("Quantize a Hugging Face model folder"),
                                                  self._folder("source"))
        if folder:
            self._remember("folders/source", str(Path(folder).parent))
            self.form.set_source_folder(Path(folder))

    @Slot()
    def _on_artifacts_changed(self) -> None:
        if self.artifacts.loading:
            return
        if self._pending_source is not None:
            wanted, self._pending_source = self._pending_source, None
            self.set_source(wanted)
        elif self.form.source_path() is None and self.form.sources.rowCount():
            self.form.source_combo.setCurrentIndex(0)
        if self.form.source_path() is None:
            self.form.set_source_note(self._no_source() if not self.form.sources.rowCount() else "")
        if self._pending_pair is not None:
            base, variant = self._pending_pair
            if self.quality.set_pair(base, variant):
                self._pending_pair = None
                self._fill_variants()
        self._update_buttons()

    def _no_source(self) -> str:
        return QCoreApplication.translate("QuantizePane", NO_SOURCE)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._source_unread:
            self._read_source()

    @Slot()
    def _read_source(self) -> None:
        """Read the picked source's header in a job, then show its predicted sizes, fit verdicts
        and importance-matrix needs. Waits until the pane is shown (no probe or header read at
        start-up for a pane nobody opened)."""
        self._facts = None
        self.type_model.clear_predictions()
        self._source_unread = not self.isVisible()
        if self._source_unread:
            return
        path = self.form.source_path()
        if path is None:
            self.form.set_source_note(self._no_source() if not self.form.sources.rowCount() else "")
            return
        if path.is_dir():
            self.form.set_source_note(self.tr(
                "A Hugging Face folder: it is converted to an F16 GGUF first (kept beside the output), then "
                "quantized. Sizes are known once it is converted."))
        else:
            self.form.set_source_note(self.tr("Reading the source…"))
        if self._profile is None:
            self._probe()
        profile = self._profile
        self._reading += 1

        def read() -> build.SourceFacts:
            return build.source_facts(path, profile)

        self._runner.submit_call(self.tr("Read {name}").format(name=path.name), read, resource="io", background=True,
                                 on_done=lambda job: self._on_source_read(job, path, profile))

    def _on_source_read(self, job: Job, path: Path, profile: HardwareProfile | None) -> None:
        self._reading -= 1
        if path != self.form.source_path():
            return  # another source was picked meanwhile
        if job.state is not JobState.SUCCEEDED:
            if job.state is JobState.FAILED:
                self.form.set_source_note(f"{job.error} {job.hint}".strip(), "warning")
            return
        facts: build.SourceFacts = job.result
        self._facts = facts
        rows = []
        for fact in facts.types:
            quant = QUANT_TYPES[fact.name]
            rows.append(TypeRow(fact.name, fact.predicted_bytes, fact.needs_imatrix, quant.description,
                                badge_for(fact.fit) if fact.fit is not None else None))
        self.type_model.update_rows(rows)
        if facts.format == "gguf":
            if facts.is_quantized:
                self.form.set_source_note(self.tr(
                    "This model is already quantized ({type}). Quantizing it again loses more quality than "
                    "quantizing the original F16/BF16/F32 GGUF; use that if you have it."
                ).format(type=facts.source_type or self.tr("unknown type")), "warning")
            elif facts.source_type:
                self.form.set_source_note(
                    self.tr("{type} GGUF: the right source for a quantization.").format(type=facts.source_type))
            else:
                self.form.set_source_note(self.tr("Unquantized GGUF: the right source for a quantization."))
        if profile is None and self._profile is not None:
            self._read_source()  # the probe finished meanwhile: add the verdicts
        self._update_default_output()

    def _probe(self) -> None:
        if self._probing:
            return
        self._probing = True
        self._runner.submit(self.tr("Probe this machine"), probe_task(self._paths, measure_bandwidth=False),
                            resource="io", background=True, on_done=self._on_probed)

    def _on_probed(self, job: Job) -> None:
        self._probing = False
        if job.state is JobState.SUCCEEDED:
            self._profile = job.result
            if self._facts is not None and self._reading == 0:
                self._read_source()

    # -- validation ------------------------------------------------------------------------------
    def request(self) -> build.GgufRequest | None:
        """The GGUF quantization the form describes, None without a source or a type."""
        path, type_name = self.form.source_path(), self.form.type_name()
        if path is None or type_name is None:
            return None
        record = self.form.source_record()
        choice = self.form.imatrix_choice()
        return build.GgufRequest(
            source=path, type_name=type_name, out=self.form.output_path(),
            imatrix_choice=choice,  # type: ignore[arg-type]  # one of IMATRIX_CHOICES' keys
            imatrix_path=self.form.imatrix_path() if choice in ("text", "file") else None,
            source_artifact_id=record.id if record is not None else None,
            is_folder=path.is_dir(),
        )

    def _update_default_output(self) -> None:
        request = self.request()
        if request is not None and not self.form.output_edited():  # follow the type and source
            self.form.set_output_path(replace(request, out=None).output(), edited=False)

    @Slot()
    def _schedule_validation(self) -> None:
        self._plan, self._problem, self._checked = None, None, False
        self._validation += 1
        self._update_default_output()
        self._update_buttons()
        if self.form.type_name() is not None:
            self._remember("type", self.form.type_name() or DEFAULT_TYPE)
        self._remember("imatrix", self.form.imatrix_choice())
        self._remember("precision", self.form.precision())
        self._validate_timer.start()

    @Slot(bool)
    def _on_check_quality_toggled(self, checked: bool) -> None:
        self._remember("check_quality", "true" if checked else "false")

    def is_validating(self) -> bool:
        """True while an edit waits to be checked or is being checked."""
        return self.form.source_path() is not None and not self._checked and self._problem is None

    @Slot()
    def validate(self) -> int | None:
        """Check the form with the core's ``prepare`` in a job (it reads the source's header);
        Run is enabled once it passes, and what it refuses is shown. Returns the job id."""
        self._validate_timer.stop()
        generation = self._validation
        source = self.form.source_path()
        if source is None:
            return None
        record = self.form.source_record()
        if self.form.target() == TARGET_ONNX:
            precision, out, models = self.form.precision(), self.form.onnx_output(), self._paths.models
            source_id = record.id if record is not None else None

            def check_onnx() -> object:
                return build.onnx_plan(source, precision, out, models, source_id)

            check = check_onnx
        else:
            request = self.request()
            if request is None:
                self._set_problem(UserError(self.tr("Choose a quantization type.")), generation)
                return None

            def check_gguf() -> object:
                return build.validate(request)

            check = check_gguf

        def done(job: Job) -> None:
            if generation != self._validation:
                return
            if job.state is JobState.SUCCEEDED:
                self._plan, self._problem, self._checked = job.result, None, True
                self._show_plan()
            elif job.state is JobState.FAILED:
                self._set_problem(UserError(job.error, job.hint), generation)
            self._update_buttons()

        if self._runner.is_shut_down:  # the debounce fired while the window closes: nothing to check for
            return None
        return self._runner.submit_call(self.tr("Check the quantization"), check, resource="io", on_done=done,
                                        background=True)

    def _set_problem(self, error: UserError, generation: int) -> None:
        if generation != self._validation:
            return
        self._plan, self._problem, self._checked = None, error, False
        if self.form.target() == TARGET_ONNX:
            self.form.onnx_note.setText(f"{error.message}\n{error.hint}".strip())
        self._show_status(f"{error.message} {error.hint}".strip(), "text.error")
        self._update_buttons()

    def _show_plan(self) -> None:
        plan = self._plan
        if isinstance(plan, QuantizePlan):
            text = self.tr("Ready: {source} → {output}, {type}, about {size}.").format(
                source=plan.source.name, output=plan.out.name, type=plan.type.name,
                size=format_bytes(plan.predicted_bytes))
            self._show_status(" ".join([text, *plan.warnings]), "text.warning" if plan.warnings else "")
        elif not isinstance(plan, OnnxBuildPlan):  # a folder: checked as far as it can be before it is converted
            self._show_status(self.tr("Ready: the folder is converted to GGUF, then quantized."))
        else:
            self.form.onnx_note.setText(self.tr(
                "Builds {precision} for {provider} with onnxruntime-genai's model builder into {folder} (needs "
                "about {size} of disk while it runs).").format(
                precision=plan.precision, provider=plan.execution_provider, folder=plan.output,
                size=format_bytes(plan.estimated_bytes)))
            self._show_status(self.tr("Ready: ONNX {precision} build of {source}.").format(
                precision=plan.precision, source=plan.source.name))

    def problem(self) -> UserError | None:
        """What the last check refused, None when it passed (or has not answered yet)."""
        return self._problem

    def can_run(self) -> bool:
        """True when the form passed its check and nothing of this pane is building."""
        return self._checked and not self._validate_timer.isActive() and self._build_job is None

    # -- runs ---------------------------------------------------------------------------------
    @Slot()
    def start(self) -> int | None:
        """Queue the build the form describes (Ctrl+Return); returns the job id, or None with the
        reason in the status line."""
        if self._build_job is not None:
            return None
        if self._problem is not None:
            self._show_status(f"{self._problem.message} {self._problem.hint}".strip(), "text.error")
            return None
        if not self.can_run():
            self._show_status(self.tr("Still checking the form; try again in a moment."))
            return None
        record = self.form.source_record()
        plan = self._plan
        if isinstance(plan, OnnxBuildPlan):
            task: Task = build.onnx_build_task(plan, self._inventory)
            title = self.tr("Build ONNX {precision} of {source}").format(precision=plan.precision,
                                                                          source=plan.source.name)
        else:
            request = self.request()
            if request is None:
                return None
            task = build.gguf_build_task(request, self._inventory, self._paths.cache)
            title = self.tr("Quantize {source} to {type}").format(source=request.source.name,
                                                                   type=request.type_name)
        self._build_job = self._runner.submit(title, task, resource=RESOURCE, on_done=self._on_build_done)
        self._build_source = record.id if record is not None else None
        self.progress.setValue(0)
        self.progress.setFormat(self._percent_format())
        self.progress_label.setText(job_state_text(JobState.QUEUED))
        self._show_status(self.tr("{title}…").format(title=title))
        self._update_buttons()
        return self._build_job

    @Slot()
    def cancel(self) -> None:
        """Cancel the running build or quality check (Esc while running): the child process is
        terminated and its partial output removed."""
        for job_id in (self._build_job, self._compare_job):
            if job_id is not None:
                self._runner.cancel(job_id)

    def is_running(self) -> bool:
        """True while a build or quality check of this pane is queued or running."""
        return self._build_job is not None or self._compare_job is not None

    @Slot(int)
    def _on_job_changed(self, job_id: int) -> None:
        if job_id not in (self._build_job, self._compare_job):
            return
        job = self._runner.job(job_id)
        if job.state.is_final:
            return
        fraction = job.progress.fraction
        if fraction is None:
            self.progress.setRange(0, 0)  # busy
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(fraction * 1000))
        self.progress_label.setText(job.progress.message or job_state_text(job.state))

    def _on_build_done(self, job: Job) -> None:
        self._build_job = None
        self.progress.setRange(0, 1000)
        if job.state is JobState.SUCCEEDED:
            self.progress.setValue(1000)
            result = job.result
            if isinstance(result, QuantizeResult):
                self._last_result = result
                self.progress_label.setText(self.tr("[done] {name}").format(name=result.path.name))
                self._show_status(self.tr(
                    "Done: {name}, {size} (predicted {predicted}), quantized in {seconds} s. It is in the Library, "
                    "linked to its source.").format(
                    name=result.path.name, size=format_bytes(result.size_bytes),
                    predicted=format_bytes(result.predicted_bytes), seconds=format_number(result.seconds, 1)),
                    "text.ok")
                if result.artifact_id is not None and result.source_artifact_id is not None:
                    self._pending_pair = (result.source_artifact_id, result.artifact_id)
                    self.artifacts.refresh(then=self._compare_new if self.check_quality.isChecked() else None)
                else:
                    self.artifacts.refresh()
            else:
                self.progress_label.setText(self.tr("[done] {name}").format(name=Path(result).name))
                self._show_status(self.tr("Done: {folder}. It is in the Library.").format(folder=result), "text.ok")
                self.artifacts.refresh()
            self.build_finished.emit(result)
        elif job.state is JobState.FAILED:
            self.progress.setValue(0)
            self.progress_label.setText(job_state_text(JobState.FAILED))
            self._show_status(f"{job.error} {job.hint}".strip(), "text.error")
            self.build_failed.emit(job.error, job.hint)
        else:
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.progress_label.setText(job_state_text(JobState.CANCELLED))
            self._show_status(self.tr("Cancelled: nothing was left behind."))
        self._schedule_validation()  # the output exists now: the same plan would be refused
        self._update_buttons()

    # -- quality ------------------------------------------------------------------------------
    def _compare_new(self) -> None:
        """After a build with "Check quality when done": the new GGUF against its source."""
        result = self._last_result
        if result is not None and result.artifact_id is not None and result.source_artifact_id is not None:
            self.compare(result.source_artifact_id, result.artifact_id, self.quality.ctx_spin.value())

    def open_comparison(self, base_id: int, variant_id: int) -> None:
        """Show ``variant_id`` against ``base_id`` in the quality view ("Compare with source");
        the comparison starts when the user presses Compare."""
        if self.quality.set_pair(base_id, variant_id):
            self._fill_variants()
        else:
            self._pending_pair = (base_id, variant_id)
            if not self.artifacts.loading:
                self.artifacts.refresh()

    @Slot(int, int, int)
    def compare(self, base_id: int, variant_id: int, n_ctx: int = 512) -> int | None:
        """Measure ``variant_id`` against ``base_id`` on the shipped held-out text at ``n_ctx``
        in a job; the table and chart fill when it ends. Returns the job id (None with the reason
        in the status line)."""
        base, variant = self.artifacts.find(base_id), self.artifacts.find(variant_id)
        if base is None or variant is None or base.format != "gguf" or variant.format != "gguf":
            self._show_status(
                self.tr("Compare two GGUF models of the library (perplexity and KLD need llama.cpp)."), "text.error")
            return None
        if self._compare_job is not None:
            return None
        self.quality.set_pair(base_id, variant_id)
        self._fill_variants()
        task = quality.compare_task(base.path, variant.path, self.quality_text, n_ctx)
        self._compare_job = self._runner.submit(
            self.tr("Compare {variant} with {base}").format(variant=variant.display_name, base=base.display_name),
            task, resource=RESOURCE,
            on_done=lambda job: self._on_compare_done(job, base_id, variant_id))
        self.quality.set_busy(True)
        self.progress.setFormat(self._percent_format())
        self._show_status(self.tr("Measuring {variant} against {base} (n_ctx {n_ctx})…").format(
            variant=variant.display_name, base=base.display_name, n_ctx=n_ctx))
        self._update_buttons()
        return self._compare_job

    def _on_compare_done(self, job: Job, base_id: int, variant_id: int) -> None:
        self._compare_job = None
        self.quality.set_busy(False)
        self.progress.setRange(0, 1000)
        if job.state is JobState.SUCCEEDED:
            result: quality.ComparisonResult = job.result
            self._measured.setdefault(base_id, {})[variant_id] = result
            self.progress.setValue(1000)
            self._show_status(self.tr(
                "Compared on %n token(s) at n_ctx {n_ctx}: perplexity {base_ppl} → {variant_ppl}, KLD {kld}, "
                "top-1 {top1}.", "", result.n_tokens).format(
                n_ctx=result.n_ctx, base_ppl=format_number(result.base_ppl, 3),
                variant_ppl=format_number(result.variant_ppl, 3), kld=format_number(result.kld_mean, 4),
                top1=format_percent(result.top1_agreement * 100, 1)), "text.ok")
            self._fill_variants()
            if self.quality.speed_check.isChecked():
                self.measure_speed([variant_id, base_id])
            self.comparison_finished.emit(result)
        elif job.state is JobState.FAILED:
            self._show_status(f"{job.error} {job.hint}".strip(), "text.error")
        else:
            self._show_status(self.tr("Comparison cancelled."))
        self._update_buttons()

    def measure_speed(self, artifact_ids: Sequence[int]) -> list[int]:
        """Benchmark each artifact with :attr:`speed_settings` on the Benchmark pane's queue (the
        results are stored like the Benchmark pane's, and read back into the table). Returns
        the job ids."""
        ids = []
        for artifact_id in artifact_ids:
            record = self.artifacts.find(artifact_id)
            if record is None or not record.loadable:
                continue
            task = bench_task(target_from_record(record), self.speed_settings, self._paths, inventory=self._inventory)
            title = self.tr("Benchmark {name} ({type})").format(name=record.display_name, type=record.quantization)
            job_id = self._runner.submit(title, task,
                                         resource=BENCH_RESOURCE, on_done=self._on_speed_done)
            self._speed_jobs.add(job_id)
            ids.append(job_id)
        return ids

    def _on_speed_done(self, job: Job) -> None:
        self._speed_jobs.discard(job.id)
        if job.state is JobState.FAILED:
            self._show_status(self.tr("{title} failed: {error} {hint}").format(
                title=job.title, error=job.error, hint=job.hint).strip(), "text.error")
        if not self._speed_jobs:
            self._fill_variants()
            self.speed_measured.emit()

    @Slot()
    def _on_base_changed(self) -> None:
        self._fill_variants()

    def _fill_variants(self) -> int | None:
        """Read the base's variants (same model, or made from it) and their newest benchmark in a
        job, and show them with this session's measurements. Returns the job id."""
        base_id = self.quality.base_id()
        if base_id is None:
            self.quality.table_model.set_variants([])
            self.quality.chart.set_variants([])
            return None
        inventory = self._inventory
        records = self.artifacts.records()

        def read() -> tuple[list[ArtifactRecord], dict[int, tuple[float | None, float | None]]]:
            base = next(r for r in records if r.id == base_id)
            made = {row.artifact_id for row in derived_from(inventory, base_id)}
            source = next(iter(lineage_of(inventory, base_id)), None)
            related = [r for r in records if r.format == "gguf" and r.status == "ok" and (
                r.id == base_id or r.id in made or (base.model_id is not None and r.model_id == base.model_id)
                or (source is not None and r.id == source.source_artifact_id))]
            speeds = {}
            for result in latest_per_artifact(list(reversed(load_results(inventory)))):
                if result.artifact_id is not None and result.artifact_id not in speeds:
                    speeds[result.artifact_id] = (result.pp.mean if result.pp else None,
                                                  result.tg.mean if result.tg else None)
            return related, speeds

        def show(job: Job) -> None:
            if job.state is JobState.SUCCEEDED and self.quality.base_id() == base_id:
                related, speeds = job.result
                self._show_variants(base_id, related, speeds)

        return self._runner.submit_call(self.tr("Read the variants"), read, resource="db-read", on_done=show,
                                        background=True)

    def _show_variants(self, base_id: int, related: Sequence[ArtifactRecord],
                       speeds: dict[int, tuple[float | None, float | None]]) -> None:
        measured = self._measured.get(base_id, {})
        base_ppl = next(iter(measured.values())).base_ppl if measured else None
        rows = []
        for record in sorted(related, key=lambda r: r.size_bytes, reverse=True):
            pp, tg = speeds.get(record.id, (None, None))
            result = measured.get(record.id)
            rows.append(VariantQuality(
                record.id, record.display_name, record.quantization, record.size_bytes,
                is_source=record.id == base_id,
                perplexity=base_ppl if record.id == base_id else (result.variant_ppl if result else None),
                kld_mean=result.kld_mean if result else None,
                top1_agreement=result.top1_agreement if result else None,
                n_ctx=result.n_ctx if result else None, n_tokens=result.n_tokens if result else None,
                pp_tokens_per_s=pp, tg_tokens_per_s=tg,
            ))
        self.quality.table_model.set_variants(rows)
        self.quality.chart.set_variants(rows)

    @Slot()
    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export the variants"), str(Path(self._folder("export")) / "slmdesk-variants.csv"),
            self.tr("CSV (*.csv);;JSON (*.json);;Markdown (*.md)"),
        )
        if path:
            self._remember("folders/export", str(Path(path).parent))
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Path | None:
        """Write the variants table to ``path`` (CSV, JSON or Markdown by its suffix); returns the
        path, or None with the reason in the status line."""
        writers = {".csv": quality.to_csv, ".json": quality.to_json, ".md": quality.to_markdown}
        writer = writers.get(path.suffix.lower())
        if writer is None:
            self._show_status(self.tr("Cannot export to {name}: unknown file type (use .csv, .json or .md).").format(
                name=path.name), "text.error")
            return None
        rows = [quality.VariantRow(f"{v.name} ({v.quantization})" if v.quantization else v.name, v.size_bytes,
                                   v.perplexity, v.kld_mean, v.top1_agreement, v.pp_tokens_per_s, v.tg_tokens_per_s)
                for v in self.quality.table_model.variants()]
        try:
            write_text_atomic(path, writer(rows))
        except OSError as error:
            self._show_status(self.tr("Cannot write {path}: {reason}.").format(
                path=path, reason=error.strerror or error), "text.error")
            return None
        self._show_status(self.tr("Exported %n variant(s) to {path}.", "", len(rows)).format(path=path))
        return path

    # -- dialogs -----------------------------------------------------------------------------
    @Slot()
    def _browse_output(self) -> None:
        current = self.form.output_path()
        start = str(current) if current is not None else self._folder("output")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save the quantized model as"), start,
                                              self.tr("GGUF models (*.gguf)"))
        if path:
            self._remember("folders/output", str(Path(path).parent))
            self.form.set_output_path(Path(path))

    @Slot()
    def _browse_imatrix(self) -> None:
        text = self.form.imatrix_choice() == "text"
        if text:
            title, filters = self.tr("Calibration text"), self.tr("Text files (*.txt);;All files (*)")
        else:
            title, filters = self.tr("Importance matrix"), self.tr("Importance matrices (*.imatrix *.gguf *.dat)")
        path, _ = QFileDialog.getOpenFileName(self, title, self._folder("imatrix"), filters)
        if path:
            self._remember("folders/imatrix", str(Path(path).parent))
            self.form.set_imatrix_path(Path(path))

    @Slot()
    def _browse_onnx_output(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Build the ONNX model into"),
                                                  self._folder("onnx", self._paths.models))
        if folder:
            self._remember("folders/onnx", str(Path(folder).parent))
            self.form.set_onnx_output(Path(folder))

    # -- buttons and status ----------------------------------------------------------------
    def _show_status(self, text: str, role: str = "") -> None:
        self.status_label.setText(text)
        self.status_label.set_role(role)

    def _percent_format(self) -> str:
        return self.tr("%p%", "progress bar: percent done")

    def _update_buttons(self) -> None:
        running = self._build_job is not None
        self.run_button.setEnabled(self.can_run())
        self.cancel_button.setEnabled(self.is_running())
        self.escape_shortcut.setEnabled(self.is_running())
        self.form.setEnabled(not running)
