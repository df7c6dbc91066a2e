"""ONNX builds of the SmolLM2 starter with :mod:`slmdesk.quantize.onnx_build`: the CLI's int4 build
from the GGUF chats through slmdesk's ONNX engine and joins the inventory; an fp32 build loads;
a cancelled build leaves nothing behind. Builds take 0.5-3 minutes each on 2 cores."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from slmdesk.__main__ import main
from slmdesk.core.errors import Cancelled
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams
from slmdesk.inventory.lineage import lineage_of
from slmdesk.inventory.repository import Inventory
from slmdesk.inventory.scanners import add_paths
from slmdesk.quantize import onnx_build

QUESTION = [{"role": "user", "content": "Which city is the capital of France?"}]


@pytest.fixture(scope="module")
def smollm2_hf(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter GGUF dequantized into a Hugging Face folder (``gguf_to_hf_folder_task``)."""
    if onnx_build.missing_modules((*onnx_build.BUILD_MODULES, *onnx_build.GGUF_MODULES)):
        pytest.skip("the onnx-build extra is not installed")
    out = tmp_path_factory.mktemp("hf") / "SmolLM2-135M-Instruct"
    events: list[Progress] = []
    folder = run_inline(onnx_build.gguf_to_hf_folder_task(smollm2_gguf, out), on_progress=events.append)
    assert folder == out and (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert any("Dequantizing GGUF tensors (272/272)" in e.message for e in events)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary folder left
    return out


def _ask(folder: Path) -> str:
    with EngineClient() as client:
        info = client.load(folder, LoadSettings(n_ctx=512, n_threads=1))
        assert info.backend == "onnxruntime-genai"
        done = list(client.generate(QUESTION, SamplingParams(temperature=0.0, max_tokens=24)))[-1]
    assert isinstance(done, Done)
    return done.text


def test_cli_builds_int4_from_the_gguf_and_it_chats(smollm2_gguf: Path, tmp_path: Path, inventory: Inventory,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    if onnx_build.missing_modules((*onnx_build.BUILD_MODULES, *onnx_build.GGUF_MODULES)):
        pytest.skip("the onnx-build extra is not installed")
    [source] = add_paths(inventory, [smollm2_gguf])
    out = tmp_path / "built" / "smollm2-int4"
    assert main(["onnx-build", str(source.id), "--precision", "int4", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(out) and data["precision"] == "int4" and data["source_artifact_id"] == source.id
    assert 60 * 2**20 < data["size_bytes"] < 120 * 2**20  # measured 86 MB
    assert data["seconds"] > 0 and data["builder_version"] == "0.18.0"
    assert [p.name for p in out.parent.iterdir()] == ["smollm2-int4"]  # the work folder is gone
    record = inventory.get_artifact(data["artifact_id"])
    assert record is not None and record.format == "onnx" and record.path == out
    assert record.source_kind == "onnx-build"
    assert record.source_detail["precision"] == "int4" and record.source_detail["source"] == str(smollm2_gguf)
    assert record.source_detail["source_format"] == "gguf" and record.source_detail["build_s"] > 0
    [link] = lineage_of(inventory, record.id)
    assert (link.kind, link.source_artifact_id, link.parameters["precision"]) == ("onnx-build", source.id, "int4")
    assert link.parameters["source_path"] == str(smollm2_gguf) and link.seconds == data["seconds"]
    assert "Paris" in _ask(out)


def test_fp32_build_from_the_hf_folder_chats(smollm2_hf: Path, tmp_path: Path) -> None:
    plan = onnx_build.prepare(smollm2_hf, "fp32", tmp_path / "fp32", models_dir=tmp_path / "models")
    folder = run_inline(onnx_build.build_task(plan))
    record = onnx_build.read_build_record(folder)
    assert record is not None and record.precision == "fp32" and record.source_format == "hf"
    assert record.size_bytes > 500 * 2**20  # measured 519 MB: 4 bytes per parameter
    assert "Paris" in _ask(folder)


def test_cancel_mid_build_leaves_no_folder(smollm2_hf: Path, tmp_path: Path) -> None:
    out = tmp_path / "builds" / "cancelled"
    plan = onnx_build.prepare(smollm2_hf, "int4", out, models_dir=tmp_path / "models")
    token = CancelToken()
    seen: list[str] = []

    def cancel_in_layers(event: Progress) -> None:
        seen.append(event.message)
        if event.message.startswith("Reading layer 10 "):
            token.cancel()

    with pytest.raises(Cancelled):
        run_inline(onnx_build.build_task(plan), token, on_progress=cancel_in_layers)
    assert seen[-1].startswith("Reading layer 1")  # the builder was stopped in the middle
    assert list(out.parent.iterdir()) == []  # neither the output nor the hidden work folder


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to one process is POSIX")
def test_cli_ctrl_c_stops_the_build_and_leaves_nothing(smollm2_hf: Path, tmp_path: Path) -> None:
    out = tmp_path / "builds" / "interrupted"
    process = subprocess.Popen([sys.executable, "-m", "slmdesk", "onnx-build", str(smollm2_hf), "--out", str(out),
                                "--no-inventory"], stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "Reading layer" in line:
            process.send_signal(signal.SIGINT)
            break
    rest = process.communicate(timeout=60)[1]
    assert process.returncode == 130, "".join(lines) + rest
    assert rest.strip().endswith("slmdesk: interrupted")
    assert list(out.parent.iterdir()) == []  # neither the output nor the hidden work folder


def test_gguf_architectures_are_ones_transformers_can_load() -> None:
    ggml = pytest.importorskip("transformers.integrations.ggml")
    assert set(onnx_build.GGUF_ARCHITECTURES) <= set(ggml.GGUF_CONFIG_MAPPING)
