"""In a fresh interpreter: nothing that makes requests is imported before offline mode is applied,
and huggingface_hub, imported after, reads it (and telemetry off) from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from slmdesk.core import offline

CHECK = """
import sys
import slmdesk.cli
slmdesk.cli.build_parser()
import slmdesk.app  # the GUI's composition root, before build_context
early = sorted(m for m in ("huggingface_hub", "httpx2", "requests", "urllib3", "transformers") if m in sys.modules)
code, _ = slmdesk.cli.run_headless(sys.argv[1:])
from huggingface_hub import constants
print(early, code, constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_TELEMETRY)
"""


def run(home: Path, *argv: str) -> str:
    removed = {offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, *offline.TELEMETRY_OFF}
    env = {name: value for name, value in os.environ.items() if name not in removed}
    env.update(SLMDESK_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", CHECK, *argv], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_the_hub_is_imported_after_offline_mode_and_reads_it(tmp_path: Path) -> None:
    assert run(tmp_path, "--offline", "network-log", "--json") == "[] 0 True True"
    # Online, telemetry stays off all the same (slmdesk sends nothing on its own).
    assert run(tmp_path, "network-log", "--json") == "[] 0 False True"
