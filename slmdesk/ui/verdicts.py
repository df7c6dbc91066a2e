"""Fit verdicts as every pane shows them: in words (never colour alone), a colour level, and the
Library's badge of an estimate."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from slmdesk.core.fit import FitEstimate, Verdict
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes
from slmdesk.ui.palette import colour

__all__ = ["VERDICT_LEVELS", "Badge", "at_load_text", "badge_for", "context_full_text", "level_colour",
           "sentence_case", "verdict_colour", "verdict_text"]


@dataclass(frozen=True)
class Badge:
    """A fit verdict as the panes show it: text (never colour alone) and a colour key (the
    estimate's own verdict is :class:`slmdesk.core.fit.Verdict`).

    ``level`` is one of "good", "partial", "tight", "bad", "unknown" (palette role
    ``verdict.<level>``).
    """

    text: str
    level: str = "unknown"
    tooltip: str = ""


VERDICT_LEVELS = {
    Verdict.FITS_GPU: "good",
    Verdict.CPU_ONLY: "good",
    Verdict.PARTIAL_OFFLOAD: "partial",
    Verdict.TIGHT: "tight",
    Verdict.WILL_NOT_FIT: "bad",
}
"""Each verdict's colour level: palette role ``verdict.<level>`` ("unknown" for no verdict)."""

_CONTEXT = "FitPanel"
"""Translation context of the verdict words (the Fit panel's, where they were first written)."""

_VERDICT_TEXT = {  # the words of slmdesk.core.fit_report's labels, to translate
    Verdict.FITS_GPU: QT_TRANSLATE_NOOP("FitPanel", "fits fully on GPU"),
    Verdict.PARTIAL_OFFLOAD: QT_TRANSLATE_NOOP("FitPanel", "partial offload"),
    Verdict.CPU_ONLY: QT_TRANSLATE_NOOP("FitPanel", "CPU only"),
    Verdict.TIGHT: QT_TRANSLATE_NOOP("FitPanel", "tight"),
    Verdict.WILL_NOT_FIT: QT_TRANSLATE_NOOP("FitPanel", "will not fit"),
}
_AT_LOAD = QT_TRANSLATE_NOOP("FitPanel", "at load / short prompt")
_CONTEXT_FULL = QT_TRANSLATE_NOOP("FitPanel", "with the context full")


def sentence_case(text: str) -> str:
    """``"CPU only" -> "CPU only"``, ``"tight" -> "Tight"``: the first letter up, the rest as is
    (``str.capitalize`` would write "Cpu only")."""
    return text[:1].upper() + text[1:]


def verdict_text(verdict: Verdict | None, sentence: bool = False) -> str:
    """The verdict in words, in the interface language: "fits fully on GPU", ..., or with
    ``sentence`` "Fits fully on GPU" (a table cell, a sentence's start); "" for none."""
    if verdict is None:
        return ""
    text = QCoreApplication.translate(_CONTEXT, _VERDICT_TEXT.get(verdict, verdict.label))
    return sentence_case(text) if sentence else text


def level_colour(level: str) -> QColor:
    """The palette's colour of a verdict level (a :data:`VERDICT_LEVELS` value or "unknown")."""
    return colour(f"verdict.{level}")


def verdict_colour(verdict: Verdict | None) -> QColor:
    """The palette's colour of a verdict (``verdict.<level>``; "unknown" for none)."""
    return level_colour(VERDICT_LEVELS[verdict] if verdict is not None else "unknown")


def at_load_text() -> str:
    """:data:`slmdesk.core.fit.AT_LOAD_LABEL` in the interface language."""
    return QCoreApplication.translate(_CONTEXT, _AT_LOAD)


def context_full_text() -> str:
    """:data:`slmdesk.core.fit.CONTEXT_FULL_LABEL` in the interface language."""
    return QCoreApplication.translate(_CONTEXT, _CONTEXT_FULL)


def badge_for(result: FitEstimate) -> Badge:
    """The Library badge for an estimate: the verdict in words (sentence case, as the Catalog
    and the Fit panel write it) plus a colour level, and the memory figures as its tooltip."""
    tooltip = QCoreApplication.translate(
        "FitPanel", "{at_load} RAM {at_load_label}, {full} {full_label} (n_ctx {n_ctx})"
    ).format(
        at_load=format_bytes(result.total_host_at_load_bytes), at_load_label=at_load_text(),
        full=format_bytes(result.total_host_context_full_bytes), full_label=context_full_text(),
        n_ctx=result.n_ctx,
    )
    if result.gpu_layers:
        tooltip += QCoreApplication.translate("FitPanel", ", {size} on {device}").format(
            size=format_bytes(result.total_device_bytes), device=result.device_name)
    return Badge(text=verdict_text(result.verdict, sentence=True), level=VERDICT_LEVELS[result.verdict],
                 tooltip=tooltip)
