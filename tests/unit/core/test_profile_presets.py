"""The built-in hardware presets load from resources/profiles/presets.json, unchanged, and a broken
file fails with a message that names the file, the preset and the field."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.profiles import PRESETS, PRESETS_RESOURCE, load_presets
from slmdesk.core.resources import resource_path

EXPECTED = Path(__file__).parent / "data" / "hardware_presets_expected.json"
"""Every preset's ``to_dict()`` as the presets were hard-coded in ``core/profiles.py`` before they
moved to JSON (captured from that code at commit 13d6edc; ints stay ints, floats floats)."""


def same(actual: Any, expected: Any, where: str = "") -> None:
    """Equal values of the same JSON type (1 == 1.0 would hide a byte count turned float)."""
    assert type(actual) is type(expected), f"{where}: {actual!r} vs {expected!r}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            same(a, e, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: {actual!r} vs {expected!r}"


def test_every_preset_loads_as_it_was_hard_coded() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert list(PRESETS) == list(expected)  # the order the Fit panel and the CLI list them in
    for key, profile in PRESETS.items():
        same(json.loads(json.dumps(profile.to_dict())), expected[key], key)
    laptop = PRESETS["laptop-8gb"]
    assert (laptop.ram_total_bytes, laptop.ram_available_bytes) == (8 * 2**30, int(5.5 * 2**30))
    assert laptop.memory_bandwidth_bytes_per_s == 51.2e9 * 0.7
    rtx = PRESETS["desktop-16gb-gpu-8gb"].gpus[0]
    assert (rtx.vram_total_bytes, rtx.vram_free_bytes) == (8 * 2**30, 8 * 2**30 - 512 * 2**20)


def test_the_presets_file_is_the_installed_resource_and_cites_every_figure() -> None:
    path = resource_path(*PRESETS_RESOURCE)
    assert path.is_file()
    assert load_presets(path) == PRESETS
    raw = json.loads(path.read_text(encoding="utf-8"))["presets"]
    for key, preset in raw.items():
        assert f"{preset['cpu_peak_gbps']:g} GB/s" in preset["source"], key
        for gpu in preset.get("gpus", []):
            assert f"{gpu['peak_gbps']:g} GB/s" in preset["source"], key


def broken(tmp_path: Path, change: Any) -> str:
    """Load a copy of the presets file after ``change(document)``; return the error text."""
    document = json.loads(resource_path(*PRESETS_RESOURCE).read_text(encoding="utf-8"))
    document = copy.deepcopy(document)
    change(document)
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(UserError, match=f"^The hardware presets file {re.escape(str(path))} is broken: ") as info:
        load_presets(path)
    assert "reinstall slmdesk" in info.value.hint
    return info.value.message


def test_a_missing_field_is_named(tmp_path: Path) -> None:
    message = broken(tmp_path, lambda d: d["presets"]["rpi5-8gb"].pop("ram_gib"))
    assert "preset 'rpi5-8gb' lacks the field 'ram_gib'" in message


def test_a_mistyped_field_is_named(tmp_path: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["presets"]["laptop-8gb"]["ram_gib"] = "8"

    message = broken(tmp_path, change)
    assert "preset 'laptop-8gb': 'ram_gib' must be a positive number, not '8'" in message


@pytest.mark.parametrize(
    ("field", "value", "wanted"),
    [
        ("physical_cores", True, "a positive integer"),
        ("cpu_features", ["avx2", 3], "a list of strings"),
        ("os_reserve", "server", "one of 'desktop', 'headless'"),
        ("source", "", "a non-empty string"),
        ("cpu_peak_gbps", -1, "a positive number"),
    ],
)
def test_each_kind_of_field_is_checked(tmp_path: Path, field: str, value: Any, wanted: str) -> None:
    def change(document: dict[str, Any]) -> None:
        document["presets"]["apple-m2-16gb"][field] = value

    assert f"preset 'apple-m2-16gb': '{field}' must be {wanted}" in broken(tmp_path, change)


def test_unknown_fields_and_gpu_kinds_are_refused(tmp_path: Path) -> None:
    def typo(document: dict[str, Any]) -> None:
        document["presets"]["laptop-4gb"]["ram_gb"] = 4

    assert "preset 'laptop-4gb' has unknown field(s) 'ram_gb'" in broken(tmp_path, typo)

    def amd(document: dict[str, Any]) -> None:
        document["presets"]["desktop-16gb-gpu-8gb"]["gpus"][0]["kind"] = "amd"

    message = broken(tmp_path, amd)
    assert "preset 'desktop-16gb-gpu-8gb', GPU 1: 'kind' must be one of 'nvidia', 'apple', not 'amd'" in message

    def apple_vram(document: dict[str, Any]) -> None:
        document["presets"]["apple-m1-8gb"]["gpus"][0]["vram_gib"] = 8  # unified: no own VRAM

    assert "preset 'apple-m1-8gb', GPU 1 has unknown field(s) 'vram_gib'" in broken(tmp_path, apple_vram)


def test_a_file_that_is_not_json_or_not_there_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_text('{"presets": {', encoding="utf-8")
    with pytest.raises(UserError, match="is not valid JSON"):
        load_presets(path)
    with pytest.raises(UserError, match="Cannot read the hardware presets"):
        load_presets(tmp_path / "absent.json")
    path.write_text('{"about": "no presets here"}', encoding="utf-8")
    with pytest.raises(UserError, match='needs a "presets" object'):
        load_presets(path)
