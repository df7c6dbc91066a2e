"""The packaging recipes' key settings, read from their files: the CI workflow's platforms and
steps, the Windows installer, the PyInstaller spec. (The workflow schema and the Linux desktop
file validators run as child processes in ``tests/integration/test_packaging_validators.py``.)"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "package.yml"


def test_the_workflow_builds_and_tests_on_all_three_platforms() -> None:
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    oses = [entry["os"] for entry in workflow["jobs"]["package"]["strategy"]["matrix"]["include"]]
    assert [os_name.split("-")[0] for os_name in oses] == ["ubuntu", "windows", "macos"]
    steps = " ".join(str(step.get("run", "")) for step in workflow["jobs"]["package"]["steps"])
    assert "packaging/llama_wheel.py --install" in steps and "packaging/package_test.py" in steps


def test_the_windows_installer_needs_no_administrator() -> None:
    script = (ROOT / "packaging/windows/slmdesk.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in script
    assert "DefaultDirName={localappdata}\\Programs\\slmdesk" in script


def test_the_spec_keeps_the_model_building_stack_out() -> None:
    spec = (ROOT / "packaging/slmdesk.spec").read_text(encoding="utf-8")
    for name in ('"torch"', '"transformers"', '"PySide6.QtWebEngineCore"', '"PySide6.QtQuick"'):
        assert name in spec
