"""With ``--json``, every command's error is one JSON object on stdout as well as text on stderr.

Each test runs ``python -m slmdesk ... --json`` as a user would (no model is loaded: every
command here fails before the engine starts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gguf_factory import write_gguf

REPO_ROOT = Path(__file__).resolve().parents[2]


def _slmdesk(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SLMDESK_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    return subprocess.run(
        [sys.executable, "-m", "slmdesk", *args], capture_output=True, text=True, timeout=120, env=env, cwd=REPO_ROOT
    )


def _error_object(result: subprocess.CompletedProcess[str], status: int = 1) -> dict[str, Any]:
    """The one JSON object on stdout, after checking the exit status and the text on stderr."""
    assert result.returncode == status, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON value, nothing else on stdout
    assert isinstance(data, dict) and set(data) >= {"error", "hint"}
    assert isinstance(data["error"], str) and data["error"]
    assert data["hint"] is None or isinstance(data["hint"], str)
    assert data["error"] in result.stderr  # the human text stays on stderr
    return data


@pytest.fixture
def toy_gguf(tmp_path: Path) -> Path:
    [path] = write_gguf(tmp_path / "toy.gguf")
    return path


@pytest.fixture
def damaged_inventory(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / "data" / "inventory.sqlite3").write_bytes(b"this is not SQLite" * 300)
    return home


def test_show_fit_and_bench_of_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    for command in ("show", "fit", "bench"):
        data = _error_object(_slmdesk(command, str(missing), "--json", home=tmp_path / "home"))
        assert data["error"] == f"{missing} does not exist.", command
        assert data["hint"] is not None and "inventory id" in data["hint"]


def test_chat_refuses_a_zero_context_like_fit(tmp_path: Path, toy_gguf: Path) -> None:
    for command in (["chat", str(toy_gguf), "-p", "hi"], ["fit", str(toy_gguf)]):
        data = _error_object(_slmdesk(*command, "--ctx", "0", "--json", home=tmp_path / "home"))
        assert data == {"error": "A context of 0 tokens is not possible.", "hint": "Use at least 256 tokens."}


def test_chat_with_an_unknown_inventory_id(tmp_path: Path) -> None:
    data = _error_object(_slmdesk("chat", "999", "-p", "hi", "--json", home=tmp_path / "home"))
    assert data == {
        "error": "There is no model with id 999 in the inventory.",
        "hint": "See the ids with `slmdesk list`.",
    }


def test_inventory_commands_on_a_damaged_inventory(tmp_path: Path, damaged_inventory: Path) -> None:
    for command in (["list"], ["scan", str(tmp_path)], ["show", "1"]):
        data = _error_object(_slmdesk(*command, "--json", home=damaged_inventory))
        assert data["error"].startswith("The inventory ") and "is damaged" in data["error"], command
        assert data["hint"] is not None and "Move inventory.sqlite3 away" in data["hint"]


def test_doctor_reports_a_failed_check_in_its_one_json_object(damaged_inventory: Path) -> None:
    data = _error_object(_slmdesk("doctor", "--no-engine", "--json", home=damaged_inventory))
    assert data["ok"] is False
    assert data["error"].startswith("inventory: ")
    assert data["hint"] == next(c["hint"] for c in data["checks"] if c["name"] == "inventory")


def test_a_usage_error_is_a_json_error_with_exit_status_2(tmp_path: Path, toy_gguf: Path) -> None:
    data = _error_object(_slmdesk("chat", str(toy_gguf), "--json", home=tmp_path / "home"), status=2)
    assert data == {
        "error": "the following arguments are required: -p/--prompt",
        "hint": "See `slmdesk chat --help`.",
    }
    data = _error_object(_slmdesk("fit", str(toy_gguf), "--ctx", "many", "--json", home=tmp_path / "home"), status=2)
    assert data["error"] == "argument --ctx: invalid int value: 'many'"


def test_without_json_errors_stay_off_stdout(tmp_path: Path) -> None:
    result = _slmdesk("show", str(tmp_path / "nope.gguf"), home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"slmdesk: error: {tmp_path / 'nope.gguf'} does not exist." in result.stderr
