"""Markdown for the transcript: Copy links from the fence rule, and streaming that re-renders
only the last block yet shows exactly what a whole render shows (but for the colours of code
in that last block, added once it settles)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from slmdesk.ui.chat.markdown import StreamingMarkdown, render_markdown

# Lines of every block kind a model writes, including the ones whose meaning depends on the
# next line (setext underlines, lazy continuations, list continuations, fence ends).
LINES = [
    "A plain sentence with *emphasis* and `code`.", "", "", "- a bullet", "* another bullet",
    "  indented continuation", "1. first", "2) second", "```python", "```", "~~~", "    four-space code",
    "> a quote", "lazy line", "# Heading", "## Sub", "===", "---", "***", "| a | b |", "|---|---|",
    "| 1 | 2 |", "<b>raw html</b>", "text with a \\*escape", "   - nested item", "*", "-", "+ plus", "1.",
    ">", "\tTabbed", "10. ten", "  ", "&amp; entity",
]


def _uncoloured(html: str) -> str:
    return re.sub(r"<span class='hl-[a-z]+'>|</span>", "", html)


def _replay(chunks: list[str]) -> None:
    """Feed growing text; after every chunk, settled + live HTML must equal a whole render,
    code colours aside in the live block."""
    stream = StreamingMarkdown()
    text, settled = "", ""
    for chunk in chunks:
        text += chunk
        update = stream.feed(text)
        if update.restarted:
            settled = ""
        settled += update.settled_html
        whole, blocks = render_markdown(text)
        assert whole.startswith(settled), text
        assert update.live_html == _uncoloured(whole[len(settled):]), text
        assert stream.code_blocks == blocks


def test_copy_links_number_code_blocks_and_list_their_text() -> None:
    html, blocks = render_markdown("Two:\n\n```sh\nls -l\n```\n\n    indented()\n", copy_prefix="copy:3:")
    assert blocks == ["ls -l\n", "indented()\n"]
    assert "<code class=\"language-sh\">ls -l\n</code></pre><a class='copy' href='copy:3:0'>Copy code</a>" in (
        _uncoloured(html))
    assert "href='copy:3:1'" in html and html.count("Copy code") == 2


def test_code_fence_text_in_a_paragraph_gets_no_copy_link() -> None:
    html, blocks = render_markdown("Write ``` to open a fence, and </pre> ends nothing here.")
    assert blocks == [] and "Copy code" not in html and "&lt;/pre&gt;" in html


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.sampled_from(LINES), min_size=1, max_size=25),
    cuts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60),
)
def test_streaming_in_any_chunks_matches_a_whole_render(lines: list[str], cuts: list[int]) -> None:
    text = "\n".join(lines)
    chunks, at = [], 0
    for size in cuts * (len(text) // max(1, sum(cuts)) + 1):
        if at >= len(text):
            break
        chunks.append(text[at : at + size])
        at += size
    _replay(chunks)


def test_streaming_character_by_character_through_every_block_kind() -> None:
    _replay(list("\n".join([*LINES, "end", "", "```", "code", "```", "", "after"])))


def test_streaming_settles_blocks_so_each_update_renders_only_the_last() -> None:
    stream = StreamingMarkdown()
    first = stream.feed("Intro paragraph.\n\n- one\n- two")
    assert first.settled_html == "<p>Intro paragraph.</p>\n"
    assert first.live_html == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
    second = stream.feed("Intro paragraph.\n\n- one\n- two\n\nNext line\n")
    assert second.settled_html == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
    assert second.live_html == "<p>Next line</p>\n" and not second.restarted


def test_replaced_text_restarts_the_render() -> None:
    stream = StreamingMarkdown()
    stream.feed("First paragraph.\n\nSecond\n")
    update = stream.feed("Other text.\n\nMore")
    assert update.restarted
    assert update.settled_html + update.live_html == render_markdown("Other text.\n\nMore")[0]


def test_an_unfinished_line_never_settles_the_block_above_it() -> None:
    # "*" alone would start a new list; "**" continues the bullet's paragraph.
    stream = StreamingMarkdown()
    assert stream.feed("- a bullet\n*").settled_html == ""
    update = stream.feed("- a bullet\n**")
    assert update.live_html == render_markdown("- a bullet\n**")[0] == "<ul>\n<li>a bullet\n**</li>\n</ul>\n"


def test_code_is_coloured_once_its_block_settles_and_in_a_whole_render() -> None:
    stream = StreamingMarkdown()
    writing = stream.feed("```python\nreturn None\n")
    assert "hl-" not in writing.live_html and "return None\n" in writing.live_html
    settled = stream.feed("```python\nreturn None\n```\n\nAfter\n").settled_html
    assert "<span class='hl-kw'>return </span><span class='hl-num'>None\n</span>" in settled
    assert settled == render_markdown("```python\nreturn None\n```\n")[0]
