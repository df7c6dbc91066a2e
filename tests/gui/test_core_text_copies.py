"""The interface translates some English words of the Qt-free core by keeping a marked copy of
them (``QT_TRANSLATE_NOOP``): these tests fail when the core's words change and a copy no
longer matches, which would otherwise show English on a Swedish screen without a sound."""

from __future__ import annotations

import re
from pathlib import Path

from slmdesk.chat.presets import SYSTEM_PROMPT_PRESETS
from slmdesk.hardware import versions
from slmdesk.quantize.types import QUANT_TYPES
from slmdesk.ui import about
from slmdesk.ui.chat.generation import PRESET_NAMES
from slmdesk.ui.quantize import models as quantize_models


def test_chat_preset_names_match_the_core_presets() -> None:
    assert tuple(PRESET_NAMES) == tuple(preset.name for preset in SYSTEM_PROMPT_PRESETS)


def test_about_translates_words_the_versions_module_writes() -> None:
    source = Path(versions.__file__).read_text(encoding="utf-8")
    assert [text for text in about._CORE_TEXTS if f'"{text}"' not in source] == []


def test_every_quant_type_description_phrase_is_translatable() -> None:
    phrases = set()
    for quant in QUANT_TYPES.values():
        for part in quant.description.split(", "):
            bpw = quantize_models._BPW.match(part)
            phrase = bpw.group(2) if bpw else part
            if not re.fullmatch(r"[+\-\d.,\s]*(bpw|ppl @ [\w.-]+)?[+\-\d.,\s]*", phrase):
                phrases.add(phrase)
    field_terms = {"bfloat16"}  # a number format's name, the same in Swedish
    untranslatable = phrases - set(quantize_models._DESCRIPTION_PHRASES) - field_terms
    assert not untranslatable, f"describe_type would show these in English: {sorted(untranslatable)}"


def test_verdict_words_match_the_core_labels() -> None:
    from slmdesk.core.fit import AT_LOAD_LABEL, CONTEXT_FULL_LABEL, Verdict
    from slmdesk.ui import verdicts

    assert {v: verdicts._VERDICT_TEXT[v] for v in Verdict} == {v: v.label for v in Verdict}
    assert (verdicts._AT_LOAD, verdicts._CONTEXT_FULL) == (AT_LOAD_LABEL, CONTEXT_FULL_LABEL)
