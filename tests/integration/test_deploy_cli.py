"""``slmdesk export-deploy`` on the real SmolLM2 starter: every target written, every file checked
against its format's validator (Modelfile grammar, Compose specification, Kubernetes schemas)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from slmdesk.cli import run_headless
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.tasks import run_inline
from slmdesk.inventory import scanners
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.repository import Inventory
from tests.unit.deploy.validators import compose_errors, kubernetes_errors, parse_modelfile

REPO = "HuggingFaceTB/SmolLM2-135M-Instruct"
SECRET = re.compile(r"\b(sk-[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{30,}|[0-9a-f]{64})\b")
"""What a real key looks like (OpenAI-style, Hugging Face tokens, `openssl rand -hex 32`)."""


def _check_folder(folder: Path) -> dict[str, str]:
    texts = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
             for p in sorted(folder.rglob("*")) if p.is_file()}
    for name, text in texts.items():
        if name.endswith((".yaml", ".yml")):
            document = yaml.safe_load(text)
            if name.startswith("k8s/"):
                assert kubernetes_errors(document) == [], name
            if name.endswith("compose.yaml"):
                assert compose_errors(document) == [], name
        elif name.endswith(".json"):
            json.loads(text)
        elif name.endswith("Modelfile"):
            parse_modelfile(text)
        assert not SECRET.search(text), name
    return texts


def test_every_target_for_the_starter_model(smollm2_gguf: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    code, _ = run_headless(["export-deploy", str(smollm2_gguf), "--target", "all", "--out", str(out),
                            "--hosts", "head=1,worker1=1", "--hf-repo", REPO, "--system", "Be brief.", "--json"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    assert report["folder"] == str(out)
    assert report["targets"] == ["ollama", "llama-server", "vllm-compose", "k8s"]
    texts = _check_folder(out)
    assert sorted(texts) == sorted(report["files"])
    modelfile = parse_modelfile(texts["ollama/Modelfile"])
    assert modelfile.first("FROM") == str(smollm2_gguf)
    assert modelfile.parameters["stop"] == ["<|im_end|>"]
    assert "--tensor-split" in texts["llama-server/run.sh"]
    assert f"- Model: `{smollm2_gguf}`" in texts["README.md"]


def test_an_inventory_id_uses_its_saved_plan_and_a_second_run_refuses(
        smollm2_gguf: Path, tmp_path: Path, inventory: Inventory, capsys: pytest.CaptureFixture[str]) -> None:
    run_inline(scanners.scan_task(inventory, [smollm2_gguf], mark_missing=False))
    record = inventory.find_by_path(smollm2_gguf)
    assert record is not None
    LoadPlanStore(inventory).save(record.id, LoadPlan(n_ctx=2048, kv_type="q8_0", n_gpu_layers=0, n_threads=2))
    out = tmp_path / "deploy"
    code, _ = run_headless(["export-deploy", str(record.id), "--target", "ollama", "--target", "llama-server",
                            "--out", str(out), "--port", "9090"])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert str(out) in printed and "ollama/Modelfile" in printed
    modelfile = parse_modelfile((out / "ollama" / "Modelfile").read_text(encoding="utf-8"))
    assert modelfile.parameters["num_ctx"] == [2048]
    assert modelfile.parameters["num_thread"] == [2]
    run = (out / "llama-server" / "run.sh").read_text(encoding="utf-8")
    assert "-c 2048" in run and "-ctk q8_0" in run and "--port 9090" in run
    code, _ = run_headless(["export-deploy", str(record.id), "--target", "ollama", "--out", str(out)])
    assert code == 1
    assert "is not empty" in capsys.readouterr().err
    code, _ = run_headless(["export-deploy", str(record.id), "--target", "ollama", "--out", str(out), "--force"])
    assert code == 0


def test_a_model_that_fits_no_host_set_is_refused(smollm2_gguf: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "deploy"
    code, _ = run_headless(["export-deploy", str(smollm2_gguf), "--target", "llama-server", "--out", str(out),
                            "--hosts", "a=256MiB,b=256MiB"])
    assert code == 1
    assert "does not fit these 2 machines" in capsys.readouterr().err
    assert not out.exists()
