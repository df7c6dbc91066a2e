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
    them. :meth:`settings` reads the form, :meth:`set_custom` fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Settings", parent)
        self.preset_combo = QComboBox(self)
        self.preset_combo.addItem("Quick: pp128 / tg32 × 3", "quick")
        self.preset_combo.addItem("Standard: pp512 / tg128 × 5 (llama-bench defaults)", "standard")
        self.preset_combo.addItem("Custom", "custom")
        self.preset_combo.setAccessibleName("Preset")
        self.preset_combo.currentIndexChanged.connect(self._on_preset_changed)
        self.pp_spin = int_spin(0, 16384, 512, "Prompt tokens (pp)", self)
        self.tg_spin = int_spin(0, 4096, 128, "Generated tokens (tg)", self)
        self.reps_spin = int_spin(1, 100, 5, "Repetitions", self)
        self.depth_spin = int_spin(0, 131072, 0, "Depth (tokens already in the KV cache)", self)
        self.batch_spin = int_spin(1, 16384, 2048, "Batch size", self)
        self.ubatch_spin = int_spin(1, 16384, 512, "Micro-batch size", self)
        self.ctx_spin = int_spin(0, 1_048_576, 0, "Context length (0 = pp + tg + depth)", self)
        self.threads_edit = QLineEdit(self)
        self.threads_edit.setPlaceholderText("physical cores; or a sweep: 1,2,4")
        self.threads_edit.setAccessibleName("Threads")
        self.fa_combo = QComboBox(self)
        self.fa_combo.addItems(["auto", "on", "off"])
        self.fa_combo.setAccessibleName("Flash attention")
        self.kv_combo = QComboBox(self)
        self.kv_combo.addItems(list(KV_CACHE_TYPES))
        self.kv_combo.setAccessibleName("KV cache type")
        self.kv_combo.setToolTip("KV cache element type (llama-bench -ctk/-ctv); llama.cpp only")
        self.gpu_spin = int_spin(-1, 999, 0, "GPU layers", self)
        self.gpu_spin.setSpecialValueText("all")
        self.gpu_spin.setToolTip("Layers offloaded to a GPU (llama-bench -ngl): 0 = CPU only")
        self.fit_check = QCheckBox("Use each model's load settings from its Fit panel", self)
        self.fit_check.setToolTip(
            "Models whose KV cache type, flash attention and GPU layers were chosen in the Library's "
            "Fit panel are measured with those; the others with the settings here."
        )
        self.fit_check.setChecked(True)
        self.ttft_check = QCheckBox("Time to first token of a chat prompt", self)
        self.ttft_check.setChecked(True)

        form = QFormLayout(self)
        form.addRow("Preset", self.preset_combo)
        sizes: tuple[tuple[str, QWidget], ...] = (
            ("pp", self.pp_spin), ("tg", self.tg_spin), ("Repetitions", self.reps_spin), ("Depth", self.depth_spin),
            ("Threads", self.threads_edit),
        )
        for label, widget in sizes:
            form.addRow(label, widget)
        batches = QHBoxLayout()
        batches.addWidget(self.batch_spin)
        batches.addWidget(self.ubatch_spin)
        form.addRow("Batch / µbatch", batches)
        rows: tuple[tuple[str, QWidget], ...] = (("Context", self.ctx_spin), ("Flash attention", self.fa_combo),
                                                 ("KV cache", self.kv_combo), ("GPU layers", self.gpu_spin))
        for label, widget in rows:
            form.addRow(label, widget)
        form.addRow("", self.fit_check)
        form.addRow("", self.ttft_check)
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
        self.fa_combo.setCurrentText(settings.flash_attn)

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
            raise UserError(f"Threads must be a number or a list like 1,2,4, not {text!r}.") from None
        return BenchSettings(
            n_prompt=self.pp_spin.value(),
            n_gen=self.tg_spin.value(),
            n_depth=self.depth_spin.value(),
            repetitions=self.reps_spin.value(),
            threads=threads,
            n_batch=self.batch_spin.value(),
            n_ubatch=self.ubatch_spin.value(),
            n_ctx=self.ctx_spin.value(),
            flash_attn=self.fa_combo.currentText(),
            kv_type=self.kv_combo.currentText(),
            n_gpu_layers=self.gpu_spin.value(),
            ttft=self.ttft_check.isChecked(),
        )
