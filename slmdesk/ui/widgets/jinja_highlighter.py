"""Syntax highlighting for Jinja chat templates (read-only display in the Library details)."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

_RULES: list[tuple[re.Pattern[str], str, bool]] = [
    (re.compile(r"\{%-?|-?%\}|\{\{-?|-?\}\}"), "#8250df", True),  # delimiters
    (re.compile(r"\b(if|elif|else|endif|for|endfor|in|set|macro|endmacro|not|and|or|is|"
                r"namespace|raise_exception|loop|true|false|none|True|False|None)\b"), "#cf222e", True),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "#0a3069", False),  # strings
    (re.compile(r"<\|?[A-Za-z_/][^<>\s]*\|?>"), "#116329", True),  # special tokens <|im_start|>, <end_of_turn>
    (re.compile(r"\{#.*?#\}"), "#6e7781", False),  # comments
]


class JinjaHighlighter(QSyntaxHighlighter):
    """Colours delimiters, keywords, strings, special tokens and comments."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: list[tuple[re.Pattern[str], QTextCharFormat]] = []
        for pattern, colour, bold in _RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            self._formats.append((pattern, fmt))

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt API)
        for pattern, fmt in self._formats:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
