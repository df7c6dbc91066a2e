"""Conversation export as Markdown and JSON (pure functions; the pane writes the file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from slmdesk import __version__
from slmdesk.inventory.conversations import ConversationRecord, MessageRecord
from slmdesk.ui.chat.texts import rate_text, role_label, tokens, ttft_text

EXPORT_FORMAT_VERSION = 1


def remote_model(messages: Sequence[MessageRecord]) -> dict[str, Any]:
    """The export's model for a conversation with a remote server: the provenance stored with its
    last reply from one (``stats["remote"]``: the server's model id, base URL, kind and version),
    as ``{"name", "remote": True, "base_url", "server", "server_kind", "server_version"}``;
    ``{}`` when no reply came from a remote server."""
    for message in reversed(messages):
        remote = (message.stats or {}).get("remote")
        if message.role == "assistant" and isinstance(remote, dict):
            return {"name": remote.get("model"), "remote": True, "base_url": remote.get("base_url"),
                    "server": remote.get("server"), "server_kind": remote.get("server_kind"),
                    "server_version": remote.get("server_version")}
    return {}


def conversation_json(
    conversation: ConversationRecord, messages: Sequence[MessageRecord], model: Mapping[str, Any]
) -> dict[str, Any]:
    """A JSON-ready export: the conversation, every message with its stats, the model file's
    SHA-256, quantization, backend and version, the sampling parameters and seed."""
    settings = dict(conversation.settings)
    model = model or remote_model(messages)
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
    """A readable Markdown export with a header naming the model, its SHA-256 and settings; its
    headings and labels in the interface's language (the JSON export's keys never change)."""
    settings = dict(conversation.settings)
    title = conversation.title or QCoreApplication.translate("ChatExport", "Conversation")
    lines = [f"# {title}", ""]
    model = model or remote_model(messages)
    if model.get("remote"):
        server_name = model.get("server") or QCoreApplication.translate("ChatExport", "server")
        server = f"{server_name} {model.get('server_version') or ''}".strip()
        lines += [QCoreApplication.translate("ChatExport", "- Model: {name} (remote: {server} at {address})").format(
            name=model.get("name"), server=server, address=model.get("base_url"))]
    elif model:
        lines += [
            QCoreApplication.translate("ChatExport", "- Model: {name} ({quantization})").format(
                name=model.get("name"), quantization=model.get("quantization") or model.get("format")),
            f"- SHA-256: `{model.get('sha256')}`",
            QCoreApplication.translate("ChatExport", "- Backend: {backend} {version}").format(
                backend=model.get("backend"), version=model.get("backend_version") or "").rstrip(),
        ]
    sampling = ", ".join(f"{k}={v}" for k, v in settings.items() if k != "stop")
    if sampling:
        lines.append(QCoreApplication.translate("ChatExport", "- Sampling: {settings}").format(settings=sampling))
    exported = QCoreApplication.translate("ChatExport", "- Exported by slmdesk {version}")
    lines.append(exported.format(version=__version__))
    lines.append("")
    if conversation.system_prompt:
        lines += [f"## {role_label('system')}", "", conversation.system_prompt, ""]
    for message in messages:
        lines += [f"## {role_label(message.role)}", "", message.content, ""]
        stats = dict(message.stats or {})
        if stats.get("completion_tokens"):
            figures = (tokens(int(stats["completion_tokens"])), rate_text(float(stats.get("tg_tokens_per_s", 0))),
                       ttft_text(float(stats.get("ttft_s", 0))))
            lines.append(f"_{', '.join(figures)}_")
            lines.append("")
        if stats.get("note"):
            lines += [f"> {stats['note']}", ""]
    return "\n".join(lines)
