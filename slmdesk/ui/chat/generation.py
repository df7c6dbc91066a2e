"""The Chat pane's right column: system prompt (with presets), sampling settings and export buttons."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from slmdesk.chat.presets import SYSTEM_PROMPT_PRESETS, preset_for
from slmdesk.engine.types import SamplingParams
from slmdesk.inventory.conversations import ConversationMode
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP
from slmdesk.ui.widgets.scroll import VerticalScrollArea
from slmdesk.ui.widgets.spin import float_spin, int_spin


class NewChatSettings(TypedDict):
    """:meth:`GenerationSettings.new_chat_settings`: keyword arguments of ``ChatSession.create``."""

    system_prompt: str
    params: SamplingParams
    mode: ConversationMode


PRESET_NAMES = (
    QT_TRANSLATE_NOOP("GenerationSettings", "Helpful assistant"),
    QT_TRANSLATE_NOOP("GenerationSettings", "Concise"),
    QT_TRANSLATE_NOOP("GenerationSettings", "Teacher"),
    QT_TRANSLATE_NOOP("GenerationSettings", "Programmer"),
    QT_TRANSLATE_NOOP("GenerationSettings", "Editor"),
    QT_TRANSLATE_NOOP("GenerationSettings", "Translator"),
)
"""The names of :data:`~slmdesk.chat.presets.SYSTEM_PROMPT_PRESETS`, for the translation tools:
the list shows them translated (their prompts stay English, which small models follow best)."""

def _tr(text: str) -> str:
    return QCoreApplication.translate("GenerationSettings", text)


class GenerationSettings(QWidget):
    """The "Generation" box (system prompt with its presets, temperature, top-k, top-p, min-p,
    repeat penalty, max tokens, seed) and Export Markdown / JSON. Each conversation keeps its
    own values; the controller shows them (:meth:`show_settings`) and reads them
    (:meth:`sampling_params`).

    The preset list (:data:`~slmdesk.chat.presets.SYSTEM_PROMPT_PRESETS`) fills the system
    prompt; it shows the preset the text matches, else "Your own", which brings back the last
    text you wrote yourself after trying a preset."""

    export_markdown_requested = Signal()
    export_json_requested = Signal()
    mode_chosen = Signal(str)
    """The user picked a mode: ``"chat"`` or ``"completion"``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = SamplingParams()
        content = QWidget(self)
        self.mode_combo = QComboBox(content)
        self.mode_combo.addItem(self.tr("Chat", "conversation mode"), "chat")
        self.mode_combo.addItem(self.tr("Completion (continue the text)"), "completion")
        self.mode_combo.setToolTip(self.tr(
            "Chat: the conversation goes through the model's chat template (instruct models).\n"
            "Completion: the model continues your text as written, with no template; how a base "
            "model (no chat template) is meant to be used."))
        self.mode_combo.setAccessibleName(self.tr("Conversation mode"))
        self.mode_combo.activated.connect(lambda index: self.mode_chosen.emit(str(self.mode_combo.itemData(index))))
        self.preset_combo = QComboBox(content)
        self.preset_combo.setAccessibleName(self.tr("System prompt preset"))
        self.preset_combo.addItem(self.tr("None"), "")  # no system prompt
        for preset in SYSTEM_PROMPT_PRESETS:
            self.preset_combo.addItem(_tr(preset.name), preset.text)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset.text, Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.addItem(self.tr("Your own"), None)  # the text you wrote yourself
        self.preset_combo.activated.connect(self._on_preset_chosen)
        for combo in (self.mode_combo, self.preset_combo):  # long items elide in a narrow column
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
        self.system_edit = QPlainTextEdit(content)
        self.system_edit.setPlaceholderText(self.tr("System prompt (optional)"))
        self.system_edit.setAccessibleName(self.tr("System prompt"))
        self.system_edit.setAccessibleDescription(self.tr("Instructions the model gets before the conversation"))
        self.system_edit.setMaximumHeight(120)
        self.system_edit.textChanged.connect(self._on_system_text_changed)
        self._own_text = ""  # the last system prompt written by hand
        self.temperature = float_spin(0.0, 2.0, defaults.temperature, 0.05)
        self.top_k = int_spin(0, 1000, defaults.top_k)
        # Top-p 0 is no distribution at all (SamplingParams refuses it), so the box stops at 0.01.
        self.top_p = float_spin(0.01, 1.0, defaults.top_p, 0.01)
        self.min_p = float_spin(0.0, 1.0, defaults.min_p, 0.01)
        self.min_p.setToolTip(self._min_p_tip(onnx=False))
        self.repeat_penalty = float_spin(0.5, 2.0, defaults.repeat_penalty, 0.05)
        self.max_tokens = int_spin(1, 32768, defaults.max_tokens)
        self.seed = int_spin(-1, 2**31 - 1, -1)
        self.seed.setSpecialValueText(self.tr("random", "seed"))
        self.seed.setToolTip(
            self.tr("The same seed, settings and prompt give the same reply; random: a new one each time"))
        self.max_tokens.setToolTip(self.tr("The longest reply, in tokens"))
        for spin in (self.temperature, self.top_k, self.top_p, self.min_p, self.repeat_penalty, self.max_tokens,
                     self.seed):
            spin.setParent(content)
        box = QGroupBox(self.tr("Generation"), content)
        form = QFormLayout(box)
        # Each label above its field: the column stays narrow enough for a 1024-pixel window
        # in every language (WrapLongRows squeezes some fields below their minimum first).
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.addRow(self.tr("Mode:"), self.mode_combo)
        form.addRow(self.tr("System prompt:"), self.preset_combo)
        form.addRow(self.system_edit)
        form.addRow(self.tr("Temperature:"), self.temperature)
        form.addRow(self.tr("Top-k:"), self.top_k)
        form.addRow(self.tr("Top-p:"), self.top_p)
        form.addRow(self.tr("Min-p:"), self.min_p)
        form.addRow(self.tr("Repeat penalty:"), self.repeat_penalty)
        form.addRow(self.tr("Max tokens:"), self.max_tokens)
        form.addRow(self.tr("Seed:"), self.seed)
        self.export_md_button = QPushButton(self.tr("Export Markdown…"), content)
        self.export_md_button.setToolTip(self.tr("Save the conversation as a Markdown file"))
        self.export_md_button.clicked.connect(self.export_markdown_requested)
        self.export_json_button = QPushButton(self.tr("Export JSON…"), content)
        self.export_json_button.setToolTip(
            self.tr("Save the conversation as JSON, with the model's SHA-256, the settings and each reply's stats"))
        self.export_json_button.clicked.connect(self.export_json_requested)
        inner = QVBoxLayout(content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(box)
        inner.addWidget(self.export_md_button)
        inner.addWidget(self.export_json_button)
        inner.addStretch(1)
        scroll = VerticalScrollArea(self)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def mode(self) -> str:
        """The mode shown: ``"chat"`` or ``"completion"``."""
        return str(self.mode_combo.currentData())

    def show_mode(self, mode: str) -> None:
        """Show a conversation's mode; the system prompt is disabled in completion mode (a
        base model's continuation has no place for it)."""
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))
        self.system_edit.setEnabled(mode != "completion")
        self.preset_combo.setEnabled(mode != "completion")

    def system_prompt(self) -> str:
        """The system prompt as typed ("" when none)."""
        return self.system_edit.toPlainText()

    @Slot(int)
    def _on_preset_chosen(self, index: int) -> None:
        text = self.preset_combo.itemData(index)
        self.system_edit.setPlainText(self._own_text if text is None else str(text))

    @Slot()
    def _on_system_text_changed(self) -> None:
        text = self.system_edit.toPlainText()
        preset = preset_for(text)
        if preset is not None:
            index = self.preset_combo.findData(preset.text)
        elif text.strip():
            self._own_text = text
            index = self.preset_combo.count() - 1
        else:
            index = 0
        self.preset_combo.setCurrentIndex(index)

    def new_chat_settings(self) -> NewChatSettings:
        """What a new conversation starts with: the system prompt, sampling parameters and mode
        shown (keyword arguments of :meth:`~slmdesk.chat.ChatSession.create`)."""
        return {"system_prompt": self.system_prompt(), "params": self.sampling_params(),
                "mode": "completion" if self.mode() == "completion" else "chat"}

    def sampling_params(self) -> SamplingParams:
        """The sampling parameters set in the box (seed None when "random")."""
        seed = self.seed.value()
        return SamplingParams(
            temperature=self.temperature.value(),
            top_k=self.top_k.value(),
            top_p=self.top_p.value(),
            min_p=self.min_p.value(),
            repeat_penalty=self.repeat_penalty.value(),
            max_tokens=self.max_tokens.value(),
            seed=None if seed < 0 else seed,
        )

    def show_settings(self, system_prompt: str | None, settings: Mapping[str, Any]) -> None:
        """Show a conversation's system prompt and stored sampling settings (a JSON object as
        the inventory keeps it; missing keys take :class:`SamplingParams`' defaults)."""
        defaults = SamplingParams()
        self.system_edit.setPlainText(system_prompt or "")
        self.temperature.setValue(float(settings.get("temperature", defaults.temperature)))
        self.top_k.setValue(int(settings.get("top_k", defaults.top_k)))
        self.top_p.setValue(float(settings.get("top_p", defaults.top_p)))
        self.min_p.setValue(float(settings.get("min_p", defaults.min_p)))
        self.repeat_penalty.setValue(float(settings.get("repeat_penalty", defaults.repeat_penalty)))
        self.max_tokens.setValue(int(settings.get("max_tokens", defaults.max_tokens)))
        seed = settings.get("seed")
        self.seed.setValue(-1 if seed is None else int(seed))

    def show_backend(self, backend: str | None) -> None:
        """Disable the controls the loaded engine ignores (ONNX Runtime GenAI has no min-p),
        saying why in the tooltip; ``None`` (nothing loaded) enables them all."""
        onnx = backend == "onnxruntime-genai"
        self.min_p.setEnabled(not onnx)
        self.min_p.setToolTip(self._min_p_tip(onnx))

    def _min_p_tip(self, onnx: bool) -> str:
        """The min-p box's tooltip: what it does, or why it is off for an ONNX model."""
        if onnx:
            return self.tr(
                "ONNX Runtime GenAI has no min-p sampling (its search options are temperature, top-k, top-p "
                "and repetition penalty), so min-p is off for this model.")
        return self.tr("Drop tokens less likely than min-p × the most likely token's probability (llama.cpp).")

    def set_export_enabled(self, enabled: bool) -> None:
        """Export needs a conversation with messages and an idle engine."""
        self.export_md_button.setEnabled(enabled)
        self.export_json_button.setEnabled(enabled)
