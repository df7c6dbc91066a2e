"""Chat conversations and their messages in the inventory database.

Functions take the :class:`~slmdesk.inventory.repository.Inventory` and return frozen
records; each write commits at once, so a conversation survives an engine crash or a
closed window the moment a message exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, delete, or_, select

from slmdesk.core.errors import UserError
from slmdesk.inventory.orm import Conversation, Message, ReplyVersion, utcnow
from slmdesk.inventory.repository import Inventory

ConversationMode = Literal["chat", "completion"]
"""How a conversation reaches the model: its chat template, or plain continuation of the text."""


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation. ``settings`` holds sampling parameters (JSON object); ``artifact_id``
    the model it last used (None once that artifact is removed); ``mode`` is ``"chat"`` (the
    model's chat template) or ``"completion"`` (plain continuation of the text, for base models)."""

    id: int
    title: str
    artifact_id: int | None
    system_prompt: str | None
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)
    mode: ConversationMode = "chat"
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings or {})))


@dataclass(frozen=True)
class MessageRecord:
    """One message. ``stats`` holds a reply's generation stats and notes (JSON object)."""

    id: int
    conversation_id: int
    role: str
    content: str
    created_at: datetime | None = None
    stats: Mapping[str, Any] | None = field(default=None, compare=False)
    artifact_id: int | None = None


@dataclass(frozen=True)
class ReplyVersionRecord:
    """One version of a regenerated reply: its text, stats and model, when it was written, and
    whether it is the one its message shows (``selected``)."""

    id: int
    message_id: int
    content: str
    stats: Mapping[str, Any] | None = field(default=None, compare=False)
    artifact_id: int | None = None
    created_at: datetime | None = None
    selected: bool = False


def _conversation(row: Conversation) -> ConversationRecord:
    return ConversationRecord(
        id=row.id,
        title=row.title,
        artifact_id=row.artifact_id,
        system_prompt=row.system_prompt,
        settings=row.settings or {},
        mode="completion" if row.mode == "completion" else "chat",
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _message(row: Message) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        conversation_id=row.conversation_id,
        role=row.role,
        content=row.content,
        created_at=row.created_at,
        stats=dict(row.stats) if row.stats else None,
        artifact_id=row.artifact_id,
    )


def _version(row: ReplyVersion) -> ReplyVersionRecord:
    return ReplyVersionRecord(
        id=row.id,
        message_id=row.message_id,
        content=row.content,
        stats=dict(row.stats) if row.stats else None,
        artifact_id=row.artifact_id,
        created_at=row.created_at,
        selected=row.selected,
    )


def list_conversations(inventory: Inventory, search: str = "") -> list[ConversationRecord]:
    """Conversations, most recently updated first; ``search`` matches titles and message text
    (case-insensitive substring)."""
    with inventory.session() as session:
        statement = select(Conversation).order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        if search.strip():
            pattern = f"%{search.strip()}%"
            in_messages = select(Message.conversation_id).where(Message.content.ilike(pattern))
            statement = statement.where(or_(Conversation.title.ilike(pattern), Conversation.id.in_(in_messages)))
        return [_conversation(row) for row in session.scalars(statement)]


def create_conversation(
    inventory: Inventory,
    title: str = "",
    artifact_id: int | None = None,
    system_prompt: str | None = None,
    settings: Mapping[str, Any] | None = None,
    mode: ConversationMode = "chat",
) -> ConversationRecord:
    """Create and return a new, empty conversation."""
    with inventory.write_session() as session:
        row = Conversation(
            title=title, artifact_id=artifact_id, system_prompt=system_prompt, settings=dict(settings or {}),
            mode=mode,
        )
        session.add(row)
        session.commit()
        return _conversation(row)


def get_conversation(inventory: Inventory, conversation_id: int) -> ConversationRecord:
    """The conversation. Raises UserError if it does not exist (deleted meanwhile)."""
    with inventory.session() as session:
        row = session.get(Conversation, conversation_id)
        if row is None:
            raise UserError(f"Conversation {conversation_id} no longer exists.")
        return _conversation(row)


