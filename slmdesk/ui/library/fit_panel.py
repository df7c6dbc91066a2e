"""The Fit panel: will the selected model run here (or on a target device), and with what settings."""

from __future__ import annotations

import html
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core.errors import UserError
from slmdesk.core.fit import (
    SHORT_PROMPT_TOKENS,
    FitEstimate,
    FitOptions,
    estimate,
    max_ctx_that_fits,
    pad_ctx,
)
from slmdesk.core.load_plan import KV_CACHE_TYPES, LoadPlan, flash_attn_required
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import PRESETS, HardwareProfile
from slmdesk.formats.detect import read_spec
from slmdesk.hardware.profile import THIS_MACHINE, load_user_profiles, probe_task
from slmdesk.inventory.fit_records import latest_measurement
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.ui.i18n import format_bytes, format_number, format_percent
from slmdesk.ui.library.fit_chart import PART_ROLES, FitChart
from slmdesk.ui.palette import colour_hex
from slmdesk.ui.verdicts import VERDICT_LEVELS, at_load_text, context_full_text, verdict_text

CTX_STEP = 256
"""Slider step: llama.cpp pads n_ctx to a multiple of 256 anyway (field-notes section 0)."""
MIN_CTX = 512
__all__ = ["PART_ROLES", "FitPanel"]
MEASURED_TOKENS_KEY = "tokens_in_context"
"""Key of a measurement's ``load_settings`` that may say how many tokens the KV cache held when
the peak was read; without it the peak is compared with the "at load / short prompt" figure
(Chat records one at the load and one after each reply)."""


