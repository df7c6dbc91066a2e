"""ONNX builds: ``prepare``'s checks on synthetic sources, the builder's argv, progress parsing,
and the child runner's cancel (a plain Python child, no model)."""

from __future__ import annotations

import json
import struct
import sys
import time
from pathlib import Path

import pytest

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.quantize import onnx_build
from slmdesk.quantize.onnx_build import builder_progress, convert_progress, prepare, run_child
from tests.gguf_factory import write_gguf

BIG_DISK = lambda _path: 10**12  # noqa: E731  # a disk with room for anything


def _hf_folder(root: Path, architecture: str = "LlamaForCausalLM", model_type: str = "llama") -> Path:
    """A Hugging Face folder: config.json and a safetensors file of zero-filled tensors."""
    root.mkdir(parents=True)
    config = {"architectures": [architecture], "model_type": model_type, "num_hidden_layers": 2,
              "hidden_size": 64, "num_attention_heads": 4, "vocab_size": 32}
    (root / "config.json").write_text(json.dumps(config))
    tensors = {"model.embed_tokens.weight": [32, 64], "model.layers.0.mlp.up_proj.weight": [128, 64]}
    header: dict[str, object] = {}
    offset = 0
    for name, shape in tensors.items():
        size = shape[0] * shape[1] * 4
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    (root / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(offset))
    return root


def _plan(source: Path, tmp_path: Path, **kwargs: object) -> onnx_build.OnnxBuildPlan:
    options: dict[str, object] = {"models_dir": tmp_path / "models", "available_providers": ("cpu",),
                                  "free_bytes": BIG_DISK}
    options.update(kwargs)
    return prepare(source, **options)  # type: ignore[arg-type]


def test_a_plan_for_a_hugging_face_folder(tmp_path: Path) -> None:
    source = _hf_folder(tmp_path / "SmolToy")
    plan = _plan(source, tmp_path, precision="int4")
    assert (plan.source_format, plan.architecture, plan.precision) == ("hf", "LlamaForCausalLM", "int4")
    assert plan.output == tmp_path / "models" / "onnx" / "SmolToy-int4-cpu"
    assert plan.n_params == 32 * 64 + 128 * 64
    args = plan.builder_args(source, tmp_path / "out", tmp_path / "cache")
    assert args[:10] == ["-i", str(source), "-o", str(tmp_path / "out"), "-p", "int4", "-e", "cpu",
                         "-c", str(tmp_path / "cache")]
    assert args[10:] == ["--extra_options", "hf_token=false"]


def test_a_plan_for_a_gguf_counts_the_dequantized_folder(tmp_path: Path) -> None:
    [source] = write_gguf(tmp_path / "Toy.Q8.gguf", arch="qwen2")
    plan = _plan(source, tmp_path, precision="fp32")
    assert (plan.source_format, plan.architecture) == ("gguf", "qwen2")
    assert plan.output.name == "Toy.Q8-fp32-cpu"
    assert plan.estimated_bytes == plan.n_params * 4 + plan.n_params * 4  # fp32 output + fp32 HF folder


def test_the_missing_extra_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _hf_folder(tmp_path / "m")
    monkeypatch.setattr(onnx_build, "missing_modules",
                        lambda names=onnx_build.BUILD_MODULES: [n for n in names if n in ("torch", "onnx_ir")])
    with pytest.raises(UserError) as error:
        _plan(source, tmp_path)
    assert "missing: torch, onnx_ir" in error.value.message
    assert 'pip install "slmdesk[onnx-build]"' in error.value.hint and "GB" in error.value.hint


def test_a_gguf_source_also_needs_gguf_py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [source] = write_gguf(tmp_path / "Toy.gguf")
    monkeypatch.setattr(onnx_build, "missing_modules",
                        lambda names=onnx_build.BUILD_MODULES: [n for n in names if n == "gguf"])
    with pytest.raises(UserError, match=r"missing: gguf\)"):
        _plan(source, tmp_path)
    _plan(_hf_folder(tmp_path / "hf"), tmp_path)  # an HF folder does not need it


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "nothing-here", "does not exist"),
        (lambda root: (root / "notes.txt").write_text("hi") and root / "notes.txt", "neither a GGUF file"),
        (lambda root: (root / "empty").mkdir() or root / "empty", "not a Hugging Face model folder"),
        (lambda root: _hf_folder(root / "bert", "BertForMaskedLM", "bert"), "BertForMaskedLM model"),
        (lambda root: write_gguf(root / "Toy.gguf", arch="mamba")[0], "mamba model"),
        (lambda root: write_gguf(root / "Toy.gguf", split=2)[0], "split GGUF"),
    ],
    ids=["missing", "text-file", "empty-folder", "bert", "gguf-mamba", "split-gguf"],
)
def test_bad_sources_are_refused(tmp_path: Path, make: object, message: str) -> None:
    source = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(UserError, match=message):
        _plan(source, tmp_path)


