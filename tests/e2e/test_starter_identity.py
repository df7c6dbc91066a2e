"""The starter models' names, from their real headers, are the ones the welcome banner offers."""

from __future__ import annotations

from pathlib import Path

from slmdesk.formats.detect import read_spec
from slmdesk.formats.naming import spec_display_name
from slmdesk.hub import starter


def test_smollm2_is_named_by_the_rule(smollm2_gguf: Path) -> None:
    spec = read_spec(smollm2_gguf)
    assert spec.name == "Smollm2 135M 8k Lc100K Mix1 Ep2"  # what general.name says
    assert spec_display_name(spec) == starter.SMOLLM2.name == "SmolLM2 135M Instruct"


def test_gemma3_is_named_by_the_rule(gemma3_gguf: Path) -> None:
    spec = read_spec(gemma3_gguf)
    assert spec_display_name(spec) == starter.GEMMA3_270M.name == "Gemma 3 270M"
