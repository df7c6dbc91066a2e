"""The target of every fit figure in the Catalog: a hardware profile and a wanted context (n_ctx)."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from slmdesk.core.profiles import PRESETS, HardwareProfile
from slmdesk.hardware.profile import THIS_MACHINE, load_user_profiles, probe_task
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.paths import AppPaths

MIN_CTX = 512
MAX_CTX = 262_144
CTX_STEP = 256
"""llama.cpp pads n_ctx to a multiple of 256 (field-notes section 0): the spin box steps by it."""
DEFAULT_CTX = 4096


class TargetBar(QWidget):
    """"Fit for [profile] with n_ctx [4096]": this machine (probed once, in a job), the presets and
    the user's own profiles. ``target_changed`` follows a new profile or context once the profile
    is known; :meth:`profile` is None while this machine is being probed."""

    target_changed = Signal()

    def __init__(self, runner: JobRunner, paths: AppPaths, parent: QWidget | None = None,
                 state: QSettings | None = None, machine: HardwareProfile | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._paths = paths
        self._state = state
        self._machine = machine
        self._probing = False
        self.profile_label = QLabel(self.tr("Fit for"), self)
        self.profile_combo = QComboBox(self)
        self.profile_label.setBuddy(self.profile_combo)
        self.profile_combo.setAccessibleName(self.tr("Target profile"))
        self.profile_combo.setToolTip(
            self.tr("The machine every verdict, largest context and speed bound is computed for"))
        self.profile_combo.setMinimumContentsLength(14)
        self.profile_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.profile_combo.addItem(self.tr("This machine"), THIS_MACHINE)
        for key, preset in PRESETS.items():
            self.profile_combo.addItem(preset.name, key)
            self.profile_combo.setItemData(self.profile_combo.count() - 1, preset.name, Qt.ItemDataRole.ToolTipRole)
        self._user_profiles = {profile.name: profile for profile in load_user_profiles(paths)}
        for name in self._user_profiles:
            self.profile_combo.addItem(self.tr("{name} (yours)").format(name=name), name)
        self.ctx_label = QLabel(self.tr("n_ctx", "llama.cpp's name of the context length: keep it"), self)
        self.ctx_spin = QSpinBox(self)
        self.ctx_label.setBuddy(self.ctx_spin)
        self.ctx_spin.setAccessibleName(self.tr("Wanted context (n_ctx)"))
        self.ctx_spin.setToolTip(
            self.tr("The context length (tokens) the model should hold; llama.cpp pads it to 256"))
        self.ctx_spin.setRange(MIN_CTX, MAX_CTX)
        self.ctx_spin.setSingleStep(1024)
        self.ctx_spin.setValue(DEFAULT_CTX)
        self.ctx_spin.setGroupSeparatorShown(True)
        self.ctx_spin.setKeyboardTracking(False)  # typing "16384" is one change, not five
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.profile_label)
        layout.addWidget(self.profile_combo, 2)
        layout.addWidget(self.ctx_label)
        layout.addWidget(self.ctx_spin)
        layout.addWidget(self.status_label, 3)
        self._restore()
        self.profile_combo.currentIndexChanged.connect(self._on_changed)
        self.ctx_spin.valueChanged.connect(self._on_changed)

    def _restore(self) -> None:
        if self._state is None:
            return
        index = self.profile_combo.findData(str(self._state.value("catalog/profile", THIS_MACHINE)))
        if index >= 0:
            self.profile_combo.setCurrentIndex(index)
        saved = str(self._state.value("catalog/n_ctx", DEFAULT_CTX))
        self.ctx_spin.setValue(int(saved) if saved.isdigit() else DEFAULT_CTX)

    # -- what is chosen --------------------------------------------------------------------
    def profile_key(self) -> str:
        """The chosen profile's key (``this-machine``, a preset key or a user profile's name)."""
        return str(self.profile_combo.currentData())

    def n_ctx(self) -> int:
        """The wanted context, tokens, padded up to a multiple of 256."""
        value = self.ctx_spin.value()
        return -(-value // CTX_STEP) * CTX_STEP

    def profile(self) -> HardwareProfile | None:
        """The chosen profile; None while this machine is being probed (a probe starts if needed)."""
        key = self.profile_key()
        if key == THIS_MACHINE:
            if self._machine is None:
                self._probe()
            return self._machine
        if key in PRESETS:
            return PRESETS[key]
        return self._user_profiles.get(key)

    def profile_name(self) -> str:
        """The chosen profile's name as sentences write it: "this machine" in the interface
        language, else the preset's or the user's name."""
        if self.profile_key() == THIS_MACHINE:
            return self.tr("this machine", "the profile of the computer slmdesk runs on, inside a sentence")
        profile = self.profile()
        return profile.name if profile is not None else self.profile_key()

    def set_target(self, key: str, n_ctx: int | None = None) -> None:
        """Choose a profile by key (and a context); ``target_changed`` follows."""
        index = self.profile_combo.findData(key)
        if index < 0:
            raise ValueError(f"unknown profile {key!r}")
        self.ctx_spin.blockSignals(True)
        if n_ctx is not None:
            self.ctx_spin.setValue(n_ctx)
        self.ctx_spin.blockSignals(False)
        if index == self.profile_combo.currentIndex():
            self._on_changed()
        else:
            self.profile_combo.setCurrentIndex(index)

    # -- internals -------------------------------------------------------------------------
    def _probe(self) -> None:
        if self._probing:
            return
        self._probing = True
        self.status_label.setText(self.tr("Measuring this machine…"))
        self._runner.submit(self.tr("Probe this machine"), probe_task(self._paths), resource="io",
                            on_done=self._on_probed, background=True)

    def _on_probed(self, job: Job) -> None:
        self._probing = False
        if job.state is JobState.SUCCEEDED:
            self._machine = job.result
            self.status_label.clear()
            self.status_label.setToolTip("")
            if self.profile_key() == THIS_MACHINE:
                self.target_changed.emit()
        else:
            self.status_label.setText(self.tr("Could not probe this machine"))
            self.status_label.setToolTip(job.error)

    @Slot()
    def _on_changed(self) -> None:
        if self._state is not None:
            self._state.setValue("catalog/profile", self.profile_key())
            self._state.setValue("catalog/n_ctx", self.ctx_spin.value())
        if self.profile() is not None:
            self.target_changed.emit()