def test_output_inside_the_source_is_refused(tmp_path: Path) -> None:
    source = _hf_folder(tmp_path / "m")
    with pytest.raises(UserError, match="inside the source folder"):
        _plan(source, tmp_path, output=source / "onnx")
    with pytest.raises(UserError, match="inside the source folder"):
        _plan(source, tmp_path, output=source)


def test_output_holding_the_gguf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    [source] = write_gguf(tmp_path / "models" / "Toy.gguf")
    with pytest.raises(UserError, match="holds the source"):
        _plan(source, tmp_path, output=tmp_path / "models")
    with pytest.raises(UserError, match="holds the source"):
        _plan(source, tmp_path, output=tmp_path)


def test_an_existing_output_needs_overwrite(tmp_path: Path) -> None:
    source = _hf_folder(tmp_path / "m")
    (tmp_path / "out").mkdir()
    with pytest.raises(UserError, match="already exists"):
        _plan(source, tmp_path, output=tmp_path / "out")
    assert _plan(source, tmp_path, output=tmp_path / "out", overwrite=True).overwrite


def test_a_full_disk_is_refused_before_anything_runs(tmp_path: Path) -> None:
    [source] = write_gguf(tmp_path / "Toy.gguf", n_embd=256, n_ff=1024)
    plan = _plan(source, tmp_path)
    with pytest.raises(UserError, match=r"needs about .* free .* which has 1\.0 MiB|needs about"):
        _plan(source, tmp_path, free_bytes=lambda _p: 2**20)
    assert plan.estimated_bytes > 0


@pytest.mark.parametrize(
    ("precision", "provider", "providers", "message"),
    [
        ("int8", "cpu", ("cpu",), "Unknown precision"),
        ("fp16", "cpu", ("cpu",), "does not make fp16 models for cpu"),
        ("int4", "cuda", ("cpu",), "no CUDAExecutionProvider"),
        ("int4", "webgpu", ("cpu",), "Unknown execution provider"),
    ],
)
def test_targets_the_builder_or_this_install_cannot_make(tmp_path: Path, precision: str, provider: str,
                                                         providers: tuple[str, ...], message: str) -> None:
    with pytest.raises(UserError, match=message):
        _plan(_hf_folder(tmp_path / "m"), tmp_path, precision=precision, execution_provider=provider,
              available_providers=providers)


def test_fp16_for_cuda_where_cuda_is_present(tmp_path: Path) -> None:
    plan = _plan(_hf_folder(tmp_path / "m"), tmp_path, precision="fp16", execution_provider="cuda",
                 available_providers=("cpu", "cuda"))
    assert plan.output.name == "m-fp16-cuda"


def test_default_output_names_a_hub_cache_model_not_its_revision(tmp_path: Path) -> None:
    snapshot = _hf_folder(tmp_path / "models--HuggingFaceTB--SmolLM2-135M" / "snapshots" / "abc123")
    out = onnx_build.default_output(snapshot, "int4", "cpu", tmp_path / "models")
    assert out == tmp_path / "models" / "onnx" / "HuggingFaceTB-SmolLM2-135M-int4-cpu"


def test_builder_progress_follows_layers_then_saving() -> None:
    parse = builder_progress(30)
    lines = ["Loading weights: 100%", "Reading embedding layer", "Reading layer 0", "Reading layer 29",
             "Reading LM head", "Saving ONNX model in /x",
             "Saving lm_head.MatMul.weight_Q4 (u8): 50%| | 182/365 [00:01",
             "Saving GenAI config in /x", "Saving processing files in /x for GenAI", "GroupQueryAttention is used"]
    events = [parse(line) for line in lines]
    assert events[-1] is None
    fractions = [e.fraction for e in events[:-1] if e is not None and e.fraction is not None]
    assert len(fractions) == len(lines) - 1
    assert fractions == sorted(fractions) and fractions[0] == 0.05 and fractions[-1] == 0.96
    layer = events[3]
    assert layer is not None and layer.message == "Reading layer 30 of 30" and layer.fraction == pytest.approx(0.6)


