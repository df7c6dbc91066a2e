"""The installed ``slmdesk`` executable, run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from slmdesk import __version__


def _slmdesk() -> str:
    exe = Path(sys.executable).with_name("slmdesk")
    assert exe.exists(), "the console script is missing: pip install -e ."
    return str(exe)


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SLMDESK_HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_version() -> None:
    result = subprocess.run([_slmdesk(), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"slmdesk {__version__}"


def test_smoke_test_opens_every_pane_and_exits_zero(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = subprocess.run(
        [_slmdesk(), "--smoke-test"], capture_output=True, text=True, timeout=120, env=_env(home)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
    assert (home / "config" / "window.ini").is_file()  # state was saved on close
    log = (home / "logs" / "slmdesk.log").read_text()
    assert "Traceback" not in log


def test_unknown_command_fails_with_usage(tmp_path: Path) -> None:
    result = subprocess.run(
        [_slmdesk(), "no-such-command"], capture_output=True, text=True, timeout=60, env=_env(tmp_path)
    )
    assert result.returncode == 2
    assert "usage: slmdesk" in result.stderr
