"""``--json`` errors in process: one ``{"error", "hint"}`` object on stdout, the text on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmdesk.cli import run_headless
from slmdesk.cli.common import fail, json_errors
from slmdesk.core.errors import UserError


def test_fail_prints_the_json_object_only_inside_json_errors(capsys: pytest.CaptureFixture[str]) -> None:
    error = UserError("The model file is gone.", "Scan the folder again.")
    assert fail(error) == 1
    plain = capsys.readouterr()
    assert plain.out == ""
    assert plain.err == "slmdesk: error: The model file is gone.\nScan the folder again.\n"
    with json_errors(True):
        assert fail(UserError("No hint here.")) == 1
    out = capsys.readouterr().out
    assert json.loads(out) == {"error": "No hint here.", "hint": None}
    assert fail(error) == 1
    assert capsys.readouterr().out == ""  # the mode ends with the block


def test_a_command_error_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "gone.gguf"
    code, _args = run_headless(["fit", str(missing), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out) == {
        "error": f"{missing} does not exist.",
        "hint": "Pass a GGUF file, an ONNX GenAI folder or an inventory id.",
    }
    assert f"slmdesk: error: {missing} does not exist." in captured.err


def test_a_usage_error_with_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run_headless(["bench", "model.gguf", "--threads", "0", "--json"])
    captured = capsys.readouterr()
    assert exited.value.code == 2
    assert json.loads(captured.out) == {
        "error": "argument -t/--threads: thread counts must be at least 1",
        "hint": "See `slmdesk bench --help`.",
    }
    assert "slmdesk bench: error: argument -t/--threads: thread counts must be at least 1" in captured.err
    with pytest.raises(SystemExit):
        run_headless(["bench", "model.gguf", "--threads", "0"])
    assert capsys.readouterr().out == ""


def test_an_internal_error_with_json_is_reported_then_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import slmdesk.cli.common

    def broken(_process: str | None = None) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(slmdesk.cli.common, "apply_user_settings", broken)
    with pytest.raises(KeyError):
        run_headless(["fit", "model.gguf", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["error"] == "Internal error: KeyError: 'boom'"
    assert "slmdesk doctor" in data["hint"]
