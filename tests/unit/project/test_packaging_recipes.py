"""The packaging recipes that cannot all run here: the CI workflow against the GitHub workflow
schema, the Linux desktop files against their validators, the Windows and macOS recipes' key
settings."""

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


def test_the_workflow_builds_and_tests_on_all_three_platforms() -> None:
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    oses = [entry["os"] for entry in workflow["jobs"]["package"]["strategy"]["matrix"]["include"]]
    assert [os_name.split("-")[0] for os_name in oses] == ["ubuntu", "windows", "macos"]
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["package"]["steps"])
    assert "packaging/llama_wheel.py --install" in steps and "packaging/package_test.py" in steps


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


def test_the_windows_installer_needs_no_administrator() -> None:
    script = (ROOT / "packaging/windows/slmdesk.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in script
    assert "DefaultDirName={localappdata}\\Programs\\slmdesk" in script


def test_the_spec_keeps_the_model_building_stack_out() -> None:
    spec = (ROOT / "packaging/slmdesk.spec").read_text(encoding="utf-8")
    for name in ('"torch"', '"transformers"', '"PySide6.QtWebEngineCore"', '"PySide6.QtQuick"'):
        assert name in spec
