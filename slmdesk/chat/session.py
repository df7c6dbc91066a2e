"""One conversation: its stored history, title, regenerate and edit, and the messages the engine gets.

Plain Python over the inventory's conversation store (``slmdesk.inventory.conversations``)
and the engine client API (``slmdesk.engine``). A reply goes through three steps, so that a
caller that receives the engine's events its own way (the Chat pane, through Qt signals) and
one that iterates the client itself (:meth:`ChatSession.stream`, for the local API and the
CLI) store the same thing: :meth:`~ChatSession.send` (or :meth:`~ChatSession.regenerate`,
:meth:`~ChatSession.edit`) returns a :class:`ReplyRequest` to hand to the engine;
:meth:`~ChatSession.add_text` takes each token batch; :meth:`~ChatSession.finish_reply` or
:meth:`~ChatSession.fail_reply` stores the reply and its stats.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.core.units import format_bytes
from slmdesk.engine import (
    Done,
    Event,
    GenerationStats,
    LoadInfo,
    Message,
    SamplingParams,
    Token,
)
from slmdesk.formats.checksum import sha256_task
from slmdesk.inventory import conversations as store
from slmdesk.inventory.conversations import (
    ConversationMode,
    ConversationRecord,
    MessageRecord,
    ReplyVersionRecord,
)
from slmdesk.inventory.repository import Inventory

log = logging.getLogger(__name__)

NEW_CHAT_TITLE = "New chat"
"""The title of a conversation until its first message names it."""

TITLE_CHARS = 60
"""A title made from the first message keeps at most this many characters of its first line."""

Renderer = Callable[[ConversationRecord, Sequence[MessageRecord], Mapping[str, Any]], str]
"""``render(conversation, messages, model) -> file text`` (``slmdesk.ui.chat.export``)."""


class ReplyEngine(Protocol):
    """What :meth:`ChatSession.stream` needs of an engine: :class:`slmdesk.engine.EngineClient`
    has it, and so can a remote engine's client or a test's fake."""

    def generate(self, messages: Sequence[Message], params: SamplingParams) -> Iterator[Event]:
        """Stream one reply: ``PromptReady``, ``Prefill``, ``Token`` events, then ``Done``."""
        ...

    def complete(self, prompt: str, params: SamplingParams) -> Iterator[Event]:
        """Stream the continuation of ``prompt`` (completion mode), events as ``generate``."""
        ...


@dataclass(frozen=True)
class ReplyRequest:
    """A reply about to be generated.

    Attributes:
        conversation_id: the conversation it belongs to.
        message_id: the stored assistant message that will hold it (empty until it ends).
        messages: what to send the engine, oldest first (see :func:`engine_messages`); empty
            in completion mode.
        params: the sampling parameters, also stored as the conversation's settings.
        prompt: in completion mode, the text the model continues (:func:`completion_text`);
            None in chat mode.
    """

    conversation_id: int
    message_id: int
    messages: tuple[Message, ...]
    params: SamplingParams
    prompt: str | None = None


@dataclass(frozen=True)
class FinishedReply:
    """A reply as stored when it ended.

    Attributes:
        text: the reply (partial when stopped or failed; may be empty).
        note: what the user must know ("Stopped by you.", the failure), or "".
        stats: what was stored with the message: the :class:`GenerationStats` fields (a
            failed reply has none), ``note`` and, for a failure, ``error: True``.
        error: the reply failed (the engine crashed, timed out or refused).
        dropped_messages: indices into :attr:`ReplyRequest.messages` the engine left out to
            fit its context.
        stored: False when the conversation was deleted while the reply streamed.
    """

    text: str
    note: str
    stats: Mapping[str, Any] = field(default_factory=dict)
    error: bool = False
    dropped_messages: tuple[int, ...] = ()
    stored: bool = True


def title_from(text: str) -> str:
    """A conversation title from its first message: the first non-blank line, stripped, cut to
    :data:`TITLE_CHARS` characters ("" for blank text)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:TITLE_CHARS]
    return ""


