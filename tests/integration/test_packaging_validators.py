"""The packaging recipes against their validators, each run as a child process: the CI workflow
against the GitHub workflow schema (check-jsonschema ships it: no network), the Linux desktop
entry and AppStream metainfo against desktop-file-validate and appstreamcli where installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "package.yml"


def _check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    # check-jsonschema ships the schema (vendor.github-workflows, from SchemaStore): no network.
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=120,
    )


def test_the_ci_workflow_validates_against_the_github_workflow_schema() -> None:
    done = _check_workflow(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validation done" in done.stdout


def test_the_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("runs-on:", "runs-onn:"), encoding="utf-8")
    done = _check_workflow(broken)
    assert done.returncode == 1 and "runs-on" in done.stdout


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_the_desktop_entry_is_valid() -> None:
    done = subprocess.run(["desktop-file-validate", str(ROOT / "packaging/linux/io.github.slmdesk.slmdesk.desktop")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream is not installed")
def test_the_appstream_metainfo_is_valid(tmp_path: Path) -> None:
    template = (ROOT / "packaging/linux/io.github.slmdesk.slmdesk.metainfo.xml").read_text(encoding="utf-8")
    filled = tmp_path / "io.github.slmdesk.slmdesk.metainfo.xml"
    filled.write_text(template.replace("@VERSION@", "0.1.0").replace("@DATE@", "2026-12-01"), encoding="utf-8")
    done = subprocess.run(["appstreamcli", "validate", "--no-net", "--pedantic", str(filled)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
