"""The Chat pane: pick and load a model, converse with it, keep every conversation."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from slmdesk.core.errors import UserError
from slmdesk.engine.types import Done, LoadInfo, LoadSettings, PromptReady, SamplingParams
from slmdesk.formats.checksum import sha256_task
from slmdesk.inventory import conversations as store
from slmdesk.inventory import fit_records
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.chat.conversations import ConversationListModel
from slmdesk.ui.chat.export import conversation_json, conversation_markdown
from slmdesk.ui.chat.transcript import TranscriptMessage, TranscriptView

log = logging.getLogger(__name__)

MIN_P_TIP = "Drop tokens less likely than min-p × the most likely token's probability (llama.cpp)."
MIN_P_ONNX_TIP = ("ONNX Runtime GenAI has no min-p sampling (its search options are temperature, top-k, top-p "
                  "and repetition penalty), so min-p is off for this model.")

LoadSettingsProvider = Callable[[ArtifactRecord], LoadSettings]


def stats_line(stats: dict) -> str:
    """``'42 tokens · TTFT 0.12 s · 63.1 tok/s · prompt 18 tokens'`` for a finished reply."""
    parts = [f"{stats.get('completion_tokens', 0)} tokens"]
    if stats.get("ttft_s"):
        parts.append(f"TTFT {stats['ttft_s']:.2f} s")
    if stats.get("tg_tokens_per_s"):
        parts.append(f"{stats['tg_tokens_per_s']:.1f} tok/s")
    if stats.get("prompt_tokens"):
        parts.append(f"prompt {stats['prompt_tokens']} tokens")
    return " · ".join(parts)


class ChatPane(QWidget):
    """Model picker and load/unload, conversation list, transcript, input, sampling settings.

    The engine runs in a child process (:class:`EngineSession`); a crash keeps the
    conversation and the partial reply, says what happened and offers to reload.
    """

    status_changed = Signal(str)

    def __init__(
        self,
        inventory: Inventory,
        session: EngineSession,
        runner: JobRunner,
        load_settings_for: LoadSettingsProvider,
        parent: QWidget | None = None,
        verdict_for: Callable[[int], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._verdict_for = verdict_for or (lambda _artifact_id: None)
        self._inventory = inventory
        self._session = session
        self._runner = runner
        self._load_settings_for = load_settings_for
        self._artifacts: list[ArtifactRecord] = []
        self._conversation_id: int | None = None
        self._reply: TranscriptMessage | None = None
        self._reply_message_id: int | None = None
        self._loaded_artifact: ArtifactRecord | None = None
        self._pending_artifact: ArtifactRecord | None = None
        self._prompt_tokens = 0

        self._build_ui()
        session.loaded.connect(self._on_loaded)
        session.load_failed.connect(self._on_load_failed)
        session.prompt_ready.connect(self._on_prompt_ready)
        session.tokens_received.connect(self._on_tokens)
        session.reply_finished.connect(self._on_reply_finished)
        session.reply_failed.connect(self._on_reply_failed)
        session.unloaded.connect(self._on_unloaded)
        self.refresh_artifacts()
        self.refresh_conversations()
        if self.conversation_model.rowCount():  # reopen the most recent conversation
            self.open_conversation(self.conversation_model.conversation(0).id)
        self._update_buttons()

    # -- construction ---------------------------------------------------------------------
    def _build_ui(self) -> None:
        # Left: conversations.
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search conversations")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self.refresh_conversations)
        self.conversation_model = ConversationListModel(self)
        self.conversation_view = QListView(self)
        self.conversation_view.setModel(self.conversation_model)
        self.conversation_view.selectionModel().currentRowChanged.connect(self._on_conversation_selected)
        self.new_button = QPushButton("New chat", self)
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.new_conversation)
        self.rename_button = QPushButton("Rename", self)
        self.rename_button.clicked.connect(self.rename_conversation)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_conversation)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search_edit)
        left_layout.addWidget(self.conversation_view, 1)
        row = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            row.addWidget(button)
        left_layout.addLayout(row)

        # Centre: model bar, transcript, input.
        self.model_combo = QComboBox(self)
        self.model_combo.setMinimumWidth(320)
        self.model_combo.setAccessibleName("Model")
        self.load_button = QPushButton("Load", self)
        self.load_button.clicked.connect(self.load_selected)
        self.unload_button = QPushButton("Unload", self)
        self.unload_button.clicked.connect(self.unload)
        self.load_progress = QProgressBar(self)
        self.load_progress.setRange(0, 0)
        self.load_progress.setMaximumWidth(120)
        self.load_progress.hide()
        self.model_status = QLabel("No model loaded.", self)
        self.model_status.setWordWrap(True)
        self.warning_label = QLabel(self)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #9a6700;")
        self.warning_label.hide()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model:", self))
        bar.addWidget(self.model_combo, 1)
        bar.addWidget(self.load_button)
        bar.addWidget(self.unload_button)
        bar.addWidget(self.load_progress)

        self.transcript = TranscriptView(self)
        self.token_label = QLabel(self)
        self.notice_label = QLabel(self)
        self.notice_label.setWordWrap(True)
        self.notice_label.setStyleSheet("color: #9a6700;")
        self.notice_label.hide()
        self.input_edit = QPlainTextEdit(self)
        self.input_edit.setPlaceholderText("Message (Ctrl+Enter to send)")
        self.input_edit.setMaximumHeight(110)
        self.send_button = QPushButton("Send", self)
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.regenerate_button = QPushButton("Regenerate", self)
        self.regenerate_button.clicked.connect(self.regenerate)
        self.edit_button = QPushButton("Edit last", self)
        self.edit_button.setToolTip("Put your last message back in the box to change and resend it")
        self.edit_button.clicked.connect(self.edit_last)
        buttons = QHBoxLayout()
        buttons.addWidget(self.token_label, 1)
        for button in (self.edit_button, self.regenerate_button, self.stop_button, self.send_button):
            buttons.addWidget(button)
        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addLayout(bar)
        centre_layout.addWidget(self.model_status)
        centre_layout.addWidget(self.warning_label)
        centre_layout.addWidget(self.transcript, 1)
        centre_layout.addWidget(self.notice_label)
        centre_layout.addWidget(self.input_edit)
        centre_layout.addLayout(buttons)

        # Right: system prompt, sampling, export.
        self.system_edit = QPlainTextEdit(self)
        self.system_edit.setPlaceholderText("System prompt (optional)")
        self.system_edit.setMaximumHeight(120)
        self.temperature = _double(0.0, 2.0, 0.7, 0.05)
        self.top_k = _int(0, 1000, 40)
        self.top_p = _double(0.0, 1.0, 0.95, 0.01)
        self.min_p = _double(0.0, 1.0, 0.05, 0.01)
        self.min_p.setToolTip(MIN_P_TIP)
        self.repeat_penalty = _double(0.5, 2.0, 1.0, 0.05)
        self.max_tokens = _int(1, 32768, 512)
        self.seed = _int(-1, 2**31 - 1, -1)
        self.seed.setSpecialValueText("random")
        settings = QGroupBox("Generation", self)
        form = QFormLayout(settings)
        form.addRow("System prompt", self.system_edit)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-k", self.top_k)
        form.addRow("Top-p", self.top_p)
        form.addRow("Min-p", self.min_p)
        form.addRow("Repeat penalty", self.repeat_penalty)
        form.addRow("Max tokens", self.max_tokens)
        form.addRow("Seed", self.seed)
        self.export_md_button = QPushButton("Export Markdown…", self)
        self.export_md_button.clicked.connect(self.export_markdown)
        self.export_json_button = QPushButton("Export JSON…", self)
        self.export_json_button.clicked.connect(self.export_json)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(settings)
        right_layout.addWidget(self.export_md_button)
        right_layout.addWidget(self.export_json_button)
        right_layout.addStretch(1)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(centre)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setStretchFactor(2, 0)
        splitter.setSizes([210, 760, 270])
        left.setMinimumWidth(160)
        right.setMaximumWidth(340)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        QShortcut(QKeySequence("Ctrl+Return"), self, self.send)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.send)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_conversation)

    # -- data -----------------------------------------------------------------------------
    @Slot()
    def refresh_artifacts(self) -> None:
        """Reload the model picker from the inventory (loadable artifacts only)."""
        current = self.selected_artifact()
        self._artifacts = [a for a in self._inventory.list_artifacts() if a.loadable]
        self.model_combo.clear()
        for artifact in self._artifacts:
            settings = self._load_settings_for(artifact)
            kv = "" if settings.type_k == "f16" else f" · KV {settings.type_k}"
            verdict = self._verdict_for(artifact.id)
            label = (
                f"{artifact.display_name} · {artifact.quantization or artifact.format.upper()} · "
                f"n_ctx {settings.n_ctx}{kv}" + (f" · {verdict}" if verdict else "")
            )
            self.model_combo.addItem(label, artifact.id)
            self.model_combo.setItemData(
                self.model_combo.count() - 1,
                f"{artifact.path}\nLoad settings (change them in Library > Fit): n_ctx {settings.n_ctx}, "
                f"KV {settings.type_k}, GPU layers {settings.n_gpu_layers}",
                Qt.ItemDataRole.ToolTipRole,
            )
        if current is not None:
            self.select_artifact(current.id)
        if not self._artifacts:
            self.model_combo.addItem("No models yet: add one in the Library", None)

    def selected_artifact(self) -> ArtifactRecord | None:
        """The artifact chosen in the model picker."""
        artifact_id = self.model_combo.currentData()
        return next((a for a in self._artifacts if a.id == artifact_id), None)

    def select_artifact(self, artifact_id: int) -> None:
        """Choose an artifact in the picker ("Open in Chat" from the Library)."""
        index = self.model_combo.findData(artifact_id)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    @Slot()
    def refresh_conversations(self) -> None:
        """Reload the conversation list (applying the search text)."""
        items = store.list_conversations(self._inventory, self.search_edit.text())
        self.conversation_model.set_conversations(items)
        if self._conversation_id is not None:
            row = self.conversation_model.row_of(self._conversation_id)
            if row is not None:
                self.conversation_view.selectionModel().blockSignals(True)
                self.conversation_view.setCurrentIndex(self.conversation_model.index(row))
                self.conversation_view.selectionModel().blockSignals(False)

    def current_conversation_id(self) -> int | None:
        """The conversation on screen, if any."""
        return self._conversation_id

    # -- conversations --------------------------------------------------------------------
    @Slot()
    def new_conversation(self) -> int:
        """Create and show an empty conversation; returns its id."""
        artifact = self._loaded_artifact or self.selected_artifact()
        record = store.create_conversation(
            self._inventory,
            title="New chat",
            artifact_id=artifact.id if artifact else None,
            system_prompt=self.system_edit.toPlainText() or None,
            settings=asdict(self.sampling_params()),
        )
        self._conversation_id = record.id
        self.refresh_conversations()
        self._show_conversation(record.id)
        return record.id

    def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation."""
        self._conversation_id = conversation_id
        self._show_conversation(conversation_id)
        self.refresh_conversations()

    @Slot()
    def rename_conversation(self) -> None:
        if self._conversation_id is None:
            return
        current = store.get_conversation(self._inventory, self._conversation_id)
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=current.title)
        if ok and title.strip():
            store.update_conversation(self._inventory, self._conversation_id, title=title.strip())
            self.refresh_conversations()

    @Slot()
    def delete_conversation(self) -> None:
        if self._conversation_id is None or self._session.busy:
            return
        current = store.get_conversation(self._inventory, self._conversation_id)
        answer = QMessageBox.question(self, "Delete conversation", f"Delete “{current.title}” and its messages?")
        if answer != QMessageBox.StandardButton.Yes:
            return
        store.delete_conversation(self._inventory, self._conversation_id)
        self._conversation_id = None
        self.transcript.set_messages([])
        self.refresh_conversations()
        self._update_buttons()

    @Slot(object, object)
    def _on_conversation_selected(self, current, _previous) -> None:
        if not current.isValid() or self._session.busy:
            return
        conversation_id = self.conversation_model.conversation(current.row()).id
        if conversation_id != self._conversation_id:
            self._conversation_id = conversation_id
            self._show_conversation(conversation_id)

    def _show_conversation(self, conversation_id: int) -> None:
        record = store.get_conversation(self._inventory, conversation_id)
        self.system_edit.setPlainText(record.system_prompt or "")
        self._apply_settings(record.settings)
        messages = [self._transcript_message(m) for m in store.list_messages(self._inventory, conversation_id)]
        self.transcript.set_messages(messages)
        self.notice_label.hide()
        self._update_token_label()
        self._update_buttons()

    @staticmethod
    def _transcript_message(message: store.MessageRecord) -> TranscriptMessage:
        stats = dict(message.stats or {})
        return TranscriptMessage(
            role=message.role,
            content=message.content,
            stats=stats_line(stats) if message.role == "assistant" and "completion_tokens" in stats else "",
            note=stats.get("note", ""),
            error=bool(stats.get("error")),
        )

    # -- model ----------------------------------------------------------------------------
    @Slot()
    def load_selected(self) -> None:
        """Load the model chosen in the picker with its default load settings."""
        artifact = self.selected_artifact()
        if artifact is None or self._session.busy:
            return
        self._pending_artifact = artifact
        settings = self._load_settings_for(artifact)
        self.load_progress.show()
        self.model_status.setText(f"Loading {artifact.display_name} (n_ctx {settings.n_ctx})…")
        self.warning_label.hide()
        self._session.load(artifact.path, settings)
        self._update_buttons()

    @Slot()
    def unload(self) -> None:
        if self._session.busy:
            return
        self._session.unload()

    @Slot(object)
    def _on_loaded(self, info: LoadInfo) -> None:
        self.load_progress.hide()
        self._loaded_artifact = self._pending_artifact
        name = self._loaded_artifact.display_name if self._loaded_artifact else Path(info.path).name
        self.model_status.setText(
            f"Loaded {name} · {info.backend} {info.backend_version} · n_ctx {info.n_ctx} · "
            f"load {info.load_s:.2f} s · engine peak {info.peak_rss_bytes / 2**20:.0f} MiB"
        )
        warnings = [info.template_warning] if info.template_warning else []
        warnings += list(info.template_notes)
        self.warning_label.setText("\n".join(w for w in warnings if w))
        self.warning_label.setVisible(bool(warnings))
        self._record_measurement(info.peak_rss_bytes)
        self._show_backend_controls(info.backend)
        self.status_changed.emit(f"Loaded {name}")
        self._update_token_label()
        self._update_buttons()

    @Slot(str, str, bool)
    def _on_load_failed(self, message: str, hint: str, crashed: bool) -> None:
        self.load_progress.hide()
        self._loaded_artifact = None
        self.model_status.setText("No model loaded.")
        self._show_error("Could not load the model", message, hint)
        self._update_buttons()

    def _show_backend_controls(self, backend: str | None) -> None:
        """Disable the sampling controls the loaded engine ignores (ONNX Runtime GenAI has no
        min-p), saying why in the tooltip."""
        onnx = backend == "onnxruntime-genai"
        self.min_p.setEnabled(not onnx)
        self.min_p.setToolTip(MIN_P_ONNX_TIP if onnx else MIN_P_TIP)

    @Slot()
    def _on_unloaded(self) -> None:
        self._show_backend_controls(None)
        self._loaded_artifact = None
        self.model_status.setText("No model loaded.")
        self.warning_label.hide()
        self._update_buttons()

    # -- conversation turns ---------------------------------------------------------------
    def sampling_params(self) -> SamplingParams:
        """The sampling parameters set in the Generation box."""
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

    def _apply_settings(self, settings: dict) -> None:
        defaults = SamplingParams()
        self.temperature.setValue(float(settings.get("temperature", defaults.temperature)))
        self.top_k.setValue(int(settings.get("top_k", defaults.top_k)))
        self.top_p.setValue(float(settings.get("top_p", defaults.top_p)))
        self.min_p.setValue(float(settings.get("min_p", defaults.min_p)))
        self.repeat_penalty.setValue(float(settings.get("repeat_penalty", defaults.repeat_penalty)))
        self.max_tokens.setValue(int(settings.get("max_tokens", defaults.max_tokens)))
        seed = settings.get("seed")
        self.seed.setValue(-1 if seed is None else int(seed))

    def _history(self) -> list[dict[str, str]]:
        messages = []
        system = self.system_edit.toPlainText().strip()
        if system:
            messages.append({"role": "system", "content": system})
        assert self._conversation_id is not None
        for message in store.list_messages(self._inventory, self._conversation_id):
            if message.role in ("user", "assistant") and message.content:
                messages.append({"role": message.role, "content": message.content})
        return messages

    @Slot()
    def send(self) -> None:
        """Send the text in the input box and stream the reply."""
        text = self.input_edit.toPlainText().strip()
        if not text or self._session.busy:
            return
        if self._session.load_info is None:
            self._show_error("No model is loaded", "Load a model first.", "Pick one above and press Load.")
            return
        if self._conversation_id is None:
            self.new_conversation()
        assert self._conversation_id is not None
        conversation = store.get_conversation(self._inventory, self._conversation_id)
        if conversation.title in ("", "New chat"):
            store.update_conversation(self._inventory, self._conversation_id, title=text.splitlines()[0][:60])
        store.add_message(self._inventory, self._conversation_id, "user", text)
        self.transcript.update_last(TranscriptMessage(role="user", content=text))
        self.input_edit.clear()
        self._start_reply()
        self.refresh_conversations()

    def _start_reply(self) -> None:
        assert self._conversation_id is not None
        params = self.sampling_params()
        artifact_id = self._loaded_artifact.id if self._loaded_artifact else None
        store.update_conversation(
            self._inventory,
            self._conversation_id,
            system_prompt=self.system_edit.toPlainText() or None,
            settings=asdict(params),
            artifact_id=artifact_id,
        )
        history = self._history()
        record = store.add_message(self._inventory, self._conversation_id, "assistant", "", artifact_id=artifact_id)
        self._reply_message_id = record.id
        self._reply = TranscriptMessage(role="assistant", content="")
        self.transcript.update_last(self._reply)
        self.notice_label.hide()
        self._session.generate(history, params)
        self._update_buttons()

    @Slot()
    def stop(self) -> None:
        """Stop the streaming reply within one token."""
        if self._reply is not None:
            self._session.cancel()

    @Slot()
    def regenerate(self) -> None:
        """Drop the last reply and generate it again."""
        if self._conversation_id is None or self._session.busy or self._session.load_info is None:
            return
        messages = store.list_messages(self._inventory, self._conversation_id)
        if not messages or messages[-1].role != "assistant":
            return
        store.delete_messages_from(self._inventory, self._conversation_id, messages[-1].id)
        self._show_conversation(self._conversation_id)
        self._start_reply()

    @Slot()
    def edit_last(self) -> None:
        """Remove your last message (and the reply to it) and put its text back in the box."""
        if self._conversation_id is None or self._session.busy:
            return
        messages = store.list_messages(self._inventory, self._conversation_id)
        last_user = next((m for m in reversed(messages) if m.role == "user"), None)
        if last_user is None:
            return
        store.delete_messages_from(self._inventory, self._conversation_id, last_user.id)
        self._show_conversation(self._conversation_id)
        self.input_edit.setPlainText(last_user.content)
        self.input_edit.setFocus()

    @Slot(object)
    def _on_prompt_ready(self, event: PromptReady) -> None:
        self._prompt_tokens = event.prompt_tokens
        if event.dropped_messages:
            self._show_dropped(event.dropped_messages)

    def _show_dropped(self, dropped: tuple[int, ...]) -> None:
        n_ctx = self._session.load_info.n_ctx if self._session.load_info else 0
        self.notice_label.setText(
            f"The conversation is longer than the context window (n_ctx {n_ctx}): the "
            f"{len(dropped)} oldest message(s) were left out of this reply; the system prompt "
            "was kept. Start a new chat to keep everything in view."
        )
        self.notice_label.show()

    @Slot(str)
    def _on_tokens(self, text: str) -> None:
        if self._reply is None:
            return
        self._reply.content += text
        self.transcript.update_last(self._reply)

    @Slot(object)
    def _on_reply_finished(self, done: Done) -> None:
        if self._reply is None:
            return
        stats = asdict(done.stats)
        note = ""
        if done.stats.finish_reason == "cancelled":
            note = "Stopped by you."
        elif done.stats.finish_reason == "length":
            note = f"Reached the limit of {self.max_tokens.value()} tokens."
        elif done.stats.finish_reason == "context":
            note = "The context window is full: start a new chat or load the model with a larger context."
        if done.stats.dropped_messages:
            self._show_dropped(done.stats.dropped_messages)
            note = (note + " " if note else "") + f"{len(done.stats.dropped_messages)} old message(s) were left out."
        stats["note"] = note
        self._reply.content = done.text
        self._reply.stats = stats_line(stats)
        self._record_measurement(done.stats.peak_rss_bytes, done.stats.pp_tokens_per_s or None,
                                 done.stats.tg_tokens_per_s or None)
        self._reply.note = note
        self._finish_reply(stats)
        self._prompt_tokens = done.stats.prompt_tokens + done.stats.completion_tokens
        self._update_token_label()

    def _record_measurement(self, peak_rss_bytes: int, pp_tps: float | None = None,
                            tg_tps: float | None = None) -> None:
        """Store the engine's peak resident memory (VmHWM, bytes) next to the fit estimate:
        once right after the load, then after each reply with its speeds (tokens/s), since
        the compute buffers and the KV cache grow the peak while it generates."""
        info = self._session.load_info
        if self._loaded_artifact is None or info is None or not peak_rss_bytes:
            return
        try:
            fit_records.add_measurement(
                self._inventory, self._loaded_artifact.id, asdict(info.settings), peak_rss_bytes,
                load_s=info.load_s, pp_tps=pp_tps, tg_tps=tg_tps, backend=info.backend,
            )
        except UserError as error:  # the inventory is unavailable: the chat goes on
            log.warning("measurement not stored: %s", error)

    @Slot(str, str, bool)
    def _on_reply_failed(self, message: str, hint: str, crashed: bool) -> None:
        if self._reply is None:
            return
        note = f"{message} {hint.splitlines()[0] if hint else ''}".strip()
        self._reply.note = note
        self._reply.error = True
        self._finish_reply({"note": note, "error": True})
        if crashed:
            self._loaded_artifact = None
            self.model_status.setText("The engine stopped. Press Load to start it again; the conversation is kept.")
        self._show_error("The reply failed", message, hint)

    def _finish_reply(self, stats: dict) -> None:
        assert self._reply is not None
        if self._reply_message_id is not None:
            try:
                store.update_message(self._inventory, self._reply_message_id, self._reply.content, stats)
            except UserError as error:  # the conversation was deleted meanwhile
                log.warning("reply not stored: %s", error)
        self.transcript.update_last(self._reply)
        self._reply = None
        self._reply_message_id = None
        self._update_buttons()

    def _update_token_label(self) -> None:
        info = self._session.load_info
        if info is None or self._conversation_id is None:
            self.token_label.setText("")
            return
        self.token_label.setText(f"Conversation: {self._prompt_tokens:,} / {info.n_ctx:,} tokens")

    # -- export ---------------------------------------------------------------------------
    @Slot()
    def export_markdown(self) -> None:
        """Save the conversation as Markdown (model, settings and stats in a header)."""
        self._export("Markdown (*.md)", ".md", conversation_markdown)

    @Slot()
    def export_json(self) -> None:
        """Save the conversation as JSON with the model file's SHA-256, quantization, backend
        and version, sampling parameters and seed."""
        self._export(
            "JSON (*.json)", ".json", lambda c, m, model: json.dumps(conversation_json(c, m, model), indent=2)
        )

    def _export(self, file_filter: str, suffix: str, render: Callable) -> None:
        if self._conversation_id is None:
            return
        conversation = store.get_conversation(self._inventory, self._conversation_id)
        default = (conversation.title or "conversation").replace("/", "-")[:60] + suffix
        path, _ = QFileDialog.getSaveFileName(self, "Export conversation", default, file_filter)
        if path:
            self.export_to(Path(path), render)

    def export_to(self, path: Path, render: Callable) -> int:
        """Write the conversation to ``path`` in a job (the model may need hashing first);
        returns the job id. Failures show in the Jobs pane."""
        assert self._conversation_id is not None
        conversation = store.get_conversation(self._inventory, self._conversation_id)
        messages = store.list_messages(self._inventory, self._conversation_id)
        artifact = self._inventory.get_artifact(conversation.artifact_id) if conversation.artifact_id else None
        info = self._session.load_info
        loaded_here = info is not None and artifact is not None and self._loaded_artifact is not None \
            and self._loaded_artifact.id == artifact.id

        def task(token):
            model: dict = {}
            if artifact is not None:
                sha = artifact.sha256
                if sha is None and artifact.path.exists():
                    sha = yield from sha256_task(list(artifact.files))(token)
                model = {
                    "name": artifact.display_name,
                    "path": str(artifact.path),
                    "format": artifact.format,
                    "sha256": sha,
                    "quantization": artifact.quantization,
                    "backend": info.backend if loaded_here else
                    ("llama.cpp" if artifact.format == "gguf" else "onnxruntime-genai"),
                    "backend_version": info.backend_version if loaded_here else None,
                    "load_settings": asdict(info.settings) if loaded_here else None,
                }
            try:
                path.write_text(render(conversation, messages, model), encoding="utf-8")
            except OSError as error:
                raise UserError(f"Cannot write {path}: {error.strerror}.", "Choose another folder.") from error
            return path

        return self._runner.submit(f"Export {path.name}", task, resource="io")

    # -- state ----------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        busy = self._session.busy
        loaded = self._session.load_info is not None
        streaming = self._reply is not None
        has_conversation = self._conversation_id is not None
        self.load_button.setEnabled(not busy and bool(self._artifacts))
        self.unload_button.setEnabled(not busy and loaded)
        self.send_button.setEnabled(not busy and loaded)
        self.stop_button.setEnabled(streaming)
        self.regenerate_button.setEnabled(not busy and loaded and has_conversation)
        self.edit_button.setEnabled(not busy and has_conversation)
        self.rename_button.setEnabled(has_conversation)
        self.delete_button.setEnabled(has_conversation and not busy)
        self.export_md_button.setEnabled(has_conversation and not busy)
        self.export_json_button.setEnabled(has_conversation and not busy)
        self.model_combo.setEnabled(not busy)

    def _show_error(self, title: str, message: str, hint: str) -> None:
        self.notice_label.setText(f"{title}: {message} {hint}".strip())
        self.notice_label.show()


def _double(low: float, high: float, value: float, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(2)
    box.setValue(value)
    return box


def _int(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box