def engine_messages(system_prompt: str | None, history: Sequence[MessageRecord]) -> list[Message]:
    """The message list to send the engine for the next reply, oldest first.

    Rules: the system prompt (stripped) comes first when not blank; only ``user`` and
    ``assistant`` messages follow; an empty message (a reply stopped before its first token,
    or one that failed) is left out; and messages of the same role that end up next to each
    other are joined into one, separated by a blank line. So the roles alternate, as many chat
    templates require (Gemma's and Mistral's raise on two user turns in a row), and what the
    user wrote before a failed reply still reaches the model.
    """
    messages: list[Message] = []
    if system_prompt and system_prompt.strip():
        messages.append({"role": "system", "content": system_prompt.strip()})
    for record in history:
        if record.role not in ("user", "assistant") or not record.content.strip():
            continue
        if messages and messages[-1]["role"] == record.role:
            messages[-1] = {"role": record.role, "content": f"{messages[-1]['content']}\n\n{record.content}"}
        else:
            messages.append({"role": record.role, "content": record.content})
    return messages


def completion_text(history: Sequence[MessageRecord]) -> str:
    """The text a model continues in completion mode: every stored message's content in order,
    written as it is (a continuation follows its text directly), except that the user's text
    after a continuation starts on a new line unless one of them already has whitespace there.
    System prompts are not part of it (a base model has no notion of one).
    """
    text = ""
    previous_role = ""
    for record in history:
        if record.role not in ("user", "assistant") or not record.content:
            continue
        content = record.content
        if record.role == "user" and previous_role == "assistant" and not text[-1:].isspace() \
                and not content[:1].isspace():
            text += "\n"
        text += content
        previous_role = record.role
    return text


def finish_note(stats: GenerationStats, max_tokens: int) -> str:
    """What to tell the user about how a reply ended ("" for a normal end): stopped by them,
    cut at ``max_tokens`` (tokens), the context window full, and how many old messages the
    engine left out to fit."""
    note = {
        "cancelled": "Stopped by you.",
        "length": f"Reached the limit of {max_tokens} tokens.",
        "context": "The context window is full: start a new chat or load the model with a larger context.",
    }.get(stats.finish_reason, "")
    if stats.dropped_messages:
        note = (note + " " if note else "") + f"{len(stats.dropped_messages)} old message(s) were left out."
    return note


def context_tokens(history: Sequence[MessageRecord]) -> int:
    """How many tokens of the context window the conversation filled at its last finished
    reply: that reply's ``prompt_tokens + completion_tokens`` as the engine counted them
    (:class:`GenerationStats`); 0 for a conversation without one (a new chat)."""
    for record in reversed(history):
        stats = record.stats or {}
        if record.role == "assistant" and "completion_tokens" in stats:
            return int(stats.get("prompt_tokens") or 0) + int(stats.get("completion_tokens") or 0)
    return 0


