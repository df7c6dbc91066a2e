"""``slmdesk --smoke-test`` never waits for a click: a modal dialog (here the damaged-inventory
one) fails the run at once, with the dialog's text on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

SMOKE_TIMEOUT_S = 20
"""The smoke test opens in a few seconds; a run waiting on a dialog would hit this."""


def test_a_modal_dialog_fails_the_smoke_test_at_once_with_its_text(tmp_path: Path) -> None:
    home = tmp_path / "home"
    database = home / "data" / "inventory.sqlite3"
    database.parent.mkdir(parents=True)
    damaged = b"SQLite format 3\x00" + b"\x17" * 8000  # a header, then garbage
    database.write_bytes(damaged)
    env = dict(os.environ, SLMDESK_HOME=str(home), QT_QPA_PLATFORM="offscreen")

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "slmdesk", "--smoke-test"],
        capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S, env=env,
    )
    assert time.monotonic() - started < SMOKE_TIMEOUT_S
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smoke test failed: a modal dialog opened" in result.stderr
    assert "[slmdesk: the inventory is damaged]" in result.stderr
    assert f"The inventory {database} is damaged" in result.stderr
    assert "smoke test passed" not in result.stdout
    assert database.read_bytes() == damaged, "nothing was done to the damaged file"
    assert not list(database.parent.glob("*.damaged-*"))
