"""``slmdesk scan`` of files it cannot read, run as a user would: the reason in text and JSON,
the exit status, the counts, and the reason kept in the inventory (``slmdesk show``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gguf_factory import write_gguf

EXIT_UNREADABLE = 3
"""What ``slmdesk scan --help`` documents for "saved, but some files could not be read"."""


def slmdesk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("slmdesk")
    assert exe.exists(), "the console script is missing: pip install -e ."
    env = dict(os.environ, SLMDESK_HOME=str(home))
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A folder with one good GGUF, one corrupt GGUF and a split set missing its second part."""
    folder = tmp_path / "models"
    folder.mkdir()
    write_gguf(folder / "good.gguf")
    (folder / "bad.gguf").write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    parts = write_gguf(folder / "big.gguf", split=3, n_layer=3)
    parts[1].unlink()
    return folder


def shown_error(home: Path, path: Path) -> tuple[str, str]:
    """(message, hint) that ``slmdesk show PATH`` prints for a file outside the inventory."""
    result = slmdesk(home, "show", str(path))
    assert result.returncode == 1
    message, hint = result.stderr.strip().split("\n", 1)
    return message.removeprefix("slmdesk: error: "), hint


def test_scan_reports_unreadable_files_with_the_reason_and_fails(tmp_path: Path, models: Path) -> None:
    bad, first_part = models / "bad.gguf", models / "big-00001-of-00003.gguf"
    bad_reason = shown_error(tmp_path / "elsewhere", bad)
    split_reason = shown_error(tmp_path / "elsewhere", first_part)
    home = tmp_path / "home"

    text = slmdesk(home, "scan", str(models))
    assert text.returncode == EXIT_UNREADABLE, text.stderr
    assert "2 files could not be read" in text.stderr
    for path, status, (message, hint) in ((bad, "corrupt", bad_reason), (first_part, "incomplete", split_reason)):
        assert f"{path}: {status}: {message}" in text.stderr
        assert hint in text.stderr
    summary_line = text.stdout.strip().splitlines()[-1]
    assert "3 found: 3 new" in summary_line and "1 unreadable" in summary_line
    assert summary_line.endswith("1 incomplete."), "the split set is marked incomplete: count it"

    # Again, nothing changed on disk: the same failures, the same exit status, in JSON too.
    again = slmdesk(home, "scan", str(models), "--json")
    assert again.returncode == EXIT_UNREADABLE
    data = json.loads(again.stdout)
    assert sorted(data["summary"]["failures"], key=lambda f: f["path"]) == [
        {"path": str(bad), "status": "corrupt", "error": bad_reason[0], "hint": bad_reason[1]},
        {"path": str(first_part), "status": "incomplete", "error": split_reason[0], "hint": split_reason[1]},
    ]
    assert (data["summary"]["corrupt"], data["summary"]["incomplete"]) == (1, 1)
    by_path = {a["path"]: a for a in data["artifacts"]}
    assert (by_path[str(bad)]["error"], by_path[str(bad)]["error_hint"]) == bad_reason
    assert by_path[str(models / "good.gguf")]["error"] is None

    # The inventory row keeps the reason: `show ID` says what happened and what to do.
    shown = slmdesk(home, "show", str(by_path[str(bad)]["id"]))
    assert shown.returncode == 0
    assert f"error: {bad_reason[0]}" in shown.stdout and f"what to do: {bad_reason[1]}" in shown.stdout


def test_a_scan_that_reads_everything_exits_0(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    write_gguf(tmp_path / "models" / "good.gguf")
    result = slmdesk(tmp_path / "home", "scan", str(tmp_path / "models"), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["failures"] == []
    assert result.stderr == ""


def test_the_exit_status_is_documented(tmp_path: Path) -> None:
    result = slmdesk(tmp_path / "home", "scan", "--help")
    assert result.returncode == 0
    assert f"{EXIT_UNREADABLE} the scan was saved, but some files could not be read" in " ".join(result.stdout.split())
