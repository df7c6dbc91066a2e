"""``slmdesk scan / list / show`` run as a user would, on the real starter models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXPECTED = {
    # architecture: (n_layer, n_head_kv, context_length, quantization)
    "llama": (30, 3, 8192, "Q4_1"),  # SmolLM2-135M-Instruct
    "gemma3": (18, 1, 32768, "Q4_K_M"),  # Gemma 3 270M
}


def slmdesk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("slmdesk")
    assert exe.exists(), "the console script is missing: pip install -e ."
    env = dict(os.environ, SLMDESK_HOME=str(home))
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=120, env=env
    )


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def models(tmp_path: Path, smollm2_gguf: Path, gemma3_gguf: Path) -> Path:
    folder = tmp_path / "my models"
    (folder / "nested").mkdir(parents=True)
    (folder / smollm2_gguf.name).symlink_to(smollm2_gguf)
    (folder / "nested" / gemma3_gguf.name).symlink_to(gemma3_gguf)
    return folder


def check_facts(entry: dict[str, Any]) -> None:
    n_layer, n_head_kv, context_length, quantization = EXPECTED[entry["architecture"]]
    assert entry["n_layer"] == n_layer
    assert entry["n_head_kv"] == n_head_kv
    assert entry["context_length"] == context_length
    assert entry["quantization"] == quantization
    assert entry["format"] == "gguf"
    assert entry["status"] == "ok"
    assert entry["size_bytes"] == Path(entry["path"]).stat().st_size
    if entry["architecture"] == "llama":  # SmolLM2 ships a chat template; this Gemma file none
        assert "<|im_start|>" in entry["chat_template"]


def test_scan_list_show_the_starter_models(tmp_path: Path, models: Path) -> None:
    home = tmp_path / "home"
    scanned = ok_json(slmdesk(home, "scan", str(models), "--json"))
    assert scanned["summary"]["added"] == 2
    artifacts = scanned["artifacts"]
    assert sorted(a["architecture"] for a in artifacts) == ["gemma3", "llama"]
    for entry in artifacts:
        check_facts(entry)
        assert entry["source"]["kind"] == "folder"
        assert Path(entry["path"]).parent in (models, models / "nested")

    listed = ok_json(slmdesk(home, "list", "--json"))
    assert sorted(listed, key=lambda a: a["id"]) == sorted(artifacts, key=lambda a: a["id"])

    gemma = next(a for a in listed if a["architecture"] == "gemma3")
    assert ok_json(slmdesk(home, "show", str(gemma["id"]), "--json")) == gemma
    assert ok_json(slmdesk(home, "show", gemma["path"], "--json")) == gemma

    table = slmdesk(home, "list")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:5] == ["ID", "STATUS", "FORMAT", "ARCH", "QUANT"]
    assert any("gemma3" in line and "Q4_K_M" in line and "32768" in line for line in lines)
    assert any("llama" in line and "Q4_1" in line and "8192" in line for line in lines)

    human = slmdesk(home, "show", str(gemma["id"]))
    assert human.returncode == 0, human.stderr
    assert "n_head_kv: 1" in human.stdout and "quantization: Q4_K_M" in human.stdout

    # A second scan changes nothing; removing a file marks it missing (the row is kept).
    again = ok_json(slmdesk(home, "scan", str(models), "--json"))
    assert again["summary"]["unchanged"] == 2 and again["summary"]["added"] == 0
    (models / "nested" / Path(gemma["path"]).name).unlink()
    rescanned = ok_json(slmdesk(home, "scan", str(models), "--json"))
    assert rescanned["summary"]["missing"] == 1
    statuses = {a["architecture"]: a["status"] for a in ok_json(slmdesk(home, "list", "--json"))}
    assert statuses == {"llama": "ok", "gemma3": "missing"}


def test_show_reads_a_file_that_is_not_in_the_inventory(tmp_path: Path, smollm2_gguf: Path) -> None:
    shown = ok_json(slmdesk(tmp_path / "home", "show", str(smollm2_gguf), "--json"))
    assert shown["id"] is None and shown["sha256"] is None
    assert shown["architecture"] == "llama"
    check_facts(shown)
    assert ok_json(slmdesk(tmp_path / "home", "list", "--json")) == []


def test_errors_go_to_stderr_with_exit_code_1(tmp_path: Path) -> None:
    home = tmp_path / "home"
    missing = slmdesk(home, "show", "999")
    assert missing.returncode == 1
    assert "no model with id 999" in missing.stderr and missing.stdout == ""

    nowhere = slmdesk(home, "scan", str(tmp_path / "no such folder"))
    assert nowhere.returncode == 1
    assert "no such folder" in nowhere.stderr

    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"NOPE" * 64)
    shown = slmdesk(home, "show", str(junk))
    assert shown.returncode == 1
    assert "junk.gguf is not a readable GGUF file" in shown.stderr

    empty = slmdesk(home, "list")
    assert empty.returncode == 0 and "inventory is empty" in empty.stdout