def update_conversation(
    inventory: Inventory, conversation_id: int, **changes: Any
) -> ConversationRecord:
    """Change ``title``, ``artifact_id``, ``system_prompt``, ``settings`` or ``mode``; bumps
    ``updated_at``.

    Raises:
        UserError: the conversation does not exist.
        TypeError: an unknown field name.
    """
    allowed = {"title", "artifact_id", "system_prompt", "settings", "mode"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown conversation fields: {sorted(unknown)}")
    with inventory.write_session() as session:
        row = session.get(Conversation, conversation_id)
        if row is None:
            raise UserError(f"Conversation {conversation_id} no longer exists.")
        for name, value in changes.items():
            setattr(row, name, dict(value) if name == "settings" else value)
        row.updated_at = utcnow()
        session.commit()
        return _conversation(row)


def delete_conversation(inventory: Inventory, conversation_id: int) -> None:
    """Delete a conversation and its messages (no-op if already gone)."""
    with inventory.write_session() as session:
        session.execute(delete(Message).where(Message.conversation_id == conversation_id))
        session.execute(delete(Conversation).where(Conversation.id == conversation_id))
        session.commit()


def list_messages(inventory: Inventory, conversation_id: int) -> list[MessageRecord]:
    """The messages of a conversation in order."""
    with inventory.session() as session:
        rows = session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
        return [_message(row) for row in rows]


def add_message(
    inventory: Inventory,
    conversation_id: int,
    role: str,
    content: str,
    stats: Mapping[str, Any] | None = None,
    artifact_id: int | None = None,
) -> MessageRecord:
    """Append a message and bump the conversation's ``updated_at``.

    Raises:
        UserError: the conversation does not exist.
    """
    with inventory.write_session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise UserError(f"Conversation {conversation_id} no longer exists.")
        row = Message(
            conversation_id=conversation_id,
            role=role,
            content=content,
            stats=dict(stats) if stats else None,
            artifact_id=artifact_id,
        )
        session.add(row)
        conversation.updated_at = utcnow()
        session.commit()
        return _message(row)


def update_message(
    inventory: Inventory, message_id: int, content: str, stats: Mapping[str, Any] | None = None
) -> MessageRecord:
    """Replace a message's text (and stats), and its selected reply version's; used as a
    streamed reply grows and ends."""
    with inventory.write_session() as session:
        row = session.get(Message, message_id)
        if row is None:
            raise UserError(f"Message {message_id} no longer exists.")
        row.content = content
        if stats is not None:
            row.stats = dict(stats)
        selected = session.scalars(
            select(ReplyVersion).where(ReplyVersion.message_id == message_id, ReplyVersion.selected)
        ).first()
        if selected is not None:  # the version on show mirrors its message
            selected.content, selected.stats = row.content, row.stats
        session.commit()
        return _message(row)


def delete_messages_from(inventory: Inventory, conversation_id: int, message_id: int) -> int:
    """Delete ``message_id`` and every later message of the conversation (regenerate, edit and
    resend); returns how many were deleted."""
    with inventory.write_session() as session:
        result = cast(CursorResult[Any], session.execute(
            delete(Message).where(Message.conversation_id == conversation_id, Message.id >= message_id)
        ))
        session.commit()
        return int(result.rowcount or 0)


def list_reply_versions(inventory: Inventory, message_id: int) -> list[ReplyVersionRecord]:
    """The versions of a regenerated reply, oldest first; empty for a reply generated once."""
    with inventory.session() as session:
        rows = session.scalars(
            select(ReplyVersion).where(ReplyVersion.message_id == message_id).order_by(ReplyVersion.id)
        )
        return [_version(row) for row in rows]


def start_reply_version(inventory: Inventory, message_id: int, artifact_id: int | None = None) -> MessageRecord:
    """Make room for a new version of a reply (regenerate): its current text is kept as a
    version unless it is blank (a reply stopped before its first token, or failed empty, is
    replaced), and the message is emptied, dated now and attributed to ``artifact_id``, for
    the new text to stream into. The new version is selected; version rows exist only once
    there are two or more. Returns the emptied message.

    Raises:
        UserError: the message does not exist (its conversation was deleted meanwhile).
    """
    with inventory.write_session() as session:
        row = session.get(Message, message_id)
        if row is None:
            raise UserError(f"Message {message_id} no longer exists.")
        versions = list(session.scalars(
            select(ReplyVersion).where(ReplyVersion.message_id == message_id).order_by(ReplyVersion.id)
        ))
        if not versions and row.content.strip():
            versions = [ReplyVersion(message_id=message_id, content=row.content, stats=row.stats,
                                     artifact_id=row.artifact_id, created_at=row.created_at)]
            session.add(versions[0])
        for version in list(versions):
            if version.selected and not version.content.strip():
                session.delete(version)
                versions.remove(version)
            version.selected = False
        now = utcnow()
        if versions:
            session.add(ReplyVersion(message_id=message_id, content="", artifact_id=artifact_id,
                                     created_at=now, selected=True))
        row.content, row.stats, row.artifact_id, row.created_at = "", None, artifact_id, now
        session.commit()
        return _message(row)


def select_reply_version(inventory: Inventory, version_id: int) -> MessageRecord:
    """Show another version of a regenerated reply: its message takes that version's text,
    stats, model and time. Returns the message.

    Raises:
        UserError: the version (or its message) no longer exists.
    """
    with inventory.write_session() as session:
        chosen = session.get(ReplyVersion, version_id)
        row = session.get(Message, chosen.message_id) if chosen is not None else None
        if chosen is None or row is None:
            raise UserError(f"Reply version {version_id} no longer exists.")
        for version in session.scalars(select(ReplyVersion).where(ReplyVersion.message_id == row.id)):
            version.selected = version.id == chosen.id
        row.content, row.stats = chosen.content, chosen.stats
        row.artifact_id, row.created_at = chosen.artifact_id, chosen.created_at
        session.commit()
        return _message(row)