class FitPanel(QWidget):
    """Breakdown chart, context slider, KV type, GPU layers, target profile, largest context.

    Header reads and the hardware probe run as jobs; estimates are pure and computed on the
    GUI thread (about a millisecond each). ``estimated`` reports every new estimate.
    """

    estimated = Signal(int, object)  # artifact id, FitEstimate
    defaults_saved = Signal(int)  # artifact id
    machine_probed = Signal(object)  # HardwareProfile of this machine

    def __init__(
        self, paths: AppPaths, runner: JobRunner, inventory: Inventory, parent: QWidget | None = None,
        plans: LoadPlanStore | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths = paths
        self._inventory = inventory
        self._runner = runner
        self.plans = plans or LoadPlanStore(inventory)
        self._record: ArtifactRecord | None = None
        self._specs: dict[int, ModelSpec] = {}
        self._spec_errors: dict[int, str] = {}
        self._machine: HardwareProfile | None = None
        self._probing = False
        self.result: FitEstimate | None = None
        self._verdict_shown: tuple[FitEstimate, HardwareProfile, str] | None = None
        """The estimate and profile of the verdict line last written, and its text (redrawn in a
        new theme's colours while the label still shows it)."""

        # Built in reading order (the tab order); the form puts labels above their fields when
        # the panel is narrow, so nothing is clipped in a 1024x640 window.
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.profile_combo = QComboBox(self)
        self.profile_combo.setAccessibleName(self.tr("Target profile"))
        self.profile_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.profile_combo.setMinimumContentsLength(12)
        self.profile_combo.addItem(self.tr("This machine"), THIS_MACHINE)
        for key, preset in PRESETS.items():
            self.profile_combo.addItem(preset.name, key)
        self._user_profiles = {profile.name: profile for profile in load_user_profiles(paths)}
        for name in self._user_profiles:
            self.profile_combo.addItem(self.tr("{name} (yours)").format(name=name), name)
        self.remeasure_button = QPushButton(self.tr("Measure again"), self)
        self.remeasure_button.setToolTip(self.tr(
            "Probe this machine again: free memory, GPUs and a new memory-bandwidth measurement "
            "(the generation-speed bound follows it; close busy programs first)"
        ))
        self.remeasure_button.setAccessibleName(self.tr("Measure this machine again"))
        self.remeasure_button.clicked.connect(self.remeasure_machine)
        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile_combo, 1)
        profile_row.addWidget(self.remeasure_button)
        self._add_row(form, self.tr("Check &fit for"), profile_row, self.profile_combo)

        self.ctx_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.ctx_slider.setAccessibleName(self.tr("Context length"))
        self.ctx_slider.setPageStep(8)
        self.ctx_label = QLabel(self)
        ctx_row = QHBoxLayout()
        ctx_row.addWidget(self.ctx_slider, 1)
        ctx_row.addWidget(self.ctx_label)
        self._add_row(form, self.tr("&Context (n_ctx)"), ctx_row, self.ctx_slider)

        self.kv_combo = QComboBox(self)
        self.kv_combo.addItems(KV_CACHE_TYPES)
        self.kv_combo.setAccessibleName(self.tr("KV cache type"))
        self.kv_combo.setToolTip(self.tr("KV cache type; q8_0 and q4_0 need flash attention, which is then turned on"))
        self._add_row(form, self.tr("&KV cache"), self.kv_combo, self.kv_combo)

        self.gpu_spin = QSpinBox(self)
        self.gpu_spin.setRange(-1, 999)
        self.gpu_spin.setSpecialValueText(self.tr("auto"))
        self.gpu_spin.setAccessibleName(self.tr("GPU layers"))
        self.gpu_spin.setToolTip(
            self.tr("Layers offloaded to the GPU (llama.cpp counting; auto picks the most that fit)"))
        self.gpu_spin.setMinimumWidth(self.gpu_spin.sizeHint().width())
        self.flash_check = QCheckBox(self.tr("Flash attention"), self)
        self._chosen_flash = False
        """Flash attention as the user chose it (the box may show it forced on)."""
        row = QHBoxLayout()
        row.addWidget(self.gpu_spin)
        row.addWidget(self.flash_check)
        row.addStretch(1)
        self._add_row(form, self.tr("&GPU layers"), row, self.gpu_spin)

        self.verdict_label = QLabel(self)
        self.verdict_label.setWordWrap(True)
        self.chart_view = FitChart(self)
        self.chart = self.chart_view.chart()
        self.facts_label = QLabel(self)
        self.facts_label.setWordWrap(True)
        self.facts_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.use_button = QPushButton(self.tr("Use for Chat and Benchmark"), self)
        self.use_button.setToolTip(self.tr(
            "Save these settings as this model's load plan: Chat, Benchmark, the command line and the "
            "server load it with them"
        ))
        self.use_button.setAccessibleName(self.tr("Use these settings for Chat and Benchmark"))
        self.use_button.clicked.connect(self.save_defaults)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.chart_view, 1)
        layout.addWidget(self.facts_label)
        layout.addWidget(self.use_button)

        self.profile_combo.currentIndexChanged.connect(self._on_profile_changed)
        self.ctx_slider.valueChanged.connect(self._on_control_changed)
        self.kv_combo.currentIndexChanged.connect(self._on_control_changed)
        self.gpu_spin.valueChanged.connect(self._on_control_changed)
        self.flash_check.toggled.connect(self._on_control_changed)
        self._set_enabled(False)

    def _add_row(self, form: QFormLayout, text: str, field: QWidget | QLayout, buddy: QWidget) -> None:
        label = QLabel(text, self)
        label.setBuddy(buddy)  # the field's name for screen readers, and Alt+letter
        form.addRow(label, field)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a theme switch: only the colours change
            shown = self._verdict_shown
            if shown is not None and self.verdict_label.text() == shown[2]:  # still the verdict, not a message
                result, profile, _ = shown
                self._verdict_shown = (result, profile, self._verdict_html(result, profile))
                self.verdict_label.setText(self._verdict_shown[2])
            self.chart_view.redraw()

    # -- inputs ---------------------------------------------------------------------------
    def forget(self, artifact_id: int) -> None:
        """Drop the header read for a removed artifact."""
        self._specs.pop(artifact_id, None)
        self._spec_errors.pop(artifact_id, None)

    def set_artifact(self, record: ArtifactRecord | None) -> None:
        """Show the fit of ``record`` (its header is read in a job the first time)."""
        self._record = record
        self.result = None
        if record is None or not record.loadable:
            self._set_enabled(False)
            self.verdict_label.setText(
                ""
                if record is None
                else self.tr("No fit estimate: the model is not loadable (missing, corrupt or not GGUF/ONNX).")
            )
            self._clear_chart()
            return
        self._configure_controls(record)
        if record.id in self._specs:
            self.recompute()
        else:
            self.verdict_label.setText(self.tr("Reading the model header…"))
            artifact_id, path = record.id, record.path
            self._runner.submit_call(self.tr("Read header of {file}").format(file=path.name),
                                     lambda: read_spec(path), resource="io",
                                     on_done=lambda job: self._on_spec(artifact_id, job), background=True)

    def _configure_controls(self, record: ArtifactRecord) -> None:
        saved = self.plans.get(record.id)
        plan = saved or self.plans.plan_for(record.id, record.context_length)
        max_ctx = max(MIN_CTX, record.context_length or plan.n_ctx)
        widgets = (self.ctx_slider, self.kv_combo, self.gpu_spin, self.flash_check, self.profile_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.ctx_slider.setRange(MIN_CTX // CTX_STEP, max(MIN_CTX, pad_ctx(max_ctx)) // CTX_STEP)
        self.ctx_slider.setValue(max(MIN_CTX, plan.n_ctx) // CTX_STEP)
        self.kv_combo.setCurrentText(plan.kv_type)
        self.gpu_spin.setMaximum((record.n_layer or 0) + 1)
        self.gpu_spin.setValue(-1 if plan.n_gpu_layers is None else plan.n_gpu_layers)
        self._chosen_flash = plan.flash_attn
        if saved is not None:
            index = self.profile_combo.findData(saved.profile)
            if index >= 0:
                self.profile_combo.setCurrentIndex(index)
        self._sync_flash_check()
        for widget in widgets:
            widget.blockSignals(False)
        self._update_ctx_label()

    def _sync_flash_check(self) -> None:
        """The flash-attention box shows what will be used: ticked and disabled, with the
        reason, while a quantized KV cache forces it; the user's own choice otherwise."""
        forced = flash_attn_required(self.kv_combo.currentText())
        self.flash_check.blockSignals(True)
        self.flash_check.setChecked(forced or self._chosen_flash)
        self.flash_check.setEnabled(not forced and self.kv_combo.isEnabled())
        self.flash_check.setToolTip(
            self.tr("A quantized KV cache needs flash attention, so it is on (llama.cpp refuses the cache "
                    "without it).")
            if forced else self.tr("Use flash attention (less memory for long contexts)")
        )
        self.flash_check.blockSignals(False)

    def _on_spec(self, artifact_id: int, job: Job) -> None:
        if job.state is JobState.SUCCEEDED:
            self._specs[artifact_id] = job.result
        else:
            self._spec_errors[artifact_id] = job.error
        if self._record is not None and self._record.id == artifact_id:
            if artifact_id in self._specs:
                self.recompute()
            else:
                self.verdict_label.setText(
                    self.tr("Cannot read the header: {error}").format(error=html.escape(job.error)))

    def plan(self) -> LoadPlan:
        """The load plan set in the controls (GPU layers "auto" is None: the estimator chooses)."""
        gpu = self.gpu_spin.value()
        return LoadPlan(
            n_ctx=self.ctx_slider.value() * CTX_STEP,
            kv_type=self.kv_combo.currentText(),
            flash_attn=self._chosen_flash,
            n_gpu_layers=None if gpu < 0 else gpu,
            profile=str(self.profile_combo.currentData()),
        )

    def options(self) -> FitOptions:
        """The fit options of :meth:`plan`."""
        options: FitOptions = self.plan().fit_options()
        return options

    def profile(self) -> HardwareProfile | None:
        """The chosen target profile; None while this machine is being probed."""
        key = self.profile_combo.currentData()
        if key == THIS_MACHINE:
            if self._machine is None:
                self._probe()
            return self._machine
        if key in PRESETS:
            return PRESETS[key]
        return self._user_profiles.get(key)

    def profile_name(self, profile: HardwareProfile) -> str:
        """A profile's name as shown: this machine's in the interface language, the others as named."""
        return self.tr("this machine") if profile.name == THIS_MACHINE else profile.name

    def machine_profile(self) -> HardwareProfile | None:
        """This machine's profile, once probed."""
        return self._machine

    def probe_machine(self) -> None:
        """Probe this machine in a job (once); ``machine_probed`` follows."""
        self._probe()

    @Slot()
    def remeasure_machine(self) -> None:
        """Probe this machine again, measuring its memory bandwidth anew ("Measure again");
        ``machine_probed`` follows."""
        self._probe(remeasure=True)

    def _probe(self, remeasure: bool = False) -> None:
        if self._probing:
            return
        self._probing = True
        self.remeasure_button.setEnabled(False)
        self.verdict_label.setText(self.tr("Measuring this machine (CPU, memory, bandwidth)…"))
        self._runner.submit(
            self.tr("Measure this machine again") if remeasure else self.tr("Probe this machine"),
            probe_task(self._paths, remeasure_bandwidth=remeasure), resource="io", on_done=self._on_probed,
            background=not remeasure,
        )

    def _on_probed(self, job: Job) -> None:
        self._probing = False
        self.remeasure_button.setEnabled(True)
        if job.state is JobState.SUCCEEDED:
            self._machine = job.result
            self.machine_probed.emit(job.result)
            if self._record is None:
                self.verdict_label.clear()  # nothing selected: drop the "Measuring…" line
            self.recompute()
        else:
            self.verdict_label.setText(
                self.tr("Could not probe this machine: {error}").format(error=html.escape(job.error)))

    # -- output ---------------------------------------------------------------------------
    @Slot()
    def recompute(self) -> FitEstimate | None:
        """Estimate with the current controls; updates the verdict, chart and facts."""
        record = self._record
        if record is None or record.id not in self._specs:
            return None
        profile = self.profile()
        if profile is None:
            return None
        spec = self._specs[record.id]
        options = self.options()
        try:
            result = estimate(spec, options, profile)
            largest = max_ctx_that_fits(spec, replace(options, n_ctx=MIN_CTX), profile)
        except UserError as error:
            self.verdict_label.setText(self.tr("No estimate: {error}").format(error=html.escape(error.message)))
            self._clear_chart()
            return None
        self.result = result
        self._set_enabled(True)
        self.gpu_spin.setEnabled(bool(profile.gpus))
        self._verdict_shown = (result, profile, self._verdict_html(result, profile))
        self.verdict_label.setText(self._verdict_shown[2])
        if largest:
            largest_text = self.tr("Largest context that fits: {tokens} tokens").format(  # at least MIN_CTX
                tokens=format_number(largest))
        else:
            largest_text = self.tr("No context length fits.")
        if profile.gpus:
            layers_text = self.tr("GPU layers: {used} of {total}").format(used=result.gpu_layers,
                                                                         total=result.n_layer + 1)
        else:
            layers_text = self.tr("GPU layers: none (no GPU)")
        facts = [self.figures_text(result), largest_text, layers_text]
        if result.tg_tokens_per_s_bound:
            full = result.tg_tokens_per_s_bound_context_full
            speed = self.tr("Generation speed bound: {rate} tokens/s with a short context").format(
                rate=format_number(result.tg_tokens_per_s_bound, 0))
            if full:
                speed += self.tr(", {rate} tokens/s {full_label}").format(rate=format_number(full, 0),
                                                                        full_label=context_full_text())
            speed += self.tr(" (read bandwidth of all cores / bytes read per token: no decode can be faster)")
            facts.append(speed)
        facts += list(result.notes)
        facts.append(self._measured_text(spec, profile))
        self.facts_label.setText("<br>".join(html.escape(f) for f in facts))
        self._draw(result)
        self.estimated.emit(record.id, result)
        return result

    def _verdict_html(self, result: FitEstimate, profile: HardwareProfile) -> str:
        """The verdict line: the verdict in words in its level's colour (of the theme on screen
        now), then the memory needed and available."""
        level_colour = colour_hex(f"verdict.{VERDICT_LEVELS[result.verdict]}")
        verdict = f"<b style='color:{level_colour}'>{html.escape(verdict_text(result.verdict, sentence=True))}</b>"
        text = self.tr("{verdict} on {profile}: {needed} of {available} RAM available").format(
            verdict=verdict, profile=html.escape(self.profile_name(profile)),
            needed=format_bytes(result.total_host_bytes), available=format_bytes(result.host_available_bytes))
        if result.gpu_layers:
            text += self.tr(", {needed} of {available} on {device}").format(
                needed=format_bytes(result.total_device_bytes),
                available=format_bytes(result.device_available_bytes or 0),
                device=html.escape(result.device_name or "GPU"))
        return text

    @staticmethod
    def figures_text(result: FitEstimate) -> str:
        """The two memory figures in words: at load / short prompt, and with the context full."""
        return QCoreApplication.translate(
            "FitPanel",
            "RAM {at_load_label} (up to {short} tokens): {at_load}; {full_label} ({n_ctx} tokens): {full} "
            "(the compute buffers are reserved at load and touched as the context fills)"
        ).format(
            at_load_label=at_load_text(), short=SHORT_PROMPT_TOKENS,
            at_load=format_bytes(result.total_host_at_load_bytes), full_label=context_full_text(),
            n_ctx=format_number(result.n_ctx), full=format_bytes(result.total_host_context_full_bytes),
        )

    def _measured_text(self, spec: ModelSpec, profile: HardwareProfile) -> str:
        """The last measured peak of this artifact beside the estimate it should match: the one
        for the tokens the KV cache held when the measurement says so, else "at load / short
        prompt" (a load, or a reply early in a conversation); the context-full figure is shown
        as the most that load can reach."""
        assert self._record is not None
        measured = latest_measurement(self._inventory, self._record.id)
        if measured is None or not measured.peak_rss_bytes:
            return self.tr("Measured: not yet (load the model in Chat to measure its real peak memory).")
        peak = measured.peak_rss_bytes
        settings = dict(measured.load_settings)
        kv = str(settings.get("type_k", "f16"))
        options = FitOptions(
            n_ctx=int(settings.get("n_ctx", 4096)), kv_type=kv,
            flash_attn=bool(settings.get("flash_attn")) or flash_attn_required(kv),
            n_gpu_layers=int(settings.get("n_gpu_layers", 0)) if settings.get("n_gpu_layers", 0) >= 0 else None,
            swa_full=bool(settings.get("swa_full", False)),
        )
        tokens = settings.get(MEASURED_TOKENS_KEY)
        try:
            result = estimate(spec, options, profile)
            if isinstance(tokens, int) and tokens > SHORT_PROMPT_TOKENS:
                # more than SHORT_PROMPT_TOKENS: always a plural
                at_load = False
                figure = self.tr("with {tokens} tokens in the context").format(tokens=format_number(tokens))
                reference = estimate(spec, replace(options, tokens_in_context=tokens), profile).total_host_bytes
            else:
                at_load = True  # compared with the "at load / short prompt" figure
                figure, reference = at_load_text(), result.total_host_at_load_bytes
        except UserError:
            return self.tr("Measured peak: {peak}.").format(peak=format_bytes(peak))
        error = (reference - peak) / peak * 100
        text = self.tr(
            "Measured peak at the last load (n_ctx {n_ctx}, KV {kv}): {peak}; estimate {figure} {estimate} "
            "({error}), {full_label} {full}"
        ).format(
            n_ctx=options.n_ctx, kv=kv, peak=format_bytes(peak), figure=figure, estimate=format_bytes(reference),
            error=format_percent(error, 1, signed=True), full_label=context_full_text(),
            full=format_bytes(result.total_host_context_full_bytes),
        )
        if at_load and peak > reference * 1.1:
            text += self.tr(" (the peak lies between the two: the context was partly filled)")
        return text + "."

    def _draw(self, result: FitEstimate) -> None:
        self.chart_view.show_estimate(result)

    def _clear_chart(self) -> None:
        self.chart_view.clear()

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.ctx_slider, self.kv_combo, self.gpu_spin, self.flash_check, self.use_button):
            widget.setEnabled(enabled)
        if enabled:
            self._sync_flash_check()

    def _update_ctx_label(self) -> None:
        # At least MIN_CTX: always a plural.
        tokens = format_number(self.ctx_slider.value() * CTX_STEP)
        self.ctx_label.setText(self.tr("{tokens} tokens").format(tokens=tokens))

    @Slot()
    def _on_control_changed(self, *_args: object) -> None:
        if self.flash_check.isEnabled():  # not forced: the box is the user's choice
            self._chosen_flash = self.flash_check.isChecked()
        self._sync_flash_check()
        self._update_ctx_label()
        self.recompute()

    @Slot(int)
    def _on_profile_changed(self, _index: int) -> None:
        self.recompute()

    @Slot()
    def save_defaults(self) -> None:
        """Store the settings shown as the artifact's load plan (Chat, Benchmark, the CLI and
        the server load it with them)."""
        if self._record is None:
            return
        try:
            self.plans.save(self._record.id, self.plan())
        except UserError as error:
            self.verdict_label.setText(html.escape(f"{error.message} {error.hint}".strip()))
            return
        self.defaults_saved.emit(self._record.id)
