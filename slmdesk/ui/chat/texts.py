"""Chat's texts shown in more than one place (the transcript and the Markdown export): a message
role's name, a token count and a reply's figures, in the interface's language and number format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_number

_ROLES = {
    "user": QT_TRANSLATE_NOOP("ChatTexts", "You"),
    "assistant": QT_TRANSLATE_NOOP("ChatTexts", "Assistant"),
    "system": QT_TRANSLATE_NOOP("ChatTexts", "System"),
}


class ChatTexts(QObject):
    """The translation context of these texts (a QObject, so that Qt's tools see the plurals)."""

    @staticmethod
    def tokens(count: int, prompt: bool = False) -> str:
        """See :func:`tokens`."""
        if prompt:
            # PySide6 calls tr() on the class too; its stub knows only the instance method.
            return ChatTexts.tr("prompt %Ln token(s)", "tokens of the prompt", count)  # type: ignore[arg-type]
        return ChatTexts.tr("%Ln token(s)", "tokens of a reply", count)  # type: ignore[arg-type]


def role_label(role: str) -> str:
    """A message's role as its heading shows it ("You", "Assistant", "System"); an unknown role
    as it is."""
    return QCoreApplication.translate("ChatTexts", _ROLES[role]) if role in _ROLES else role


def tokens(count: int, prompt: bool = False) -> str:
    """``'42 tokens'`` (``prompt``: ``'prompt 18 tokens'``), singular or plural as ``count``
    asks."""
    return ChatTexts.tokens(count, prompt)


def rate_text(tokens_per_s: float) -> str:
    """``'63.1 tok/s'``."""
    return QCoreApplication.translate("ChatTexts", "{rate} tok/s").format(rate=format_number(tokens_per_s, 1))


def ttft_text(seconds: float) -> str:
    """``'TTFT 0.12 s'`` (time to the first token)."""
    return QCoreApplication.translate("ChatTexts", "TTFT {seconds} s").format(seconds=format_number(seconds, 2))


def stats_line(stats: Mapping[str, Any]) -> str:
    """``'42 tokens · TTFT 0.12 s · 63.1 tok/s · prompt 18 tokens'`` for a finished reply's
    stored stats (:class:`~slmdesk.engine.types.GenerationStats` fields); the figures it lacks
    are left out."""
    parts = [tokens(int(stats.get("completion_tokens", 0)))]
    if stats.get("ttft_s"):
        parts.append(ttft_text(float(stats["ttft_s"])))
    if stats.get("tg_tokens_per_s"):
        parts.append(rate_text(float(stats["tg_tokens_per_s"])))
    if stats.get("prompt_tokens"):
        parts.append(tokens(int(stats["prompt_tokens"]), prompt=True))
    return " · ".join(parts)
