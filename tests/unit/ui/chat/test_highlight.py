"""Syntax colouring of fenced code: the text is kept exactly, known languages get classed spans,
unknown or huge code is left to markdown-it's plain escaping."""

from __future__ import annotations

import html
import re

from slmdesk.ui.chat.highlight import CODE_CLASSES, MAX_HIGHLIGHT_CHARS, highlight_code

PYTHON = 'def area(r: float) -> float:\n    """Circle."""\n    return 3.14 * r ** 2  # <approx> & fine\n'


def _spans(coloured: str) -> list[tuple[str, str]]:
    return [(name, html.unescape(text)) for name, text in re.findall(r"<span class='(hl-[a-z]+)'>(.*?)</span>",
                                                                      coloured, re.S)]


def test_python_keywords_strings_numbers_names_and_comments_get_their_classes() -> None:
    coloured = highlight_code(PYTHON, "python")
    spans = _spans(coloured)
    assert ("hl-kw", "def ") in spans and ("hl-fn", "area") in spans
    assert ("hl-str", '"""Circle."""\n    ') in spans and ("hl-kw", "return ") in spans
    assert ("hl-num", "3.14 ") in spans and ("hl-num", "float") in spans  # a builtin
    assert ("hl-com", "# <approx> & fine\n") in spans
    assert {name for name, _ in spans} <= CODE_CLASSES.keys()
    # Markup in the code is escaped, and the text is exactly the code once the tags go.
    assert "<approx>" not in coloured and html.unescape(re.sub(r"<[^>]+>", "", coloured)) == PYTHON


def test_aliases_and_other_languages_are_recognised() -> None:
    assert _spans(highlight_code("const x = 1;\n", "js"))[0] == ("hl-kw", "const ")
    assert ("hl-str", '"slmdesk"') in _spans(highlight_code('{"name": "slmdesk"}', "JSON"))
    assert ("hl-tag", "+added\n") in _spans(highlight_code("-removed\n+added\n", "diff"))


def test_no_language_an_unknown_one_or_huge_code_is_left_plain() -> None:
    assert highlight_code(PYTHON, "") == ""
    assert highlight_code(PYTHON, "no-such-language") == ""
    assert highlight_code("x = 1\n" * (MAX_HIGHLIGHT_CHARS // 6 + 1), "python") == ""
