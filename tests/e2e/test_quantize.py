"""GGUF quantization of the real SmolLM2 F16 (``smollm2_f16_gguf``) through the child process:
outputs that read, load and answer, lineage, cancel, a killed child, refusals, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams
from slmdesk.formats.gguf import read_gguf, read_header
from slmdesk.inventory.lineage import derived_from, lineage_of
from slmdesk.inventory.repository import Inventory
from slmdesk.quantize.gguf_quantize import prepare, quantize_task

QUESTION = [{"role": "user", "content": "Name the capital city of France."}]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    """An empty folder for outputs (tmp_path also holds the test's SLMDESK_HOME)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("type_name", ["Q8_0", "Q4_K_M"])
def test_quantized_output_reads_loads_answers_and_has_lineage(
    smollm2_f16_gguf: Path, inventory: Inventory, out_dir: Path, type_name: str
) -> None:
    plan = prepare(smollm2_f16_gguf, type_name, out_dir / f"smollm2-{type_name}.gguf")
    events: list[Progress] = []
    result = run_inline(quantize_task(plan, inventory), on_progress=events.append)

    assert result.path == plan.out and _leftovers(out_dir) == [plan.out.name]
    assert read_gguf(result.path).quantization == type_name
    assert result.size_bytes == plan.predicted_bytes == plan.out.stat().st_size
    tensors = [e for e in events if e.message.startswith("[")]
    assert len(tensors) == len(read_header(smollm2_f16_gguf).tensors) == 272
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    record = inventory.get_artifact(result.artifact_id or -1)
    assert record is not None and record.quantization == type_name and record.sha256 == result.sha256
    assert record.source_kind == "quantize"
    [lineage] = lineage_of(inventory, record.id)
    assert lineage.kind == "quantize" and lineage.source_artifact_id == result.source_artifact_id
    assert lineage.parameters["type"] == type_name and lineage.parameters["source_type"] == "F16"
    assert lineage.parameters["tools"] == {"llama_cpp_python": "0.3.36", "llama_cpp": "0c1e57098"}
    assert lineage.seconds == pytest.approx(result.seconds, abs=0.01)
    assert [d.artifact_id for d in derived_from(inventory, lineage.source_artifact_id or -1)] == [record.id]

    client = EngineClient()
    try:
        client.load(result.path, LoadSettings(n_ctx=512, n_threads=1))
        done = list(client.generate(QUESTION, SamplingParams(temperature=0.0, max_tokens=24)))[-1]
    finally:
        client.close()
    assert isinstance(done, Done) and "Paris" in done.text


def test_cancel_mid_run_leaves_no_file(smollm2_f16_gguf: Path, out_dir: Path) -> None:
    plan = prepare(smollm2_f16_gguf, "Q4_K_M", out_dir / "cancelled.gguf")
    token = CancelToken()
    seen: list[str] = []

    def on_progress(event: Progress) -> None:
        seen.append(event.message)
        if event.message.startswith("[10/"):
            token.cancel()

    with pytest.raises(Cancelled):
        run_inline(quantize_task(plan), token, on_progress)
    assert any(m.startswith("[10/272]") for m in seen)
    assert _leftovers(out_dir) == []
    assert not [p for p in psutil.Process().children(recursive=True) if "quantize-child" in " ".join(p.cmdline())]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the child through psutil by name")
def test_a_killed_child_is_reported_and_leaves_no_file(smollm2_f16_gguf: Path, out_dir: Path) -> None:
    plan = prepare(smollm2_f16_gguf, "Q4_K_M", out_dir / "killed.gguf")

    def kill_child(event: Progress) -> None:
        if event.message.startswith("[5/"):
            for child in psutil.Process().children(recursive=True):
                if "quantize-child" in " ".join(child.cmdline()):
                    child.send_signal(signal.SIGKILL)

    with pytest.raises(UserError) as error:
        run_inline(quantize_task(plan), on_progress=kill_child)
    assert error.value.message.startswith("The quantizer stopped: signal 9 (SIGKILL: killed")
    assert error.value.hint.startswith("Nothing was written.")
    assert _leftovers(out_dir) == []


def test_refusals_come_before_anything_runs(smollm2_f16_gguf: Path, out_dir: Path) -> None:
    with pytest.raises(UserError, match="would replace the source"):
        prepare(smollm2_f16_gguf, "Q8_0", smollm2_f16_gguf)
    with pytest.raises(UserError, match="IQ2_XS needs an importance matrix"):
        prepare(smollm2_f16_gguf, "IQ2_XS", out_dir / "iq2.gguf")
    assert _leftovers(out_dir) == []


def test_an_imatrix_type_with_an_importance_matrix(smollm2_f16_gguf: Path, tmp_path: Path) -> None:
    imatrix_module = pytest.importorskip("slmdesk.quantize.imatrix")
    header = read_header(smollm2_f16_gguf)
    weights = [t for t in header.tensors if len(t.shape) == 2 and t.name != "token_embd.weight"]
    stats = imatrix_module.ImatrixStats(
        sums={t.name: np.ones((1, t.shape[0]), dtype=np.float32) for t in weights},
        counts={t.name: np.ones(1, dtype=np.float32) for t in weights},
        datasets=["uniform"], chunk_count=1, chunk_size=512,
    )
    matrix = tmp_path / "uniform.imatrix.gguf"
    imatrix_module.write_imatrix_gguf(stats, matrix)
    plan = prepare(smollm2_f16_gguf, "IQ2_XS", tmp_path / "smollm2-IQ2_XS.gguf", imatrix=matrix)
    result = run_inline(quantize_task(plan))
    assert read_gguf(result.path).quantization == "IQ2_XS"
    assert result.size_bytes == plan.predicted_bytes


def _slmdesk(home: Path, *args: str) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("slmdesk")
    env = dict(os.environ, SLMDESK_HOME=str(home))
    return subprocess.Popen([str(exe), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_cli_json_then_refusal_without_traceback(smollm2_f16_gguf: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli-Q8_0.gguf"
    process = _slmdesk(tmp_path / "home", "quantize", str(smollm2_f16_gguf), "--type", "q8_0", "--out", str(out),
                       "--json")
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    data = json.loads(stdout)
    assert (data["path"], data["type"], data["size_bytes"]) == (str(out), "Q8_0", out.stat().st_size)
    assert isinstance(data["artifact_id"], int) and data["seconds"] > 0

    again = _slmdesk(tmp_path / "home", "quantize", str(smollm2_f16_gguf), "--type", "Q8_0", "--out", str(out))
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 1 and stdout == ""
    assert stderr.splitlines()[0] == f"slmdesk: error: {out} already exists."
    assert "Traceback" not in stderr


def test_cli_ctrl_c_cancels_cleanly(smollm2_f16_gguf: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    process = _slmdesk(tmp_path / "home", "quantize", str(smollm2_f16_gguf), "--type", "Q4_K_M", "--out",
                       str(out_dir / "ctrl-c.gguf"))
    assert process.stderr is not None
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if line.startswith("Quantizing"):
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert started.wait(120), "".join(lines)
    time.sleep(0.5)  # the child is running by now
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130
    reader.join(10)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    assert "slmdesk: interrupted" in "".join(lines) and "Traceback" not in "".join(lines)
    assert _leftovers(out_dir) == []
