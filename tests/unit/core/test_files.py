"""File names every desktop system accepts (export names made from conversation titles)."""

from __future__ import annotations

import pytest

from slmdesk.core.files import WINDOWS_RESERVED_NAMES, safe_file_name

FORBIDDEN = set('<>:"/\\|?*')


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("What is 2+2?", "What is 2+2.md"),
        ('Paths like C:\\Users\\me or /tmp/x: "quoted" <tags> a|b *stars*',
         "Paths like C Users me or tmp x quoted tags a b stars.md"),
        ("Ends with dots...", "Ends with dots.md"),
        ("  spaced   out \t title  ", "spaced out title.md"),
        ("line one\nline two\x07", "line one line two.md"),
        ("CON", "_CON.md"),
        ("nul.txt", "_nul.txt.md"),
        ("com1 ", "_com1.md"),
        ("Lpt9", "_Lpt9.md"),
        ("COM10", "COM10.md"),  # only COM1 to COM9 are devices
        ("Console", "Console.md"),
        ("???", "conversation.md"),
        ("", "conversation.md"),
        ("Ünïcode — ok 😀", "Ünïcode — ok 😀.md"),
    ],
)
def test_titles_become_names_windows_accepts(title: str, expected: str) -> None:
    name = safe_file_name(title, ".md", fallback="conversation")
    assert name == expected
    stem = name.removesuffix(".md")
    assert not FORBIDDEN & set(name) and all(ord(char) >= 32 for char in name)
    assert stem == stem.rstrip(". ") and stem.split(".")[0].upper() not in WINDOWS_RESERVED_NAMES


def test_long_titles_are_cut_without_leaving_a_trailing_dot_or_space() -> None:
    name = safe_file_name("word " * 40 + "end", ".json", max_chars=20)  # cut after "word word word word "
    assert name == "word word word word.json"
    assert safe_file_name("a" * 200).startswith("a" * 80) and len(safe_file_name("a" * 200)) == 80
