"""Syntax colouring for fenced code in replies (Pygments lexers), as HTML spans whose classes
the transcript's style sheet colours from the palette, so light and dark palettes both read.

Plain Python (no Qt): :func:`highlight_code` is markdown-it's ``highlight`` option.
"""

from __future__ import annotations

import html
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Generic, Keyword, Literal, Name, Number, Operator, String, _TokenType
from pygments.util import ClassNotFound

CODE_CLASSES: dict[str, str] = {
    "hl-kw": "code.keyword",
    "hl-str": "code.string",
    "hl-com": "code.comment",
    "hl-num": "code.number",
    "hl-fn": "code.name",
    "hl-tag": "code.token",
}
"""Span class -> palette role (:mod:`slmdesk.ui.palette`), the roles of GitHub's code colours."""

_RULES: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "hl-com"),
    (String, "hl-str"),
    (Keyword.Constant, "hl-num"),  # True, None, null
    (Keyword, "hl-kw"),
    (Operator.Word, "hl-kw"),  # and, or, not, in
    (Number, "hl-num"),
    (Literal, "hl-num"),
    (Name.Builtin, "hl-num"),
    (Name.Constant, "hl-num"),
    (Name.Attribute, "hl-num"),
    (Name.Function, "hl-fn"),
    (Name.Class, "hl-fn"),
    (Name.Decorator, "hl-fn"),
    (Name.Tag, "hl-tag"),
    (Generic.Inserted, "hl-tag"),  # diff
    (Generic.Deleted, "hl-kw"),
)
"""First match wins: a token type belongs to a rule when it is that type or one of its subtypes."""

MAX_HIGHLIGHT_CHARS = 20_000
"""Longer code is shown uncoloured: Pygments lexes about 1 KB per 1.6 ms on this project's
CI machine, and a reply's blocks are coloured again when it is rendered whole."""


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    try:
        # Keep the text exactly as written: no stripped or added newlines.
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=512)
def _css_class(token_type: _TokenType) -> str | None:
    return next((name for kind, name in _RULES if token_type in kind), None)


def highlight_code(code: str, language: str, _attributes: str = "") -> str:
    """``code`` as escaped HTML with ``<span class='hl-...'>`` around keywords, strings,
    comments, numbers and constants, function and class names and tags (classes:
    :data:`CODE_CLASSES`); "" when ``language`` (a fence's info word: ``python``, ``js``,
    ``bash``...) is blank or unknown to Pygments, or the code is longer than
    :data:`MAX_HIGHLIGHT_CHARS`, which markdown-it then shows escaped and uncoloured."""
    lexer = _lexer(language.strip().lower()) if language.strip() else None
    if lexer is None or len(code) > MAX_HIGHLIGHT_CHARS:
        return ""
    parts: list[str] = []
    current: str | None = None
    run: list[str] = []
    for token_type, text in lexer.get_tokens(code):
        name = _css_class(token_type) if text.strip() else current  # whitespace joins its neighbours
        if name != current and run:
            parts.append(_span(current, "".join(run)))
            run = []
        current = name
        run.append(text)
    if run:
        parts.append(_span(current, "".join(run)))
    return "".join(parts)


def _span(css_class: str | None, text: str) -> str:
    escaped = html.escape(text, quote=False)
    return f"<span class='{css_class}'>{escaped}</span>" if css_class else escaped
