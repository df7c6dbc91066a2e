"""The Chat pane: pick and load a model, converse with it, keep every conversation.

A thin controller. The view parts are :class:`ConversationList` (left), :class:`ModelBar`,
:class:`TranscriptView` and :class:`Composer` (centre), :class:`GenerationSettings` (right) and
:class:`ConversationExporter`; the conversation itself (history, titles, regenerate and reply
versions, edit, what the engine is sent, how a reply is stored) is a
:class:`~slmdesk.chat.ChatSession`, which the local API uses too; the engine is an
:class:`EngineSession` (a child process driven from a thread), or a model on a remote
OpenAI-compatible server picked from the same list (:class:`RemoteModels`), which streams, stops
and regenerates through the same session; its replies are stored with the server's model id and
address, which exports carry as provenance.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from slmdesk.chat import ChatSession, ReplyRequest, context_tokens
from slmdesk.chat.measurements import record_engine_peak
from slmdesk.chat.session import Renderer
from slmdesk.core.errors import UserError
from slmdesk.engine.remote import kind_label
from slmdesk.engine.types import Done, LoadInfo, LoadSettings, PromptReady
from slmdesk.inventory import conversations as store
from slmdesk.inventory.conversations import ConversationMode, MessageRecord
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.artifacts import ArtifactSourceModel, LoadableArtifacts
from slmdesk.ui.chat.composer import Composer
from slmdesk.ui.chat.conversation_list import ConversationList
from slmdesk.ui.chat.exporter import ConversationExporter
from slmdesk.ui.chat.generation import GenerationSettings
from slmdesk.ui.chat.model_bar import ModelBar, artifact_entry, loaded_text, remote_loaded_text
from slmdesk.ui.chat.remotes import REFRESH_INTERVAL_S, RemoteModels, RemotePick, provenance
from slmdesk.ui.chat.transcript import (
    TranscriptMessage,
    TranscriptView,
    stats_line,
    transcript_message,
    transcript_messages,
)

LoadSettingsProvider = Callable[[ArtifactRecord], LoadSettings]

__all__ = ["ChatPane", "LoadSettingsProvider", "stats_line"]


class ChatPane(QWidget):
    """Model picker and load/unload, conversation list, transcript, input, sampling settings.

    The engine runs in a child process (:class:`EngineSession`); a crash keeps the
    conversation and the partial reply, says what happened and offers to reload.
    Keys: Enter sends, Shift+Enter starts a new line (``enter_sends`` off: Enter does), Ctrl+Enter
    sends, Esc stops the reply, Ctrl+N starts a new chat. ``state`` keeps the export folder.
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
        artifacts: ArtifactSourceModel | None = None,
        enter_sends: bool = True,
        state: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self._verdict_for = verdict_for or (lambda _artifact_id: None)
        self._inventory = inventory
        self._session = session
        self._load_settings_for = load_settings_for
        self.artifacts = artifacts or ArtifactSourceModel(inventory, runner, self)
        """The shared source model of artifacts (the main window's; its own, read in a job, when alone)."""
        self._picker = LoadableArtifacts(self.artifacts, parent=self)
        self.artifacts.records_changed.connect(self.refresh_artifacts)
        if artifacts is None:
            self.artifacts.refresh()
        self._chat: ChatSession | None = None  # the conversation on screen
        self._reply: TranscriptMessage | None = None  # the reply streaming into the transcript
        self._loaded_artifact: ArtifactRecord | None = None
        self._pending_artifact: ArtifactRecord | None = None
        self._loaded_remote: RemotePick | None = None
        self._pending_remote: RemotePick | None = None
        self.remotes = RemoteModels(inventory, runner, self)
        """The remote connections' models, listed in a background job when Chat is shown."""
        self.remotes.models_changed.connect(self.refresh_artifacts)
        self._prompt_tokens = 0  # of the context window, at the last reply
        self.exporter = ConversationExporter(runner, self, self._export_source, state)

        self._build_ui(enter_sends)
        session.loaded.connect(self._on_loaded)
        session.load_failed.connect(self._on_load_failed)
        session.prompt_ready.connect(self._on_prompt_ready)
        session.tokens_received.connect(self._on_tokens)
        session.reply_finished.connect(self._on_reply_finished)
        session.reply_failed.connect(self._on_reply_failed)
        session.unloaded.connect(self._on_unloaded)
        self.refresh_artifacts()
        self.refresh_conversations()
        if self.conversations.model.rowCount():  # reopen the most recent conversation
            self.open_conversation(self.conversations.model.conversation(0).id)
        self._update_buttons()

    def _build_ui(self, enter_sends: bool) -> None:
        self.conversations = ConversationList(self)
        self.conversations.search_changed.connect(self.refresh_conversations)
        self.conversations.open_requested.connect(self._on_open_requested)
        self.conversations.new_requested.connect(self.new_conversation)
        self.conversations.rename_requested.connect(self.rename_conversation)
        self.conversations.delete_requested.connect(self.delete_conversation)
        self.model_bar = ModelBar(self)
        self.model_bar.load_requested.connect(self.load_selected)
        self.model_bar.unload_requested.connect(self.unload)
        self.transcript = TranscriptView(self)
        self.transcript.version_step_requested.connect(self.show_version)
        self.composer = Composer(self, enter_sends)
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        self.composer.regenerate_requested.connect(self.regenerate)
        self.composer.edit_requested.connect(self.edit_last)
        self.generation = GenerationSettings(self)
        self.generation.export_markdown_requested.connect(self.exporter.export_markdown)
        self.generation.export_json_requested.connect(self.exporter.export_json)
        self.generation.mode_chosen.connect(self.set_mode)

        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.addWidget(self.model_bar)
        centre_layout.addWidget(self.transcript, 1)
        centre_layout.addWidget(self.composer)
        splitter = QSplitter(self)
        for index, (part, stretch) in enumerate(((self.conversations, 0), (centre, 1), (self.generation, 0))):
            splitter.addWidget(part)
            splitter.setStretchFactor(index, stretch)
        splitter.setSizes([200, 760, 260])
        splitter.setChildrenCollapsible(False)  # a column dragged too narrow would clip, not hide
        self.generation.setMaximumWidth(340)
        QVBoxLayout(self).addWidget(splitter)
        # Reading order: the conversations, the model bar, transcript and composer, then the
        # generation settings.
        chain = [self.conversations.search_edit, self.conversations.view, self.conversations.new_button,
                 self.conversations.rename_button, self.conversations.delete_button, self.model_bar.combo,
                 self.model_bar.load_button, self.model_bar.unload_button, self.transcript,
                 self.composer.input_edit, self.composer.edit_button, self.composer.regenerate_button,
                 self.composer.stop_button, self.composer.send_button, self.generation.mode_combo]
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)

        QShortcut(QKeySequence("Ctrl+Return"), self, self.send)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.send)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_conversation)

    # -- models ---------------------------------------------------------------------------
    @Slot()
    def refresh_artifacts(self) -> None:
        """Fill the model picker from the shared artifact model (loadable artifacts only, with
        their load settings and fit verdicts; nothing is read from the database here)."""
        self.model_bar.set_entries([
            (artifact.id, *artifact_entry(artifact, self._load_settings_for(artifact), self._verdict_for(artifact.id)))
            for artifact in self._picker.records()
        ], [pick.entry() for pick in self.remotes.picks()])
        self._update_buttons()

    @Slot()
    def refresh_remotes(self) -> None:
        """List the remote connections' models again (after Settings changed them)."""
        self.remotes.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        """Coming to Chat lists the remote models again (at most every :data:`REFRESH_INTERVAL_S`)."""
        super().showEvent(event)
        self.remotes.refresh(REFRESH_INTERVAL_S)

    def selected_artifact(self) -> ArtifactRecord | None:
        """The artifact chosen in the model picker."""
        artifact_id = self.model_bar.selected_id()
        return self.artifacts.find(artifact_id) if artifact_id is not None else None

    def select_artifact(self, artifact_id: int) -> None:
        """Choose an artifact in the picker ("Open in Chat" from the Library)."""
        self.model_bar.select(artifact_id)

    def open_artifact(self, artifact_id: int) -> bool:
        """"Open in Chat" from the Library: choose the artifact and load it, unless it is
        already loaded. Returns True when a load was started."""
        self.refresh_artifacts()
        self.select_artifact(artifact_id)
        chosen = self.selected_artifact()
        if chosen is None or chosen.id != artifact_id or self._session.busy:
            return False
        if self._loaded_artifact is not None and self._loaded_artifact.id == artifact_id:
            return False
        self.load_selected()
        return True

    @Slot()
    def load_selected(self) -> None:
        """Load the model chosen in the picker with its default load settings (a remote model:
        connect to it)."""
        key = self.model_bar.selected_remote()
        if key is not None:
            self._connect_remote(key)
            return
        artifact = self.selected_artifact()
        if artifact is None or self._session.busy:
            return
        self._pending_artifact, self._pending_remote = artifact, None
        settings = self._load_settings_for(artifact)
        self.model_bar.show_status(self.tr("Loading {name} (n_ctx {n_ctx})…").format(
            name=artifact.display_name, n_ctx=settings.n_ctx), loading=True)
        self._session.load(artifact.path, settings)
        self._update_buttons()

    def _connect_remote(self, key: str) -> None:
        pick = self.remotes.find(key)
        if pick is None or self._session.busy:
            return
        if not pick.usable:
            self._show_error(self.tr("Cannot use this connection"),
                             self.tr("{connection}: {note}.").format(connection=pick.connection.name, note=pick.note),
                             self.tr("Settings > Remote engines tests and changes connections."))
            return
        self._pending_artifact, self._pending_remote = None, pick
        self.model_bar.show_status(self.tr("Connecting to {model} at {host}…").format(
            model=pick.model_id, host=pick.host), loading=True)
        self._session.load_remote(self.remotes.client_for(pick))
        self._update_buttons()

    @Slot()
    def unload(self) -> None:
        """Free the loaded model (the engine process stays up)."""
        if not self._session.busy:
            self._session.unload()

    @Slot(object)
    def _on_loaded(self, info: LoadInfo) -> None:
        remote = self._session.remote
        self._loaded_artifact = self._pending_artifact if remote is None else None
        self._loaded_remote = self._pending_remote if remote is not None else None
        if remote is not None:
            name = info.model_name
            server = f"{kind_label(remote.kind)} {remote.version}".strip()
            self.model_bar.show_status(remote_loaded_text(name, remote.base_url, server, info))
        else:
            name = self._loaded_artifact.display_name if self._loaded_artifact else Path(info.path).name
            self.model_bar.show_status(loaded_text(name, info))
        if not info.has_chat_template and (self._chat is None or not self._chat.history()):
            self.set_mode("completion")  # a base model: continue text rather than chat
        self._show_model_warnings()
        self._record_measurement(info.peak_rss_bytes)
        self.generation.show_backend(info.backend)
        self.status_changed.emit(self.tr("Loaded {name}").format(name=name))
        self._update_token_label()
        self._update_buttons()

    def _show_model_warnings(self) -> None:
        name = self._loaded_artifact.display_name if self._loaded_artifact else ""
        self.model_bar.show_load_warnings(self._session.load_info, name, self.generation.mode())

    @Slot(str)
    def set_mode(self, mode: str) -> None:
        """Chat or completion mode for the conversation on screen (and new ones until changed).
        Refused, the combo set back, while a reply streams."""
        chosen: ConversationMode = "completion" if mode == "completion" else "chat"
        if self._chat is not None:
            try:
                self._chat.set_mode(chosen)
            except UserError as error:
                self._show_error(self.tr("Cannot change the mode"), error.message, error.hint)
                chosen = self._chat.mode
        self.generation.show_mode(chosen)
        self._show_model_warnings()

    @Slot(str, str, bool)
    def _on_load_failed(self, message: str, hint: str, _crashed: bool) -> None:
        self._show_error(self.tr("Could not load the model"), message, hint)
        self._on_unloaded()

    @Slot()
    def _on_unloaded(self) -> None:
        self.generation.show_backend(None)
        self._loaded_artifact = None
        self._loaded_remote = None
        self.model_bar.show_status(self.tr("No model loaded."))
        self.model_bar.show_warnings([])
        self._update_buttons()

    def _record_measurement(self, peak_rss_bytes: int, pp_tps: float | None = None,
                            tg_tps: float | None = None) -> None:
        """The loaded model's peak memory (and speeds) next to its fit estimate: :func:`record_engine_peak`."""
        if self._loaded_artifact is not None:
            record_engine_peak(self._inventory, self._loaded_artifact.id, self._session.load_info, peak_rss_bytes,
                               pp_tps, tg_tps)

    # -- conversations --------------------------------------------------------------------
    @Slot()
    def refresh_conversations(self) -> None:
        """Reload the conversation list (applying the search text)."""
        items = store.list_conversations(self._inventory, self.conversations.search_text())
        self.conversations.set_conversations(items, self.current_conversation_id())

    def current_conversation_id(self) -> int | None:
        """The conversation on screen, if any."""
        return self._chat.id if self._chat is not None else None

    @Slot()
    def new_conversation(self) -> int | None:
        """Create and show an empty conversation; returns its id (None while a reply streams:
        the reply belongs to the conversation on screen)."""
        if self._reply is not None:
            return None
        artifact = self._loaded_artifact or self.selected_artifact()
        self._chat = ChatSession.create(self._inventory, artifact_id=artifact.id if artifact else None,
                                        **self.generation.new_chat_settings())
        self.refresh_conversations()
        self._show_conversation()
        return self._chat.id

    def open_conversation(self, conversation_id: int, refresh: bool = True) -> None:
        """Show a stored conversation (and select it in the list when ``refresh``)."""
        self._chat = ChatSession(self._inventory, conversation_id)
        self._show_conversation()
        if refresh:
            self.refresh_conversations()

    @Slot(int)
    def _on_open_requested(self, conversation_id: int) -> None:
        if not self._session.busy and conversation_id != self.current_conversation_id():
            self.open_conversation(conversation_id, refresh=False)

    @Slot()
    def rename_conversation(self) -> None:
        """Ask for a new title for the conversation on screen."""
        if self._chat is None:
            return
        title = self.conversations.ask_title(self._chat.conversation().title)
        if title is not None:
            self._chat.rename(title)
            self.refresh_conversations()

    @Slot()
    def delete_conversation(self) -> None:
        """Delete the conversation on screen and its messages, after asking."""
        if self._chat is None or self._session.busy:
            return
        if not self.conversations.confirm_delete(self._chat.conversation().title):
            return
        self._chat.delete()
        self._chat = None
        self.transcript.set_messages([])
        self.refresh_conversations()
        self._update_buttons()

    def _show_conversation(self) -> None:
        assert self._chat is not None
        record = self._chat.conversation()
        self.generation.show_settings(record.system_prompt, record.settings)
        self.generation.show_mode(record.mode)
        self._show_model_warnings()
        history = self._chat.history()
        self.transcript.set_messages(transcript_messages(history, self._chat.version_position()))
        self._prompt_tokens = context_tokens(history)
        self.composer.hide_notice()
        self._update_token_label()
        self._update_buttons()

    # -- turns ----------------------------------------------------------------------------
    @Slot()
    def send(self) -> None:
        """Send the text in the message box and stream the reply."""
        text = self.composer.text()
        if not text or self._session.busy:
            return
        if self._session.load_info is None:
            self._show_error(self.tr("No model is loaded"), self.tr("Load a model first."),
                             self.tr("Pick one above and press Load."))
            return
        if self._chat is None:
            self.new_conversation()
        chat = self._chat
        assert chat is not None
        params = self.generation.sampling_params()
        if self._start_reply(lambda **where: chat.send(text, params, **where),
                             lambda history: self.transcript.update_last(transcript_message(history[-2]))):
            self.composer.clear()
            self.refresh_conversations()

    @Slot()
    def regenerate(self) -> None:
        """Generate the last reply again; the earlier versions stay, to flip through (‹ 1/2 ›)."""
        chat = self._chat
        if chat is None or self._session.busy or self._session.load_info is None:
            return
        history = chat.history()
        if not history or history[-1].role != "assistant":
            return
        params = self.generation.sampling_params()
        self._start_reply(lambda **where: chat.regenerate(params, **where),
                          lambda history: self.transcript.set_messages(transcript_messages(history[:-1])))

    @Slot(int)
    def show_version(self, step: int) -> None:
        """Show the last reply's previous (-1) or next (+1) version (not while one streams)."""
        if self._chat is None or self._reply is not None:
            return
        reply = self._chat.show_version(step)
        if reply is not None:
            self.transcript.replace_last(transcript_message(reply, self._chat.version_position()))
            self._prompt_tokens = context_tokens([reply])
            self._update_token_label()

    @Slot()
    def edit_last(self) -> None:
        """Remove your last message (and the reply to it) and put its text back in the box."""
        if self._chat is None or self._session.busy:
            return
        text = self._chat.take_back_last()
        if text is not None:
            self._show_conversation()
            self.composer.put_back(text)

    @Slot()
    def stop(self) -> None:
        """Stop the streaming reply within one token."""
        if self._reply is not None:
            self._session.cancel()

    def _start_reply(self, begin: Callable[..., ReplyRequest],
                     show_turn: Callable[[list[MessageRecord]], None]) -> bool:
        """Store the turn with ``begin`` (a ChatSession step, given the system prompt and the
        loaded model), bring the transcript up to date with ``show_turn`` (given the stored
        history, ending with the empty reply), append that reply and hand the engine what
        ``begin`` says to send. False when ``begin`` refused."""
        assert self._chat is not None
        artifact_id = self._loaded_artifact.id if self._loaded_artifact else None
        try:
            request = begin(system_prompt=self.generation.system_prompt(), artifact_id=artifact_id)
        except UserError as error:  # e.g. the conversation was deleted meanwhile
            self._show_error(self.tr("Cannot send"), error.message, error.hint)
            return False
        history = self._chat.history()
        show_turn(history)
        self._reply = transcript_message(history[-1])
        self.transcript.update_last(self._reply)
        self.composer.hide_notice()
        self._session.generate(list(request.messages), request.params, request.prompt)
        self._update_buttons()
        return True

    @Slot(object)
    def _on_prompt_ready(self, event: PromptReady) -> None:
        self._prompt_tokens = event.prompt_tokens
        if event.dropped_messages:
            self._show_dropped(event.dropped_messages)

    def _show_dropped(self, dropped: tuple[int, ...]) -> None:
        self.composer.show_dropped(len(dropped), self._session.load_info.n_ctx if self._session.load_info else 0)

    @Slot(str)
    def _on_tokens(self, text: str) -> None:
        if self._reply is None or self._chat is None or not self._chat.streaming:
            return
        self._reply.content = self._chat.add_text(text)
        self.transcript.update_last(self._reply)

    @Slot(object)
    def _on_reply_finished(self, done: Done) -> None:
        if self._reply is None or self._chat is None or not self._chat.streaming:
            return
        request, remote = self._chat.reply, self._session.remote
        finished = self._chat.finish_reply(done)
        if remote is not None and request is not None and finished.stored:
            # Provenance of a remote reply: the server's model id and address, for exports.
            store.update_message(self._inventory, request.message_id, finished.text,
                                 {**finished.stats, "remote": provenance(remote)})
        if finished.dropped_messages:
            self._show_dropped(finished.dropped_messages)
        self._reply.content = finished.text
        self._reply.stats = stats_line(finished.stats)
        self._reply.note = finished.note
        self._record_measurement(done.stats.peak_rss_bytes, done.stats.pp_tokens_per_s or None,
                                 done.stats.tg_tokens_per_s or None)
        self._end_reply()
        self._prompt_tokens = done.stats.prompt_tokens + done.stats.completion_tokens
        self._update_token_label()

    @Slot(str, str, bool)
    def _on_reply_failed(self, message: str, hint: str, crashed: bool) -> None:
        if self._reply is None or self._chat is None or not self._chat.streaming:
            return
        finished = self._chat.fail_reply(message, hint)
        self._reply.content = finished.text
        self._reply.note = finished.note
        self._reply.error = True
        self._end_reply()
        if crashed:
            self._loaded_artifact = None
            self.model_bar.show_status(
                self.tr("The engine stopped. Press Load to start it again; the conversation is kept."))
        self._show_error(self.tr("The reply failed"), message, hint)

    def _end_reply(self) -> None:
        assert self._reply is not None and self._chat is not None
        self._reply.versions = self._chat.version_position()
        self.transcript.finish_last(self._reply)
        self._reply = None
        self._update_buttons()

    def _update_token_label(self) -> None:
        info = self._session.load_info
        self.composer.show_tokens(self._prompt_tokens, info.n_ctx if info is not None and self._chat else None)

    # -- export ---------------------------------------------------------------------------
    def export_to(self, path: Path, render: Renderer) -> int | None:
        """Write the conversation to ``path`` in a job (see :class:`ConversationExporter`);
        returns the job id, None without a conversation."""
        return self.exporter.export(path, render)

    def _export_source(self) -> tuple[ChatSession, LoadInfo | None] | None:
        """The conversation on screen and the load info when its model is the one loaded."""
        if self._chat is None:
            return None
        info, loaded = self._session.load_info, self._loaded_artifact
        here = info is not None and loaded is not None and loaded.id == self._chat.conversation().artifact_id
        return self._chat, info if here else None

    # -- state ----------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        busy = self._session.busy
        loaded = self._session.load_info is not None
        streaming = self._reply is not None
        has_conversation = self._chat is not None
        shown = self.transcript.messages() if has_conversation else []
        ends_with_reply = bool(shown) and shown[-1].role == "assistant"
        has_models = self._picker.rowCount() > 0 or any(pick.usable for pick in self.remotes.picks())
        self.model_bar.set_state(busy, loaded, has_models)
        self.composer.set_state(busy, loaded, streaming, bool(shown), ends_with_reply)
        self.conversations.set_state(has_conversation, busy, streaming)
        self.generation.set_export_enabled(bool(shown) and not busy)

    def set_enter_sends(self, enter_sends: bool) -> None:
        """Enter sends (Shift+Enter: a new line), or Enter starts a new line (Settings)."""
        self.composer.set_enter_sends(enter_sends)

    def _show_error(self, title: str, message: str, hint: str) -> None:
        self.composer.show_notice(self.tr("{title}: {message} {hint}", "an error: what failed, why, what to do")
                                  .format(title=title, message=message, hint=hint).strip())
