"""The repository layout ARCHITECTURE.md describes: every package listed for the wheel, only the
expected entries at the top level. (The import contracts run in
``tests/integration/test_import_contracts.py``.)"""

import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_every_package_is_listed_for_the_wheel() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "slmdesk").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found | {"slmdesk.resources"} == listed


def test_top_level_holds_only_what_the_layout_allows() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    top = {name.split("/")[0] for name in tracked}
    allowed = {
        "pyproject.toml", "slmdesk", "resources", "packaging", "tests", "README.md",
        ".ci", "benchmarks", ".gitignore", "Makefile", "requirements.lock",
        ".github",  # the installers' CI workflow for a public forge (packaging/, README "Installers")
        "docs", "CONTRIBUTING.md",
    }
    assert top <= allowed, sorted(top - allowed)
