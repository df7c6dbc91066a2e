"""``slmdesk search``, ``hub files`` and ``hub fit`` as a user runs them (``python -m slmdesk``) with
HF_ENDPOINT pointed at the fake Hub: JSON output, gated access with HF_TOKEN (never printed),
offline refusal without a connection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_hub import FakeFile, FakeHub, FakeRepo, gguf_repo
from tests.gguf_factory import write_gguf

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hf_CliSecret987"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[FakeHub]:
    [toy] = write_gguf(tmp_path / "toy-Q8_0.gguf", n_layer=4, context_length=2048)
    (tmp_path / "parts").mkdir()
    parts = write_gguf(tmp_path / "parts" / "toy-F16.gguf", split=2, n_layer=4)
    files = [FakeFile(toy.name, source=toy), *(FakeFile(p.name, source=p) for p in parts),
             FakeFile("mmproj-toy-f16.gguf", data=b"GGUF"), FakeFile("README.md", data=b"# toy", lfs=False)]
    repos = [
        FakeRepo("org/toy-GGUF", files=files, tags=["gguf"], library_name="gguf", downloads=10),
        gguf_repo("org/gated-GGUF", toy, gated=True, token=TOKEN, downloads=5, license="gemma"),
        FakeRepo("org/toy-onnx", tags=["onnx"], library_name="onnx", downloads=7),
    ]
    with FakeHub(repos) as fake:
        yield fake


def _slmdesk(hub: FakeHub, *args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_TOKEN", "SLMDESK_OFFLINE")}
    environ.update(SLMDESK_HOME=str(home), PYTHONPATH=str(REPO_ROOT), HF_ENDPOINT=hub.endpoint, **env)
    return subprocess.run([sys.executable, "-m", "slmdesk", *args], capture_output=True, text=True, timeout=120,
                          env=environ, cwd=REPO_ROOT)


def _json(result: subprocess.CompletedProcess[str], status: int = 0) -> Any:
    assert result.returncode == status, result.stderr
    return json.loads(result.stdout)


def test_search_browses_gguf_and_onnx(hub: FakeHub, tmp_path: Path) -> None:
    found = _json(_slmdesk(hub, "search", "--gguf", "--json", home=tmp_path / "h"))
    assert [m["repo_id"] for m in found] == ["org/toy-GGUF", "org/gated-GGUF"]
    assert found[1]["gated"] is True
    onnx = _json(_slmdesk(hub, "hub", "search", "toy", "--onnx", "--sort", "likes", "--limit", "5", "--json",
                          home=tmp_path / "h"))
    assert [m["repo_id"] for m in onnx] == ["org/toy-onnx"]


def test_files_groups_quantizations(hub: FakeHub, tmp_path: Path) -> None:
    listing = _json(_slmdesk(hub, "hub", "files", "org/toy-GGUF", "--json", home=tmp_path / "h"))
    assert listing["commit"] == hub.repos["org/toy-GGUF"].sha and listing["gated"] is False
    assert [(i["kind"], i["label"], i["is_split"], len(i["files"])) for i in listing["items"]] == [
        ("gguf", "Q8_0", False, 1), ("gguf", "F16", True, 2), ("mmproj", "F16", False, 1)]
    toy = hub.repos["org/toy-GGUF"].files[0]
    assert listing["items"][0]["files"][0] == {"path": toy.path, "size_bytes": toy.size, "sha256": toy.sha256}
    text = _slmdesk(hub, "hub", "files", "org/toy-GGUF", home=tmp_path / "h")
    assert text.returncode == 0 and "Q8_0" in text.stdout and "(2 of 2 parts)" in text.stdout


def test_fit_reads_the_remote_header(hub: FakeHub, tmp_path: Path) -> None:
    result = _json(_slmdesk(hub, "hub", "fit", "org/toy-GGUF", "toy-F16-00002-of-00002.gguf", "--profile",
                            "laptop-8gb", "--ctx", "1024", "--json", home=tmp_path / "h"))
    assert result["model"] == "hf://org/toy-GGUF/toy-F16-00001-of-00002.gguf"
    assert result["n_ctx"] == 1024 and result["profile"]
    parts = [f for f in hub.repos["org/toy-GGUF"].files if "F16-0000" in f.path]
    assert result["file_bytes"] == sum(f.size for f in parts)
    assert all(r.headers.get("Range") for r in hub.asked("GET", "/resolve/"))


def test_gated_fit_needs_the_token_and_never_prints_it(hub: FakeHub, tmp_path: Path) -> None:
    denied = _slmdesk(hub, "hub", "fit", "org/gated-GGUF", "toy-Q8_0.gguf", "--profile", "laptop-8gb", "--json",
                      home=tmp_path / "h")
    error = _json(denied, status=1)
    assert error["error"].startswith("This model is gated: accept its licence at")
    wrong = _slmdesk(hub, "hub", "fit", "org/gated-GGUF", "toy-Q8_0.gguf", "--profile", "laptop-8gb", "--json",
                     home=tmp_path / "h", HF_TOKEN="hf_WrongOne")
    assert "no access to it yet" in _json(wrong, status=1)["error"]
    allowed = _slmdesk(hub, "hub", "fit", "org/gated-GGUF", "toy-Q8_0.gguf", "--profile", "laptop-8gb", "--json",
                       home=tmp_path / "h", HF_TOKEN=TOKEN)
    assert _json(allowed)["model"] == "hf://org/gated-GGUF/toy-Q8_0.gguf"
    for run in (denied, wrong, allowed):
        assert TOKEN not in run.stdout + run.stderr and "hf_WrongOne" not in run.stdout + run.stderr
    logs = list((tmp_path / "h").rglob("*.jsonl")) + list((tmp_path / "h").rglob("*.sqlite3"))
    assert all(TOKEN.encode() not in path.read_bytes() for path in logs)


@pytest.mark.parametrize("args", [["search", "--gguf"], ["hub", "files", "org/toy-GGUF"],
                                  ["hub", "fit", "org/toy-GGUF", "toy-Q8_0.gguf"]])
def test_offline_refuses_without_a_connection(hub: FakeHub, tmp_path: Path, args: list[str]) -> None:
    error = _json(_slmdesk(hub, *args, "--offline", "--json", home=tmp_path / "h"), status=1)
    assert error["error"].startswith("Offline mode is on (--offline or SLMDESK_OFFLINE=1). slmdesk does not connect")
    assert hub.requests == []
