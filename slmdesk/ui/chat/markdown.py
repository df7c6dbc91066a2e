"""Markdown to HTML for the transcript (markdown-it-py), whole or as a reply streams in, fenced
code coloured by :mod:`~slmdesk.ui.chat.highlight`.

Plain Python (no Qt), so the rules are tested without a widget.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from slmdesk.ui.chat.highlight import highlight_code

COPY_CODE = "Copy code"
"""The code blocks' Copy link text when the caller gives none (the transcript passes it translated)."""


def _with_copy_link(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: dict[str, Any]
) -> str:
    """markdown-it render rule for ``fence`` and ``code_block``: the default HTML followed by a
    "Copy code" link (its text ``env['copy_label']``, translated by the caller) to
    ``{copy_prefix}{k}``, where ``k`` counts code blocks from ``env['code_index_base']``; the
    block's text is appended to ``env['code_blocks']``."""
    token = tokens[idx]
    default = RendererHTML.fence if token.type == "fence" else RendererHTML.code_block
    rendered = default(self, tokens, idx, options, env)
    blocks: list[str] = env.setdefault("code_blocks", [])
    blocks.append(token.content)
    k = env.get("code_index_base", 0) + len(blocks) - 1
    label = html.escape(env.get("copy_label", COPY_CODE))
    link = f"<a class='copy' href='{env.get('copy_prefix', 'copy:')}{k}'>{label}</a>"
    # No newline after the link: Qt would show it as a trailing space in the link's line.
    return rendered.rstrip("\n") + link


def _parser(colour: bool) -> MarkdownIt:
    """CommonMark with tables and Copy links; raw HTML in model output is escaped, never
    rendered; fenced code coloured when ``colour``."""
    parser = MarkdownIt(
        "commonmark", {"html": False, "linkify": False, "highlight": highlight_code if colour else None}
    ).enable("table")
    parser.add_render_rule("fence", _with_copy_link)
    parser.add_render_rule("code_block", _with_copy_link)
    return parser


MARKDOWN = _parser(colour=True)

UNCOLOURED = _parser(colour=False).options
"""Render options for the block of a streaming reply that may still change: its code is coloured
once it settles (:class:`StreamingMarkdown`) or the reply ends, not again at every token batch."""


def render_markdown(text: str, copy_prefix: str = "copy:", copy_label: str = COPY_CODE) -> tuple[str, list[str]]:
    """Render Markdown to HTML; return ``(html, code blocks)``.

    Each fenced or indented code block is followed by a ``{copy_prefix}{k}`` link (by default
    ``copy:<k>``) reading ``copy_label``, whose index ``k`` counts blocks within this text; the
    second element lists the blocks' text in that order. Raw HTML in ``text`` is shown as
    text, not interpreted.
    """
    env: dict[str, Any] = {"copy_prefix": copy_prefix, "copy_label": copy_label, "code_blocks": []}
    return MARKDOWN.render(text, env), list(env["code_blocks"])


def _normalize(text: str) -> str:
    # What markdown-it's own "normalize" rule does, done first so that line numbers in token
    # maps index this string.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


def _line_offset(text: str, line: int) -> int:
    """Character offset of the start of line ``line`` (0-based) in ``text``."""
    offset = 0
    for _ in range(line):
        offset = text.index("\n", offset) + 1
    return offset


@dataclass(frozen=True)
class StreamUpdate:
    """What changed since the previous :meth:`StreamingMarkdown.feed`.

    Attributes:
        settled_html: HTML of blocks that just became final: show it after the earlier
            settled HTML; it never changes again ("" when none settled).
        live_html: HTML of the last block, which more text may still change: it replaces the
            previous ``live_html`` ("" for empty text).
        restarted: the text did not extend the previous one (it was replaced), so nothing
            settled before holds: redraw the message from ``settled_html`` (which then holds
            every settled block) and ``live_html``.
    """

    settled_html: str
    live_html: str
    restarted: bool = False


class StreamingMarkdown:
    """Renders a growing Markdown text so that each update re-renders only its last block.

    Appending text can change only the last top-level block (a paragraph may become a setext
    heading, a list gains an item, an open code fence grows), so every block before it is
    *settled*: rendered once and kept. Each :meth:`feed` parses only the text from the last
    block's first line, so its cost does not grow with the reply; code in that block is left
    uncoloured until it settles (:data:`UNCOLOURED`). One CommonMark feature
    escapes this: a link reference defined after its use; :func:`render_markdown` on the
    whole text (when the reply ends) resolves those.
    """

    def __init__(self, copy_prefix: str = "copy:", copy_label: str = COPY_CODE) -> None:
        self._copy_prefix = copy_prefix
        self._copy_label = copy_label
        self._settled_text = ""  # normalized source of the settled blocks
        self._settled_codes: list[str] = []
        self._live_codes: list[str] = []

    @property
    def code_blocks(self) -> list[str]:
        """Text of every code block so far, in order (Copy link ``k`` is item ``k``)."""
        return self._settled_codes + self._live_codes

    def feed(self, text: str) -> StreamUpdate:
        """Render the whole text so far (the previous text plus what arrived); see
        :class:`StreamUpdate` for what to show."""
        text = _normalize(text)
        restarted = not text.startswith(self._settled_text)
        if restarted:
            self._settled_text, self._settled_codes = "", []
        tail = text[len(self._settled_text) :]
        env: dict[str, Any] = {
            "copy_prefix": self._copy_prefix, "copy_label": self._copy_label, "code_blocks": [],
            "code_index_base": len(self._settled_codes),
        }
        tokens = MARKDOWN.parse(tail, env)
        # Top-level blocks that start on a complete line: an unfinished last line may still
        # turn out to continue the block above it ("- a" then "*" is a new list, "**" is not).
        complete_lines = tail.count("\n")
        starts = [
            i for i, token in enumerate(tokens)
            if token.level == 0 and token.nesting >= 0 and token.map and token.map[0] < complete_lines
        ]
        settled_html = ""
        if len(starts) > 1:
            cut = starts[-1]
            settled_html = MARKDOWN.renderer.render(tokens[:cut], MARKDOWN.options, env)
            self._settled_codes += env["code_blocks"]
            self._settled_text += tail[: _line_offset(tail, tokens[cut].map[0])]  # type: ignore[index]
            env["code_blocks"], env["code_index_base"] = [], len(self._settled_codes)
            tokens = tokens[cut:]
        live_html = MARKDOWN.renderer.render(tokens, UNCOLOURED, env)
        self._live_codes = list(env["code_blocks"])
        return StreamUpdate(settled_html, live_html, restarted)