def test_convert_progress_reads_transformers_bars() -> None:
    event = convert_progress("Converting and de-quantizing GGUF tensors...:  50%|#  | 136/272 [00:01<00:01]")
    assert event is not None and event.fraction == pytest.approx(0.45) and "136/272" in event.message
    assert convert_progress("something else") is None


def test_run_child_reports_progress_and_failure(tmp_path: Path) -> None:
    script = "import sys; print('Reading layer 0', flush=True); print('boom', file=sys.stderr); sys.exit(3)"
    events: list[Progress] = []

    def task(token: CancelToken):  # type: ignore[no-untyped-def]
        return (yield from run_child([sys.executable, "-c", script], token, builder_progress(2), env={},
                                     cwd=tmp_path, start=0.5, span=0.5, what="the toy step"))

    with pytest.raises(UserError, match=r"The toy step failed \(exit code 3\):\nReading layer 0\nboom"):
        run_inline(task, on_progress=events.append)
    assert [(e.fraction, e.message) for e in events] == [(0.5 + 0.5 * 0.35, "Reading layer 1 of 2")]


def test_run_child_cancel_stops_the_child_at_once(tmp_path: Path) -> None:
    marker = tmp_path / "still-running"
    script = (f"import time, pathlib; print('Reading layer 0', flush=True); time.sleep(30); "
              f"pathlib.Path({str(marker)!r}).touch()")
    token = CancelToken()

    def cancel_on_first(_event: Progress) -> None:
        token.cancel()

    def task(t: CancelToken):  # type: ignore[no-untyped-def]
        return (yield from run_child([sys.executable, "-c", script], t, builder_progress(1), env={}, cwd=tmp_path))

    started = time.monotonic()
    with pytest.raises(Cancelled):
        run_inline(task, token, on_progress=cancel_on_first)
    assert time.monotonic() - started < 10
    assert not marker.exists()


def test_read_build_record_round_trip(tmp_path: Path) -> None:
    record = onnx_build.BuildRecord(source="/m.gguf", source_format="gguf", precision="int4", execution_provider="cpu",
                                    builder_version="0.18.0", extra_options=("a=b",), convert_s=1.0, build_s=2.0,
                                    verify_s=0.5, seconds=3.5, size_bytes=10, source_artifact_id=7)
    (tmp_path / onnx_build.MARKER).write_text(json.dumps(record.to_json_dict()))
    assert onnx_build.read_build_record(tmp_path) == record
    (tmp_path / onnx_build.MARKER).write_text("{not json")
    assert onnx_build.read_build_record(tmp_path) is None


def test_child_env_is_offline_and_quiet(tmp_path: Path) -> None:
    env = onnx_build.child_env(tmp_path)
    assert (env["HF_HUB_OFFLINE"], env["ORT_DISABLE_TELEMETRY"], env["HF_HUB_DISABLE_TELEMETRY"]) == ("1", "1", "1")
    assert env["HF_HOME"] == str(tmp_path / "hf-home")


def test_cli_without_the_extra_fails_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from slmdesk.__main__ import main

    source = _hf_folder(tmp_path / "m")
    monkeypatch.setattr(onnx_build, "missing_modules", lambda names=onnx_build.BUILD_MODULES: ["torch"])
    assert main(["onnx-build", str(source), "--json"]) == 1
    captured = capsys.readouterr()
    error = json.loads(captured.out)
    assert error["error"].startswith("Building ONNX models needs the onnx-build extra")
    assert error["hint"].startswith('Install it with: pip install "slmdesk[onnx-build]"')
    assert captured.err.splitlines()[0].startswith("slmdesk: error: Building ONNX models needs")
    assert not (tmp_path / "slmdesk-home" / "data" / "models" / "onnx").exists()


def test_cli_refuses_an_unknown_inventory_id(capsys: pytest.CaptureFixture[str]) -> None:
    from slmdesk.__main__ import main

    assert main(["onnx-build", "424242"]) == 1
    assert "There is no model with id 424242" in capsys.readouterr().err
