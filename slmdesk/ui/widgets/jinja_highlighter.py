"""Syntax highlighting for Jinja chat templates (read-only display in the Library details)."""

from __future__ import annotations

import re

from PySide6.QtGui import QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from slmdesk.ui.palette import colour as palette_colour

_RULES: list[tuple[re.Pattern[str], str, bool]] = [  # pattern, palette role, bold
    (re.compile(r"\{%-?|-?%\}|\{\{-?|-?\}\}"), "code.delimiter", True),
    (re.compile(r"\b(if|elif|else|endif|for|endfor|in|set|macro|endmacro|not|and|or|is|"
                r"namespace|raise_exception|loop|true|false|none|True|False|None)\b"), "code.keyword", True),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "code.string", False),
    (re.compile(r"<\|?[A-Za-z_/][^<>\s]*\|?>"), "code.token", True),  # special tokens <|im_start|>, <end_of_turn>
    (re.compile(r"\{#.*?#\}"), "code.comment", False),
]


class JinjaHighlighter(QSyntaxHighlighter):
    """Colours delimiters, keywords, strings, special tokens and comments."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._formats: list[tuple[re.Pattern[str], QTextCharFormat]] = []
        self._build_formats()

    def _build_formats(self) -> None:
        self._formats = []
        for pattern, colour, bold in _RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(palette_colour(colour))
            if bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            self._formats.append((pattern, fmt))

    def refresh_colours(self) -> None:
        """Take the current theme's colours (call on the editor's ``QEvent.PaletteChange``)."""
        self._build_formats()
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._formats:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
