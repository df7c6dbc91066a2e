"""``slmdesk chat`` end to end: the installed command, a real model, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from slmdesk.hub import starter

ARGS = [
    "-p", "Name the capital city of France.",
    "--temperature", "0", "--max-tokens", "24", "--ctx", "512", "--threads", "1",
]


def _slmdesk(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("slmdesk")
    env = dict(os.environ, SLMDESK_HOME=str(home))
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=180, env=env)


def test_chat_json_by_path(smollm2_gguf: Path, tmp_path: Path) -> None:
    result = _slmdesk("chat", str(smollm2_gguf), *ARGS, "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "Paris" in data["text"] and "<|im_end|>" not in data["text"]
    assert data["backend"] == "llama.cpp" and data["backend_version"] == "0.3.36"
    assert data["model_sha256"] == starter.SMOLLM2.sha256
    assert data["prompt_tokens"] > 10 and 2 <= data["completion_tokens"] <= 24
    assert data["ttft_s"] > 0 and data["pp_tokens_per_s"] > 0 and data["tg_tokens_per_s"] > 0
    assert data["peak_rss_bytes"] > 50 * 2**20
    assert data["finish_reason"] == "stop"
    assert (tmp_path / "logs" / "engine.log").read_text().count("llama_model_loader") > 0


def test_chat_streams_text_and_reports_a_missing_model(smollm2_gguf: Path, tmp_path: Path) -> None:
    result = _slmdesk("chat", str(smollm2_gguf), *ARGS, "--system", "Answer briefly.", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert "tg " in result.stderr and "llama.cpp 0.3.36" in result.stderr
    missing = _slmdesk("chat", str(tmp_path / "nope.gguf"), "-p", "hi", home=tmp_path)
    assert missing.returncode == 1
    assert "nope.gguf does not exist" in missing.stderr


def test_chat_by_inventory_id(smollm2_gguf: Path, tmp_path: Path) -> None:
    scanned = _slmdesk("scan", str(smollm2_gguf), "--json", home=tmp_path)
    assert scanned.returncode == 0, scanned.stderr
    artifact_id = json.loads(scanned.stdout)["artifacts"][0]["id"]
    result = _slmdesk("chat", str(artifact_id), *ARGS, "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "Paris" in data["text"]
    assert data["model_path"] == str(smollm2_gguf)
    assert data["model_sha256"] == starter.SMOLLM2.sha256
    unknown = _slmdesk("chat", "999", "-p", "hi", home=tmp_path)
    assert unknown.returncode == 1 and "There is no model with id 999 in the inventory." in unknown.stderr
