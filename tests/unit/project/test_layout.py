"""The layer rules of ARCHITECTURE.md, checked by import-linter as part of every test run."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed (test extra)"
    result = subprocess.run(
        [lint_imports, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: 3 kept, 0 broken", result.stdout), result.stdout


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