class ChatSession:
    """One stored conversation and the reply being generated for it, if any.

    Every change is written to the inventory at once, so a conversation survives an engine
    crash or a closed window. Not thread-safe: use one session from one thread.

    Raises (from most methods):
        UserError: the conversation no longer exists (deleted elsewhere).
    """

    def __init__(self, inventory: Inventory, conversation_id: int) -> None:
        self._inventory = inventory
        self._id = conversation_id
        self._reply: ReplyRequest | None = None
        self._parts: list[str] = []

    # -- the conversation -------------------------------------------------------------------
    @property
    def id(self) -> int:
        """The conversation's id in the inventory."""
        return self._id

    @classmethod
    def create(
        cls,
        inventory: Inventory,
        *,
        artifact_id: int | None = None,
        system_prompt: str | None = None,
        params: SamplingParams | None = None,
        title: str = NEW_CHAT_TITLE,
        mode: ConversationMode = "chat",
    ) -> ChatSession:
        """Store a new, empty conversation and return its session (``mode``: ``"chat"``, or
        ``"completion"`` for a base model: :func:`completion_text`)."""
        record = store.create_conversation(
            inventory, title=title, artifact_id=artifact_id, system_prompt=system_prompt or None,
            settings=asdict(params or SamplingParams()), mode=mode,
        )
        return cls(inventory, record.id)

    @classmethod
    def open(cls, inventory: Inventory, conversation_id: int) -> ChatSession:
        """A session on a stored conversation. Raises UserError when it does not exist."""
        store.get_conversation(inventory, conversation_id)
        return cls(inventory, conversation_id)

    def conversation(self) -> ConversationRecord:
        """The stored conversation (title, system prompt, settings, model)."""
        return store.get_conversation(self._inventory, self.id)

    def history(self) -> list[MessageRecord]:
        """Every stored message, oldest first (a streaming reply is there, still empty)."""
        return store.list_messages(self._inventory, self.id)

    @property
    def mode(self) -> ConversationMode:
        """``"chat"`` or ``"completion"`` (stored with the conversation)."""
        return self.conversation().mode

    def set_mode(self, mode: ConversationMode) -> ConversationRecord:
        """Switch between chat and completion mode; the stored messages stay as they are.

        Raises:
            UserError: a reply is streaming.
        """
        self._require_idle()
        return store.update_conversation(self._inventory, self.id, mode=mode)

    def rename(self, title: str) -> ConversationRecord:
        """Set the title (stripped). Raises UserError for a blank title."""
        if not title.strip():
            raise UserError("A conversation needs a title.", "Type at least one character.")
        return store.update_conversation(self._inventory, self.id, title=title.strip())

    def delete(self) -> None:
        """Delete the conversation and its messages (no reply may be streaming)."""
        self._require_idle()
        store.delete_conversation(self._inventory, self.id)

    # -- turns ------------------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        """A reply was started and has not finished or failed yet."""
        return self._reply is not None

    @property
    def reply(self) -> ReplyRequest | None:
        """The reply being generated, if any."""
        return self._reply

    @property
    def reply_text(self) -> str:
        """The streaming reply's text so far ("" when none)."""
        return "".join(self._parts)

    def send(
        self, text: str, params: SamplingParams, *, system_prompt: str | None = None, artifact_id: int | None = None
    ) -> ReplyRequest:
        """Store the user's message and start a reply to it.

        A conversation still called :data:`NEW_CHAT_TITLE` (or untitled) is named after the
        message. ``system_prompt`` and ``artifact_id`` replace the stored ones when given
        (``""`` clears the system prompt; None keeps what is stored).

        Raises:
            UserError: blank text, or a reply is still streaming.
        """
        self._require_idle()
        text = text.strip()
        if not text:
            raise UserError("The message is empty.", "Type something to send.")
        if self.conversation().title in ("", NEW_CHAT_TITLE):
            store.update_conversation(self._inventory, self.id, title=title_from(text))
        store.add_message(self._inventory, self.id, "user", text)
        return self._begin(params, system_prompt, artifact_id)

    def regenerate(
        self, params: SamplingParams, *, system_prompt: str | None = None, artifact_id: int | None = None
    ) -> ReplyRequest:
        """Start a new version of the last reply, to the same message. The reply it replaces
        is kept as an earlier version (:meth:`versions`, :meth:`show_version`) unless it is
        empty; the new one streams into the same stored message.

        Raises:
            UserError: the conversation does not end with a reply, or one is streaming.
        """
        self._require_idle()
        history = self.history()
        if not history or history[-1].role != "assistant":
            raise UserError("There is no reply to regenerate.", "Send a message first.")
        return self._begin(params, system_prompt, artifact_id, reuse=history[-1].id)

    def versions(self) -> list[ReplyVersionRecord]:
        """The versions of the last reply, oldest first (one ``selected``); empty when it was
        generated once or the conversation does not end with a reply."""
        history = self.history()
        if not history or history[-1].role != "assistant":
            return []
        return store.list_reply_versions(self._inventory, history[-1].id)

    def version_position(self) -> tuple[int, int] | None:
        """``(shown, count)`` for the last reply's versions, ``shown`` counted from 1 (the
        "2/3" of a version switcher); None when it has a single version."""
        versions = self.versions()
        shown = next((i for i, v in enumerate(versions, 1) if v.selected), None)
        return (shown, len(versions)) if shown is not None and len(versions) > 1 else None

    def show_version(self, step: int) -> MessageRecord | None:
        """Show the last reply's previous (``step`` -1) or next (+1) version instead of the one
        shown: it becomes the reply the next turn builds on and the one exported. Returns the
        reply as now stored, or None when there is no version that way (nothing changes).

        Raises:
            UserError: a reply is streaming.
        """
        self._require_idle()
        versions = self.versions()
        shown = next((i for i, v in enumerate(versions) if v.selected), None)
        if shown is None or not 0 <= shown + step < len(versions) or step == 0:
            return None
        return store.select_reply_version(self._inventory, versions[shown + step].id)

    def take_back_last(self) -> str | None:
        """Delete the user's last message and everything after it; return its text, to edit
        and send again (None, and nothing deleted, when the user has sent nothing).

        Raises:
            UserError: a reply is streaming.
        """
        self._require_idle()
        last_user = next((m for m in reversed(self.history()) if m.role == "user"), None)
        if last_user is None:
            return None
        store.delete_messages_from(self._inventory, self.id, last_user.id)
        return last_user.content

    def edit(
        self,
        message_id: int,
        text: str,
        params: SamplingParams,
        *,
        system_prompt: str | None = None,
        artifact_id: int | None = None,
    ) -> ReplyRequest:
        """Replace one of the user's messages with ``text``, drop everything after it, and start
        a reply to the edited message.

        Raises:
            UserError: ``message_id`` is not a user message of this conversation, blank
                text, or a reply is streaming.
        """
        self._require_idle()
        target = next((m for m in self.history() if m.id == message_id), None)
        if target is None or target.role != "user":
            raise UserError("Only your own messages can be edited.", "Pick one of your messages.")
        if not text.strip():
            raise UserError("The message is empty.", "Type something to send.")
        store.delete_messages_from(self._inventory, self.id, message_id)
        store.add_message(self._inventory, self.id, "user", text.strip())
        return self._begin(params, system_prompt, artifact_id)

    def _begin(
        self, params: SamplingParams, system_prompt: str | None, artifact_id: int | None, reuse: int | None = None
    ) -> ReplyRequest:
        """Store the conversation's settings and an empty reply (a new message, or the new
        version of message ``reuse``); return what to send the engine."""
        changes: dict[str, Any] = {"settings": asdict(params)}
        if system_prompt is not None:
            changes["system_prompt"] = system_prompt or None
        if artifact_id is not None:
            changes["artifact_id"] = artifact_id
        conversation = store.update_conversation(self._inventory, self.id, **changes)
        if reuse is not None:  # emptied first, so that the old text is not sent as history
            store.start_reply_version(self._inventory, reuse, conversation.artifact_id)
        history = self.history()
        if conversation.mode == "completion":
            messages: list[Message] = []
            prompt: str | None = completion_text(history)
        else:
            messages, prompt = engine_messages(conversation.system_prompt, history), None
        if reuse is None:  # a new reply: an empty message to stream into
            reuse = store.add_message(
                self._inventory, self.id, "assistant", "", artifact_id=conversation.artifact_id
            ).id
        self._reply = ReplyRequest(self.id, reuse, tuple(messages), params, prompt)
        self._parts = []
        return self._reply

    def _require_idle(self) -> None:
        if self._reply is not None:
            raise UserError("A reply is still being written.", "Stop it or wait for it to finish.")

    # -- the reply being generated ----------------------------------------------------------
    def add_text(self, text: str) -> str:
        """Append a token batch to the streaming reply; return the reply so far.

        Raises:
            RuntimeError: no reply is streaming (a bug in the caller).
        """
        if self._reply is None:
            raise RuntimeError("add_text without a streaming reply")
        self._parts.append(text)
        return self.reply_text

    def finish_reply(self, done: Done) -> FinishedReply:
        """Store the reply the engine finished (its full text and stats, with a note on how it
        ended: :func:`finish_note`) and end the streaming state.

        Raises:
            RuntimeError: no reply is streaming.
        """
        reply = self._ended()
        note = finish_note(done.stats, reply.params.max_tokens)
        stats = {**asdict(done.stats), "note": note}
        stored = self._store(reply, done.text, stats)
        return FinishedReply(done.text, note, stats, False, done.stats.dropped_messages, stored)

    def fail_reply(self, message: str, hint: str = "") -> FinishedReply:
        """Store what the failed reply had (the text so far) with the failure as its note
        (``message`` and the first line of ``hint``), and end the streaming state.

        Raises:
            RuntimeError: no reply is streaming.
        """
        text = self.reply_text
        reply = self._ended()
        note = f"{message} {hint.splitlines()[0] if hint else ''}".strip()
        stats = {"note": note, "error": True}
        return FinishedReply(text, note, stats, True, (), self._store(reply, text, stats))

    def _ended(self) -> ReplyRequest:
        if self._reply is None:
            raise RuntimeError("no reply is streaming")
        reply, self._reply = self._reply, None
        return reply

    def _store(self, reply: ReplyRequest, text: str, stats: Mapping[str, Any]) -> bool:
        try:
            store.update_message(self._inventory, reply.message_id, text, stats)
        except UserError as error:  # the conversation was deleted meanwhile: nothing to keep
            log.warning("reply not stored: %s", error)
            return False
        return True

    def stream(self, engine: ReplyEngine, reply: ReplyRequest) -> Iterator[Event]:
        """Generate ``reply`` with ``engine``, storing it as it goes; yields every event.

        Stopping the iteration early cancels the reply (the engine client's contract) and
        stores the text so far as stopped.

        Raises (during iteration):
            UserError: from the engine (crashed, not loaded, context overflow...), after the
                reply so far was stored as failed.
        """
        if reply.prompt is None:
            events = engine.generate(list(reply.messages), reply.params)
        else:
            events = engine.complete(reply.prompt, reply.params)
        finished = False
        try:
            for event in events:
                if isinstance(event, Token):
                    self.add_text(event.text)
                elif isinstance(event, Done):
                    self.finish_reply(event)
                    finished = True
                yield event
        except UserError as error:
            if self.streaming:
                self.fail_reply(error.message, error.hint)
            raise
        finally:
            if not finished and self.streaming:  # the consumer stopped iterating
                close = getattr(events, "close", None)
                if close is not None:
                    close()  # EngineClient.generate cancels and waits for the engine here
                text = self.reply_text
                self._store(self._ended(), text, {"note": "Stopped by you.", "finish_reason": "cancelled"})

    # -- export -----------------------------------------------------------------------------
    def export_task(
        self, path: Path, render: Renderer, loaded: LoadInfo | None = None
    ) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
        """A task (``slmdesk.core.tasks``) that writes the conversation to ``path`` as
        ``render`` formats it and returns ``path``.

        The model is described by its stored artifact: name, path, format, quantization and
        SHA-256 (hashed in the task when the inventory lacks it: the only progress, worded as
        reading the model, with no byte counts that a job list would show as the export's
        size); ``loaded`` is the engine's :class:`LoadInfo` when this conversation's model is
        the one loaded now, adding the backend version and load settings. The conversation
        and its messages are read now, so later changes are not exported.

        Raises (from the task):
            UserError: the model file cannot be read, or ``path`` cannot be written.
        """
        conversation = self.conversation()
        messages = self.history()
        artifact = self._inventory.get_artifact(conversation.artifact_id) if conversation.artifact_id else None

        def task(token: CancelToken) -> Generator[Progress, None, Path]:
            model: dict[str, Any] = {}
            if artifact is not None:
                sha = artifact.sha256
                if sha is None and artifact.path.exists():
                    hashing = sha256_task(list(artifact.files))(token)
                    sha = yield from _reading_model(hashing, artifact.display_name)
                model = {
                    "name": artifact.display_name,
                    "path": str(artifact.path),
                    "format": artifact.format,
                    "sha256": sha,
                    "quantization": artifact.quantization,
                    "backend": loaded.backend if loaded else
                    ("llama.cpp" if artifact.format == "gguf" else "onnxruntime-genai"),
                    "backend_version": loaded.backend_version if loaded else None,
                    "load_settings": asdict(loaded.settings) if loaded else None,
                }
            try:
                path.write_text(render(conversation, messages, model), encoding="utf-8")
            except OSError as error:
                raise UserError(f"Cannot write {path}: {error.strerror}.", "Choose another folder.") from error
            return path

        return task


def _reading_model(hashing: Generator[Progress, None, str], model: str) -> Generator[Progress, None, str]:
    """The SHA-256 task's progress reworded for an export ("Reading X for its SHA-256: 40 MiB of
    94 MiB"), its fraction kept and its byte counts dropped; returns the digest."""
    while True:
        try:
            step = next(hashing)
        except StopIteration as finished:
            return str(finished.value)
        amount = f": {format_bytes(step.bytes_done)} of {format_bytes(step.bytes_total)}" if step.bytes_total else ""
        yield Progress(step.fraction, f"Reading {model} for its SHA-256{amount}")

