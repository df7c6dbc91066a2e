"""The Qt Linguist files are complete: every translatable text of slmdesk/ui is in
``resources/i18n/slmdesk_sv.ts`` with a finished Swedish translation that keeps its
placeholders, and every plural text has its English forms in ``slmdesk_en.ts``.

The texts are extracted afresh with ``pyside6-lupdate`` (as ``packaging/translations.py
update`` does), so a new or changed ``self.tr(...)`` without a translation fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "packaging"))
import translations  # noqa: E402 - packaging/ is not a package

Key = tuple[str, str, str]


def _messages(ts: Path) -> dict[Key, ET.Element]:
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found[(name, message.findtext("source") or "", message.findtext("comment") or "")] = message
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> dict[Key, ET.Element]:
    """Every translatable text of the sources, as lupdate finds it now."""
    ts = tmp_path_factory.mktemp("lupdate") / "fresh_sv.ts"
    subprocess.run([translations.tool("lupdate"), *translations.source_files(), "-source-language", "en",
                    "-target-language", "sv_SE", "-locations", "none", "-ts", str(ts)],
                   check=True, capture_output=True)
    return _messages(ts)


def _forms(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    if translation is None:
        return []
    forms = [form.text or "" for form in translation.iter("numerusform")]
    return forms if message.get("numerus") == "yes" else [translation.text or ""]


def _unfinished(message: ET.Element) -> bool:
    translation = message.find("translation")
    return translation is None or translation.get("type") in {"unfinished", "vanished", "obsolete"}


_PLACEHOLDER = re.compile(r"\{\w*\}|%L?n|%\d")


def test_there_is_something_to_translate(extracted: dict[Key, ET.Element]) -> None:
    assert len(extracted) > 500  # every pane's texts; a broken extraction finds none


def test_every_text_has_a_finished_swedish_translation(extracted: dict[Key, ET.Element]) -> None:
    committed = _messages(translations.SWEDISH)
    missing = [key for key in extracted if key not in committed]
    unfinished = [key for key in extracted if key in committed and (
        _unfinished(committed[key]) or not all(form.strip() for form in _forms(committed[key]))
        or len(_forms(committed[key])) != (2 if committed[key].get("numerus") == "yes" else 1))]
    report = [f"not in slmdesk_sv.ts (run packaging/translations.py update): {k[0]}: {k[1][:80]!r}" for k in missing]
    report += [f"unfinished in Swedish: {k[0]}: {k[1][:80]!r}" for k in unfinished]
    assert not report, "\n".join(report[:60]) + (f"\n... and {len(report) - 60} more" if len(report) > 60 else "")


def test_swedish_keeps_every_placeholder(extracted: dict[Key, ET.Element]) -> None:
    committed = _messages(translations.SWEDISH)
    wrong = []
    for key in extracted:
        message = committed.get(key)
        if message is None:
            continue
        wanted = set(_PLACEHOLDER.findall(key[1]))
        for number, form in enumerate(_forms(message)):
            found = set(_PLACEHOLDER.findall(form))
            if number == 0 and message.get("numerus") == "yes":
                found |= wanted & {"%n", "%Ln"}  # the singular may spell the one out ("det äldsta")
            if found != wanted:
                wrong.append(f"{key[0]}: {key[1][:60]!r} -> {form[:60]!r}")
    assert not wrong, "placeholders lost or added:\n" + "\n".join(wrong)


def test_english_has_both_plural_forms(extracted: dict[Key, ET.Element]) -> None:
    plurals = [key for key, message in extracted.items() if message.get("numerus") == "yes"]
    committed = _messages(translations.ENGLISH)
    wrong = [f"{k[0]}: {k[1]!r}" for k in plurals
             if k not in committed or _unfinished(committed[k]) or len(_forms(committed[k])) != 2
             or not all(form.strip() for form in _forms(committed[k]))]
    assert not wrong, "plural texts without English forms in slmdesk_en.ts:\n" + "\n".join(wrong)


def test_the_translations_compile(tmp_path: Path) -> None:
    written = translations.release(tmp_path)
    assert sorted(path.name for path in written) == ["slmdesk_en.qm", "slmdesk_sv.qm"]
    assert all(path.stat().st_size > 0 for path in written)
