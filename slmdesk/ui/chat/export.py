"""Conversation export as Markdown and JSON (pure functions; the pane writes the file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slmdesk import __version__
from slmdesk.inventory.conversations import ConversationRecord, MessageRecord

EXPORT_FORMAT_VERSION = 1


def conversation_json(
    conversation: ConversationRecord, messages: Sequence[MessageRecord], model: Mapping[str, Any]
) -> dict[str, Any]:
    """A JSON-ready export: the conversation, every message with its stats, the model file's
    SHA-256, quantization, backend and version, the sampling parameters and seed."""
    settings = dict(conversation.settings)
    return {
        "format": "slmdesk-conversation",
        "format_version": EXPORT_FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "slmdesk_version": __version__,
        "title": conversation.title,
        "system_prompt": conversation.system_prompt,
        "model": dict(model),
        "sampling": settings,
        "seed": settings.get("seed"),
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "created_at": m.created_at.isoformat() if m.created_at else None,
                "stats": dict(m.stats) if m.stats else None,
            }
            for m in messages
        ],
    }


def conversation_markdown(
    conversation: ConversationRecord, messages: Sequence[MessageRecord], model: Mapping[str, Any]
) -> str:
    """A readable Markdown export with a header naming the model, its SHA-256 and settings."""
    settings = dict(conversation.settings)
    lines = [f"# {conversation.title or 'Conversation'}", ""]
    if model:
        lines += [
            f"- Model: {model.get('name')} ({model.get('quantization') or model.get('format')})",
            f"- SHA-256: `{model.get('sha256')}`",
            f"- Backend: {model.get('backend')} {model.get('backend_version') or ''}".rstrip(),
        ]
    sampling = ", ".join(f"{k}={v}" for k, v in settings.items() if k != "stop")
    if sampling:
        lines.append(f"- Sampling: {sampling}")
    lines.append(f"- Exported by slmdesk {__version__}")
    lines.append("")
    if conversation.system_prompt:
        lines += ["## System", "", conversation.system_prompt, ""]
    for message in messages:
        heading = {"user": "You", "assistant": "Assistant", "system": "System"}.get(message.role, message.role)
        lines += [f"## {heading}", "", message.content, ""]
        stats = dict(message.stats or {})
        if stats.get("completion_tokens"):
            lines.append(
                f"_{stats['completion_tokens']} tokens, {stats.get('tg_tokens_per_s', 0):.1f} tok/s, "
                f"TTFT {stats.get('ttft_s', 0):.2f} s_"
            )
            lines.append("")
        if stats.get("note"):
            lines += [f"> {stats['note']}", ""]
    return "\n".join(lines)
