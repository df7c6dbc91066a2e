"""The Benchmark pane's settings form: preset, sizes, threads, batches, KV cache, GPU layers."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QWidget,
)

from slmdesk.bench.settings import PRESETS, BenchSettings
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import KV_CACHE_TYPES
from slmdesk.ui.widgets.spin import int_spin


class BenchSettingsForm(QGroupBox):
    """What to measure, as llama-bench names it. The presets fill the sizes; "Custom" unlocks
    them. :meth:`settings` reads the form, :meth:`set_custom` fills it.

    The fields are built in the order they are shown (the tab order), and the form wraps its
    long labels so that it fits the narrow left column of a 1024 px window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Settings"), parent)
        self.preset_combo = QComboBox(self)
        self.preset_combo.addItem(self.tr("Quick: pp128 / tg32 × 3"), "quick")
        self.preset_combo.addItem(self.tr("Standard: pp512 / tg128 × 5 (llama-bench defaults)"), "standard")
        self.preset_combo.addItem(self.tr("Custom"), "custom")
        self.preset_combo.setAccessibleName(self.tr("Preset"))
        self.preset_combo.setToolTip(self.tr("Quick and Standard fill in the sizes; Custom lets you set every one"))
        # The long preset names must not widen the whole left column.
        self.preset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.preset_combo.setMinimumContentsLength(14)
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.pp_spin = int_spin(0, 16384, 512, self.tr("Prompt tokens (pp)"), self)
        self.tg_spin = int_spin(0, 4096, 128, self.tr("Generated tokens (tg)"), self)
        self.reps_spin = int_spin(1, 100, 5, self.tr("Repetitions"), self)
        self.depth_spin = int_spin(0, 131072, 0, self.tr("Depth (tokens already in the KV cache)"), self)
        self.threads_edit = QLineEdit(self)
        self.threads_edit.setPlaceholderText(self.tr("physical cores; or a sweep: 1,2,4"))
        self.threads_edit.setAccessibleName(self.tr("Threads"))
        self.threads_edit.setToolTip(self.tr("Empty: the physical cores; a list such as 1,2,4 runs one benchmark "
                                             "per thread count"))
        self.batch_spin = int_spin(1, 16384, 2048, self.tr("Batch size"), self)
        self.ubatch_spin = int_spin(1, 16384, 512, self.tr("Micro-batch size"), self)
        self.ctx_spin = int_spin(0, 1_048_576, 0, self.tr("Context length (0 = pp + tg + depth)"), self)
        self.fa_combo = QComboBox(self)
        self.fa_combo.addItem(self.tr("auto", "flash attention"), "auto")
        self.fa_combo.addItem(self.tr("on", "flash attention"), "on")
        self.fa_combo.addItem(self.tr("off", "flash attention"), "off")
        self.fa_combo.setAccessibleName(self.tr("Flash attention"))
        self.kv_combo = QComboBox(self)
        self.kv_combo.addItems(list(KV_CACHE_TYPES))
        self.kv_combo.setAccessibleName(self.tr("KV cache type"))
        self.kv_combo.setToolTip(self.tr("KV cache element type (llama-bench -ctk/-ctv); llama.cpp only"))
        self.gpu_spin = int_spin(-1, 999, 0, self.tr("GPU layers"), self)
        self.gpu_spin.setSpecialValueText(self.tr("all"))
        self.gpu_spin.setToolTip(self.tr("Layers offloaded to a GPU (llama-bench -ngl): 0 = CPU only"))
        self.fit_check = QCheckBox(self.tr("Use each model's Fit panel settings"), self)
        self.fit_check.setToolTip(self.tr(
            "Models whose KV cache type, flash attention and GPU layers were chosen in the Library's "
            "Fit panel are measured with those; the others with the settings here."
        ))
        self.fit_check.setChecked(True)
        self.ttft_check = QCheckBox(self.tr("Measure time to first token"), self)
        self.ttft_check.setToolTip(self.tr("Also measure the time to first token (TTFT) of a short chat prompt"))
        self.ttft_check.setChecked(True)

        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Preset"), self.preset_combo)
        sizes: tuple[tuple[str, QWidget], ...] = (
            (self.tr("pp tokens"), self.pp_spin), (self.tr("tg tokens"), self.tg_spin),
            (self.tr("Repetitions"), self.reps_spin), (self.tr("Depth"), self.depth_spin),
            (self.tr("Threads"), self.threads_edit),
        )
        for label, widget in sizes:
            form.addRow(label, widget)
        batches = QHBoxLayout()
        batches.addWidget(self.batch_spin)
        batches.addWidget(self.ubatch_spin)
        form.addRow(self.tr("Batch / µbatch"), batches)
        rows: tuple[tuple[str, QWidget], ...] = (
            (self.tr("Context"), self.ctx_spin), (self.tr("Flash attention"), self.fa_combo),
            (self.tr("KV cache"), self.kv_combo), (self.tr("GPU layers"), self.gpu_spin),
        )
        for label, widget in rows:
            form.addRow(label, widget)
        form.addRow(self.fit_check)
        form.addRow(self.ttft_check)
        self._custom_widgets: tuple[QWidget, ...] = (
            self.pp_spin, self.tg_spin, self.reps_spin, self.depth_spin, self.batch_spin, self.ubatch_spin,
            self.ctx_spin, self.fa_combo,
        )
        self.preset_combo.setCurrentIndex(0)
        self._on_preset_changed()

    @Slot(int)
    def _on_preset_changed(self, _index: int = 0) -> None:
        key = self.preset_combo.currentData()
        custom = key == "custom"
        for widget in self._custom_widgets:
            widget.setEnabled(custom)
        if not custom:
            self._fill_sizes(PRESETS[key])

    def _fill_sizes(self, settings: BenchSettings) -> None:
        self.pp_spin.setValue(settings.n_prompt)
        self.tg_spin.setValue(settings.n_gen)
        self.reps_spin.setValue(settings.repetitions)
        self.depth_spin.setValue(settings.n_depth)
        self.batch_spin.setValue(settings.n_batch)
        self.ubatch_spin.setValue(settings.n_ubatch)
        self.ctx_spin.setValue(settings.n_ctx)
        self.fa_combo.setCurrentIndex(max(0, self.fa_combo.findData(settings.flash_attn)))

    def set_custom(self, settings: BenchSettings) -> None:
        """Switch to the custom preset with ``settings`` in the form."""
        self.preset_combo.setCurrentIndex(self.preset_combo.findData("custom"))
        self._fill_sizes(settings)
        self.kv_combo.setCurrentText(settings.kv_type)
        self.gpu_spin.setValue(settings.n_gpu_layers)
        self.threads_edit.setText(",".join(str(t) for t in settings.threads))
        self.ttft_check.setChecked(settings.ttft)

    def settings(self) -> BenchSettings:
        """The settings in the form.

        Raises:
            UserError: an invalid thread list or an impossible combination.
        """
        text = self.threads_edit.text().strip()
        try:
            threads = tuple(int(part) for part in text.split(",") if part.strip()) if text else ()
        except ValueError:
            raise UserError(self.tr("Threads must be a number or a list like 1,2,4, not {text}.").format(
                text=repr(text))) from None
        return BenchSettings(
            n_prompt=self.pp_spin.value(),
            n_gen=self.tg_spin.value(),
            n_depth=self.depth_spin.value(),
            repetitions=self.reps_spin.value(),
            threads=threads,
            n_batch=self.batch_spin.value(),
            n_ubatch=self.ubatch_spin.value(),
            n_ctx=self.ctx_spin.value(),
            flash_attn=self.fa_combo.currentData() or "auto",
            kv_type=self.kv_combo.currentText(),
            n_gpu_layers=self.gpu_spin.value(),
            ttft=self.ttft_check.isChecked(),
        )
