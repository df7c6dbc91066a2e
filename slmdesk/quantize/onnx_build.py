"""ONNX Runtime GenAI builds: a Hugging Face folder or a GGUF file -> an ONNX GenAI folder,
each step in a child process with progress and cancel.

Steps (field-notes section 3.2):

1. GGUF sources only: GGUF -> Hugging Face folder. transformers' GGUF loading dequantizes the
   weights (``AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)``), then
   ``save_pretrained``. transformers 5 marks a GGUF-loaded model as "quantized with gguf, not
   serializable" even though every weight is dense; the quantizer is detached first.
2. Hugging Face folder -> ONNX GenAI folder: onnxruntime-genai's model builder
   (``onnxruntime_genai.models.builder -i HF -o OUT -p PRECISION -e EP``), offline.
3. Verify: :func:`slmdesk.formats.onnx_genai.read_onnx_folder` reads the folder, then a child
   opens it with ``onnxruntime_genai.Model`` and generates one token.

Everything is written under a hidden temporary folder beside the target and renamed into
place only after step 3; cancel (terminate, then kill) or a failure removes it. The children
are ``slmdesk onnx-build-child SPEC`` (:func:`child_command`), so the frozen app starts them
from its own executable like the engine. They run with ``HF_HUB_OFFLINE=1``, telemetry off
(:data:`slmdesk.core.offline.TELEMETRY_OFF`) and ``HF_HOME`` inside the temporary folder, so a
build neither connects nor writes outside it.

int4 method: the builder's default round-to-nearest (RTN, block size 32, symmetric, int8
activations on CPU: ``accuracy_level=4``); the alternatives 0.18.0 offers were measured and
lost (:data:`INT4_EXTRA_OPTIONS`, docs/onnx-olive.md).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from slmdesk.core.errors import UserError
from slmdesk.core.offline import TELEMETRY_OFF
from slmdesk.core.process import self_command
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.core.units import format_bytes

if TYPE_CHECKING:
    from slmdesk.inventory.records import ArtifactRecord, SourceKind
    from slmdesk.inventory.repository import Inventory

Precision = Literal["int4", "fp16", "fp32"]
PRECISIONS: tuple[Precision, ...] = ("int4", "fp16", "fp32")

ExecutionProvider = Literal["cpu", "cuda", "dml"]
EXECUTION_PROVIDERS: dict[str, str] = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "dml": "DmlExecutionProvider",
}
"""The builder's ``-e`` values slmdesk offers -> the ONNX Runtime provider that must be present
(``onnxruntime.get_available_providers()``) to run the result. webgpu and NvTensorRtRtx are
left out: no slmdesk engine loads them yet."""

VALID_TARGETS = frozenset({
    ("int4", "cpu"), ("fp32", "cpu"), ("int4", "cuda"), ("fp16", "cuda"), ("fp32", "cuda"),
    ("int4", "dml"), ("fp16", "dml"),
})
"""Precision x provider pairs the builder supports (its ``get_args`` banner in 0.18.0:
"FP32 CPU, FP32 CUDA, FP16 CUDA, FP16 DML, INT4 CPU, INT4 CUDA, INT4 DML, ..."). fp16 is not a
CPU target: ONNX Runtime's CPU provider lacks fp16 kernels for most of the graph."""

INT4_EXTRA_OPTIONS: tuple[str, ...] = ()
"""``--extra_options`` for int4: none, i.e. the builder's RTN defaults. Measured on SmolLM2-135M
(from its Q4_1 GGUF; perplexity on 109 tokens of encyclopedic text, fp32 build 9.59):
RTN 12.95 in 24 s; ``algo_config=k_quant`` 14.09 in 60 s; ``k_quant`` with
``matmul_mixed_precision=last_matmul:int8`` 13.45 in 53 s (+16% size); ``is_symmetric=false``
wrote a graph that does not load (uint8 embedding ``Reshape`` with tied embeddings); an Olive
GPTQ build scored 15.57 after 20 min. A source that was itself 4-bit quantized favours RTN at
block 32; calibrated int4 (GPTQ/AWQ through Olive) may still win on an f16 source
(docs/onnx-olive.md)."""

BUILD_MODULES = ("torch", "transformers", "accelerate", "onnx", "onnx_ir")
"""What the builder imports that the base install lacks: the ``onnx-build`` extra."""

GGUF_MODULES = ("gguf",)
"""What transformers' GGUF loading needs in addition (gguf-py)."""

INSTALL_COMMAND = 'pip install "slmdesk[onnx-build]"'
EXTRA_DISK_NOTE = "about 1.1 GB with the CPU build of torch (torch alone is 750 MB; its CUDA build is several GB)"
"""Measured in this repository's .venv: torch 754 MB, transformers 129 MB, onnx 31 MB,
accelerate 4 MB, onnx_ir 2 MB, plus torch's own dependencies (sympy, networkx)."""

HF_ARCHITECTURES = frozenset({
    "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
    "GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM", "Phi3ForCausalLM",
    "PhiForCausalLM", "SmolLM3ForCausalLM", "GraniteForCausalLM", "OlmoForCausalLM",
})
"""``config.json`` ``architectures[0]`` values the builder converts (its ``create_model``
dispatch in 0.18.0) that are text-only decoders slmdesk's ONNX engine runs."""

GGUF_ARCHITECTURES = frozenset({"llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"})
"""GGUF ``general.architecture`` values transformers can load (``GGUF_CONFIG_MAPPING`` in
transformers 5.24) whose Hugging Face class is in :data:`HF_ARCHITECTURES`."""

MARKER = "slmdesk-build.json"
"""The build record written into every built folder (:class:`BuildRecord`)."""

SOURCE_KIND = "onnx-build"
"""The inventory ``source_kind`` of a built folder, and its lineage kind (:func:`register_build`)."""

_DISK_MARGIN_BYTES = 256 * 2**20
_BYTES_PER_PARAM: dict[str, float] = {"int4": 0.75, "fp16": 2.0, "fp32": 4.0}
"""Output size per parameter, with headroom: int4 MatMulNBits is 0.5 B + an fp32 scale per 32
weights (0.625 B); SmolLM2-135M int4 measured 86 MB = 0.64 B/param."""


@dataclass(frozen=True)
class OnnxBuildPlan:
    """A validated ONNX build (:func:`prepare`); run it with :func:`build_task`.

    Attributes:
        source: the GGUF file or Hugging Face folder, absolute.
        source_format: "gguf" or "hf".
        architecture: GGUF ``general.architecture`` or ``config.json`` ``architectures[0]``.
        n_params: parameters of the source (from its header), for the size estimate.
        precision: "int4", "fp16" or "fp32".
        execution_provider: the builder's ``-e``: "cpu", "cuda" or "dml".
        output: the folder the build ends in, absolute.
        overwrite: replace ``output`` if it exists (only once the new one verified).
        extra_options: the builder's ``--extra_options`` (``key=value``).
        estimated_bytes: disk needed during the build (output, plus the dequantized fp32
            Hugging Face folder for a GGUF source), bytes.
        source_artifact_id: the inventory artifact built from, when known (lineage).
    """

    source: Path
    source_format: Literal["gguf", "hf"]
    architecture: str
    n_params: int
    precision: Precision
    execution_provider: ExecutionProvider
    output: Path
    overwrite: bool = False
    extra_options: tuple[str, ...] = ()
    estimated_bytes: int = 0
    source_artifact_id: int | None = None

    def builder_args(self, hf_folder: Path, output: Path, cache: Path) -> list[str]:
        """The builder's command-line arguments (without the program) for this plan."""
        args = ["-i", str(hf_folder), "-o", str(output), "-p", self.precision,
                "-e", self.execution_provider, "-c", str(cache)]
        # hf_token=false: never read or send a stored Hub token, even to a local folder's lookups.
        return [*args, "--extra_options", "hf_token=false", *self.extra_options]


@dataclass(frozen=True)
class BuildRecord:
    """What :data:`MARKER` in a built folder holds.

    Attributes:
        source: the GGUF file or Hugging Face folder built from.
        source_format: "gguf" or "hf".
        precision: "int4", "fp16" or "fp32".
        execution_provider: "cpu", "cuda" or "dml".
        builder_version: the onnxruntime-genai version whose builder ran.
        extra_options: the builder's ``--extra_options``.
        convert_s: seconds of the GGUF -> Hugging Face step (0.0 for an HF source).
        build_s: seconds of the builder.
        verify_s: seconds of the load check.
        seconds: the whole build, seconds.
        size_bytes: the built folder's size, bytes.
        source_artifact_id: the inventory artifact built from, when known.
    """

    source: str
    source_format: str
    precision: str
    execution_provider: str
    builder_version: str
    extra_options: tuple[str, ...]
    convert_s: float
    build_s: float
    verify_s: float
    seconds: float
    size_bytes: int
    source_artifact_id: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists)."""
        data = asdict(self)
        data["extra_options"] = list(self.extra_options)
        return data


# -- checks ----------------------------------------------------------------------------------


def missing_modules(names: Sequence[str] = BUILD_MODULES) -> list[str]:
    """The modules of ``names`` that are not importable here (nothing is imported)."""
    return [name for name in names if importlib.util.find_spec(name) is None]


def available_execution_providers() -> tuple[str, ...]:
    """The builder targets (:data:`EXECUTION_PROVIDERS` keys) whose ONNX Runtime provider is
    present in this install; "cpu" always. Imports onnxruntime (a base dependency)."""
    try:
        import onnxruntime

        present = set(onnxruntime.get_available_providers())
    except (ImportError, OSError):
        present = set()
    return tuple(ep for ep, name in EXECUTION_PROVIDERS.items() if ep == "cpu" or name in present)


def builder_version() -> str:
    """The installed onnxruntime-genai version ("0.18.0"), or "unknown"."""
    try:
        return metadata.version("onnxruntime-genai")
    except metadata.PackageNotFoundError:
        return "unknown"


def default_output(source: Path, precision: str, execution_provider: str, models_dir: Path) -> Path:
    """``models_dir/onnx/<source stem>-<precision>-<ep>``: slmdesk's own models folder, never
    beside the source (which may sit in the Hugging Face cache or another tool's store)."""
    stem = source.name[: -len(".gguf")] if source.name.lower().endswith(".gguf") else source.name
    if source.is_dir() and source.parent.name == "snapshots":
        # HF cache: models--org--name/snapshots/<rev>/ -> name the model, not the revision.
        stem = source.parent.parent.name.removeprefix("models--").replace("--", "-")
    return models_dir / "onnx" / f"{stem}-{precision}-{execution_provider}"


def _free_bytes(path: Path) -> int | None:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def _is_within(child: Path, parent: Path) -> bool:
    return child == parent or child.is_relative_to(parent)


def _source_facts(source: Path) -> tuple[Literal["gguf", "hf"], str, int]:
    """``(format, architecture, n_params)`` of a build source, from its header only."""
    from slmdesk.formats import gguf as gguf_format
    from slmdesk.formats import hf_folder

    if source.is_dir():
        if not hf_folder.is_hf_folder(source):
            raise UserError(
                f"{source} is not a Hugging Face model folder (config.json and .safetensors files).",
                "Choose a Hugging Face folder or a GGUF file to build from.",
            )
        spec = hf_folder.read_hf_folder(source)
        arch_class = dict(spec.metadata).get("architectures")
        if arch_class not in HF_ARCHITECTURES:
            raise UserError(
                f"{source.name} is a {arch_class or spec.architecture} model; the ONNX builder here "
                "converts " + ", ".join(sorted(HF_ARCHITECTURES)) + ".",
                "Choose a model of one of these architectures.",
            )
        return "hf", str(arch_class), spec.n_params or 0
    if source.suffix.lower() != ".gguf":
        raise UserError(f"{source} is neither a GGUF file nor a Hugging Face folder.",
                        "Choose a Hugging Face folder or a GGUF file to build from.")
    spec = gguf_format.read_gguf(source)
    if len(spec.files) > 1 or re.search(r"-\d{5}-of-\d{5}\.gguf$", source.name, re.I):
        raise UserError(f"{source.name} is part of a split GGUF set, which transformers cannot read.",
                        "Merge it first (llama-gguf-split --merge), or build from the Hugging Face folder.")
    if spec.architecture not in GGUF_ARCHITECTURES:
        raise UserError(
            f"{source.name} is a {spec.architecture} model; building ONNX from GGUF supports "
            + ", ".join(sorted(GGUF_ARCHITECTURES)) + ".",
            "Build from the model's Hugging Face folder instead.",
        )
    return "gguf", spec.architecture, spec.n_params or 0


def prepare(
    source: Path,
    precision: str = "int4",
    output: Path | None = None,
    *,
    models_dir: Path,
    execution_provider: str = "cpu",
    overwrite: bool = False,
    source_artifact_id: int | None = None,
    available_providers: Sequence[str] | None = None,
    free_bytes: Callable[[Path], int | None] = _free_bytes,
) -> OnnxBuildPlan:
    """Validate an ONNX build and return its plan; reads headers only, starts nothing.

    Args:
        source: a GGUF file (f32/f16 or quantized: it is dequantized) or a Hugging Face folder.
        precision: "int4", "fp16" or "fp32".
        output: the folder to build; default :func:`default_output` under ``models_dir``.
        models_dir: slmdesk's models folder (``AppPaths.models``).
        execution_provider: the builder's ``-e``: "cpu" (default), "cuda", "dml".
        overwrite: allow replacing an existing ``output``.
        source_artifact_id: the inventory id of ``source``, recorded as lineage.
        available_providers: override :func:`available_execution_providers` (tests).
        free_bytes: free space of the disk holding a path (tests inject a fake).

    Raises:
        UserError: the onnx-build extra is missing (with the install command and its disk cost),
            the source is missing or not a supported model, the precision or provider is not
            offered here, the output is inside the source or exists without ``overwrite``, or
            the disk lacks the space the build needs.
    """
    missing = missing_modules()
    source = Path(source).expanduser().absolute()
    if source.is_file() and source.suffix.lower() == ".gguf":
        missing += missing_modules(GGUF_MODULES)
    if missing:
        raise UserError(
            f"Building ONNX models needs the onnx-build extra, which is not installed "
            f"(missing: {', '.join(missing)}).",
            f"Install it with: {INSTALL_COMMAND} ({EXTRA_DISK_NOTE}).",
        )
    if precision not in PRECISIONS:
        raise UserError(f"Unknown precision {precision!r}.", f"Choose one of {', '.join(PRECISIONS)}.")
    providers = tuple(available_providers) if available_providers is not None else available_execution_providers()
    if execution_provider not in EXECUTION_PROVIDERS:
        raise UserError(f"Unknown execution provider {execution_provider!r}.",
                        f"Choose one of {', '.join(EXECUTION_PROVIDERS)}.")
    if execution_provider not in providers:
        raise UserError(f"ONNX Runtime here has no {EXECUTION_PROVIDERS[execution_provider]}.",
                        f"Build for one of: {', '.join(providers)}.")
    if (precision, execution_provider) not in VALID_TARGETS:
        offered = sorted(p for p, ep in VALID_TARGETS if ep == execution_provider)
        raise UserError(f"The ONNX builder does not make {precision} models for {execution_provider}.",
                        f"For {execution_provider} choose {' or '.join(offered)}.")
    if not source.exists():
        raise UserError(f"{source} does not exist.", "Choose a GGUF file or a Hugging Face folder.")
    source_format, architecture, n_params = _source_facts(source)

    target = (Path(output).expanduser() if output is not None
              else default_output(source, precision, execution_provider, models_dir)).absolute()
    source_root = source if source.is_dir() else source.parent
    if source.is_dir() and _is_within(target.resolve(), source.resolve()):
        raise UserError(f"The output folder {target} is inside the source folder {source}.",
                        "Choose an output folder outside the model being converted.")
    if source_root.resolve() == target.resolve() or _is_within(source.resolve(), target.resolve()):
        raise UserError(f"The output folder {target} holds the source {source.name}.",
                        "Choose a new folder for the ONNX model.")
    if target.exists() and not overwrite:
        raise UserError(f"{target} already exists.", "Choose another output folder, or overwrite it (--overwrite).")
    if target.exists() and not target.is_dir():
        raise UserError(f"{target} exists and is not a folder.", "Choose another output folder.")

    estimate = int(n_params * _BYTES_PER_PARAM[precision])
    if source_format == "gguf":
        estimate += n_params * 4  # the dequantized fp32 Hugging Face folder, deleted after the build
    free = free_bytes(target.parent)
    if free is not None and free < estimate + _DISK_MARGIN_BYTES:
        raise UserError(
            f"The build needs about {format_bytes(estimate + _DISK_MARGIN_BYTES)} free on the disk of "
            f"{target.parent}, which has {format_bytes(free)}.",
            "Free some space or choose an output folder on another disk.",
        )
    extra = INT4_EXTRA_OPTIONS if precision == "int4" else ()
    return OnnxBuildPlan(
        source=source, source_format=source_format, architecture=architecture, n_params=n_params,
        precision=precision, execution_provider=cast(ExecutionProvider, execution_provider),
        output=target, overwrite=overwrite, extra_options=extra, estimated_bytes=estimate,
        source_artifact_id=source_artifact_id,
    )


# -- child processes ---------------------------------------------------------------------------


def child_env(work: Path) -> dict[str, str]:
    """The environment of a build child: this process's, offline for the Hub (the build reads
    local files only), telemetry off, and Hugging Face's home inside ``work`` so nothing is
    written to the user's cache."""
    env = dict(os.environ)
    env.update(TELEMETRY_OFF)
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HOME=str(work / "hf-home"),
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",  # builder prints reach us as they happen
    )
    return env


def child_command(step: str, **arguments: Any) -> list[str]:
    """``slmdesk onnx-build-child SPEC``: one build step in a child process of this program
    (from source or frozen: :func:`slmdesk.core.process.self_command`). SPEC is a JSON object
    ``{"step": ..., "parent_pid": ..., **arguments}`` read by :func:`run_child_step`."""
    spec = {"step": step, "parent_pid": os.getpid(), **arguments}
    return self_command("onnx-build-child", json.dumps(spec))


_TQDM = re.compile(r"(\d+)/(\d+) \[")
_LAYER = re.compile(r"^Reading layer (\d+)")

Parser = Callable[[str], Progress | None]
"""A child's output line -> a progress event within that step (fraction 0..1), or None."""


def convert_progress(line: str) -> Progress | None:
    """Progress of the GGUF -> Hugging Face step from one output line (transformers' tqdm bars)."""
    match = _TQDM.search(line)
    if line.startswith("Converting and de-quantizing") and match and int(match.group(2)):
        done, total = int(match.group(1)), int(match.group(2))
        return Progress(0.1 + 0.7 * done / total, f"Dequantizing GGUF tensors ({done}/{total})")
    if line.startswith("Writing model shards"):
        return Progress(0.85, "Writing the Hugging Face folder")
    return None


def builder_progress(n_layer: int | None) -> Parser:
    """A parser of the model builder's output: "Reading layer i" lines over ``n_layer`` layers
    (0.1-0.6), then "Saving ONNX model" (quantization and writing, 0.6-0.9, from its tqdm bar),
    then the GenAI config and tokenizer files."""

    def parse(line: str) -> Progress | None:
        if line.startswith("Loading weights"):
            return Progress(0.05, "Loading weights")
        if line.startswith("Reading embedding layer"):
            return Progress(0.1, "Reading the embedding layer")
        match = _LAYER.match(line)
        if match:
            layer = int(match.group(1))
            total = n_layer or layer + 1
            return Progress(0.1 + 0.5 * min(1.0, (layer + 1) / total), f"Reading layer {layer + 1} of {total}")
        if line.startswith(("Reading final norm", "Reading LM head")):
            return Progress(0.6, "Reading the output layer")
        if line.startswith("Saving ONNX model"):
            return Progress(0.62, "Quantizing and saving the ONNX model" if "int" in line else "Saving the ONNX model")
        if line.startswith("Saving ") and (bar := _TQDM.search(line)) and int(bar.group(2)):
            done, total = int(bar.group(1)), int(bar.group(2))
            return Progress(0.62 + 0.28 * done / total, f"Saving tensors ({done}/{total})")
        if line.startswith("Saving GenAI config"):
            return Progress(0.92, "Writing genai_config.json")
        if line.startswith("Saving processing files"):
            return Progress(0.96, "Writing tokenizer files")
        return None

    return parse


def _stop(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    """Terminate, wait ``grace_s``, kill (SIGKILL / TerminateProcess); reap."""
    if process.poll() is not None:
        return
    with contextlib.suppress(OSError):
        process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            process.kill()
        process.wait()


def _read_lines(stream: Any, lines: queue.Queue[str | None]) -> None:
    """Reader thread: split a child's output on ``\\n`` and ``\\r`` (tqdm redraws with ``\\r``)."""
    pending = b""
    try:
        while chunk := stream.read1(65536):
            pending += chunk
            parts = re.split(rb"[\r\n]", pending)
            pending = parts.pop()
            for part in parts:
                if part.strip():
                    lines.put(part.decode("utf-8", "replace"))
            if len(pending) > 1 << 20:  # a line with no end: keep its tail
                pending = pending[-4096:]
    except (OSError, ValueError):
        pass
    finally:
        if pending.strip():
            lines.put(pending.decode("utf-8", "replace"))
        lines.put(None)


def run_child(
    argv: Sequence[str],
    token: CancelToken,
    parse: Parser,
    *,
    env: Mapping[str, str],
    cwd: Path,
    start: float = 0.0,
    span: float = 1.0,
    what: str = "the build step",
) -> Generator[Progress, None, list[str]]:
    """Run ``argv`` as a child process, yielding ``parse``'s events mapped onto
    ``start .. start + span``, and checking ``token`` at least every 0.2 s. Returns the last
    output lines (stdout and stderr merged, at most 40).

    On cancel, a failure or the generator being closed, the child is terminated, then killed
    after 5 s. Raises:
        Cancelled: the token was cancelled.
        UserError: the child could not start or ended with a non-zero status (its last output
            lines in the message).
    """
    from slmdesk.engine.process import describe_exit, spawn

    flags: dict[str, Any] = {}
    if sys.platform == "win32":
        flags["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        flags["start_new_session"] = True  # Ctrl-C reaches us; we stop the child ourselves
    try:
        process, parent = spawn(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=dict(env), cwd=str(cwd), **flags)
    except OSError as error:
        raise UserError(f"Cannot start {what}: {error}.") from error
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), name="onnx-build-output",
                              daemon=True)
    reader.start()
    tail: deque[str] = deque(maxlen=40)
    try:
        while True:
            token.raise_if_cancelled()
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            tail.append(line[-2000:])
            event = parse(line)
            if event is not None:
                fraction = None if event.fraction is None else start + span * event.fraction
                yield Progress(fraction, event.message)
        while process.poll() is None:  # output closed; the exit follows
            token.raise_if_cancelled()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.2)
    finally:
        _stop(process)
        if process.stdout is not None:
            process.stdout.close()
        reader.join(5)
        if parent is not None:
            parent.join(5)
    if process.returncode != 0:
        output = "\n".join(tail)[-3000:]
        raise UserError(f"{what[:1].upper()}{what[1:]} failed ({describe_exit(process.returncode)}):\n{output}",
                        "The model may not be supported by the ONNX builder, or memory ran out.")
    return list(tail)


def _verify_progress(line: str) -> Progress | None:
    return Progress(0.5, "Loading the model with ONNX Runtime GenAI") if line.startswith("loading") else None


def gguf_to_hf_folder_task(gguf: Path, out: Path) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
    """A task that dequantizes ``gguf`` into a Hugging Face folder ``out`` (fp32 safetensors,
    config.json, tokenizer files, chat template) in a child process, and returns ``out``.

    ``out`` must not exist; it is written under a temporary name beside it and renamed into
    place when complete; cancel or a failure leaves nothing. Size: 4 bytes per parameter.

    Raises:
        UserError: ``out`` exists, the onnx-build extra or gguf-py is missing, transformers
            cannot read the file (architecture or quantization type not supported).
        Cancelled: the token was cancelled.
    """

    def task(token: CancelToken) -> Generator[Progress, None, Path]:
        target = Path(out).absolute()
        if target.exists():
            raise UserError(f"{target} already exists.", "Choose a new folder.")
        missing = missing_modules((*BUILD_MODULES, *GGUF_MODULES))
        if missing:
            raise UserError(f"Converting GGUF needs the onnx-build extra (missing: {', '.join(missing)}).",
                            f"Install it with: {INSTALL_COMMAND} ({EXTRA_DISK_NOTE}).")
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.converting-", dir=target.parent))
        try:
            yield from _convert_step(Path(gguf).absolute(), work / "hf", work, token, 0.0, 1.0)
            (work / "hf").rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return target

    return task


def _convert_step(gguf: Path, hf: Path, work: Path, token: CancelToken, start: float,
                  span: float) -> Generator[Progress, None, None]:
    yield Progress(start, f"Dequantizing {gguf.name} into a Hugging Face folder")
    yield from run_child(child_command("gguf-to-hf", gguf=str(gguf), out=str(hf)), token, convert_progress,
                         env=child_env(work), cwd=work, start=start, span=span,
                         what="the GGUF -> Hugging Face conversion")


def folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``, bytes."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build_task(plan: OnnxBuildPlan) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
    """A task that runs ``plan`` and returns the built folder (``plan.output``).

    Progress: a GGUF source spends 0-0.3 converting, the builder 0.3-0.9 (0-0.9 for an HF
    source: layers read, tensors saved), the load check 0.9-1.0. The folder appears only once
    it verified (genai_config.json read by :func:`slmdesk.formats.onnx_genai.read_onnx_folder`
    and ``onnxruntime_genai.Model`` opened in a child); it holds :data:`MARKER` with the
    :class:`BuildRecord`. An existing output is replaced only then (``plan.overwrite``).

    Raises:
        UserError: a step failed (the child's last output lines in the message), the output
            appeared meanwhile (without overwrite), or the result does not load.
        Cancelled: the token was cancelled; the child is stopped and nothing is left behind.
    """

    def task(token: CancelToken) -> Generator[Progress, None, Path]:
        from slmdesk.formats.hf_folder import read_hf_folder
        from slmdesk.formats.onnx_genai import read_onnx_folder

        started = time.monotonic()
        target = plan.output
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
        try:
            hf, onnx = plan.source, work / "onnx"
            convert_s = 0.0
            build_start = 0.0
            if plan.source_format == "gguf":
                hf = work / "hf"
                yield from _convert_step(plan.source, hf, work, token, 0.0, 0.3)
                convert_s = time.monotonic() - started
                build_start = 0.3
            n_layer = read_hf_folder(hf).n_layer
            token.raise_if_cancelled()
            yield Progress(build_start, f"Building the {plan.precision} ONNX model ({plan.execution_provider})")
            built = time.monotonic()
            argv = child_command("builder", args=plan.builder_args(hf, onnx, work / "cache"))
            yield from run_child(argv, token, builder_progress(n_layer), env=child_env(work), cwd=work,
                                 start=build_start, span=0.9 - build_start, what="the ONNX model builder")
            build_s = time.monotonic() - built
            if plan.source_format == "gguf":
                shutil.rmtree(hf, ignore_errors=True)  # free its space before the check
            shutil.rmtree(work / "cache", ignore_errors=True)
            yield Progress(0.9, "Checking that the model loads")
            checked = time.monotonic()
            read_onnx_folder(onnx)
            yield from run_child(child_command("verify", folder=str(onnx)), token, _verify_progress,
                                 env=child_env(work), cwd=work, start=0.9, span=0.1,
                                 what="the load check of the built model")
            verify_s = time.monotonic() - checked
            record = BuildRecord(
                source=str(plan.source), source_format=plan.source_format, precision=plan.precision,
                execution_provider=plan.execution_provider, builder_version=builder_version(),
                extra_options=plan.extra_options, convert_s=round(convert_s, 1), build_s=round(build_s, 1),
                verify_s=round(verify_s, 1), seconds=round(time.monotonic() - started, 1),
                size_bytes=folder_bytes(onnx), source_artifact_id=plan.source_artifact_id,
            )
            (onnx / MARKER).write_text(json.dumps(record.to_json_dict(), indent=1), encoding="utf-8")
            token.raise_if_cancelled()
            _move_into_place(onnx, target, plan.overwrite, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        yield Progress(1.0, f"Built {target.name}")
        return target

    return task


def _move_into_place(built: Path, target: Path, overwrite: bool, work: Path) -> None:
    if target.exists():
        if not overwrite:
            raise UserError(f"{target} appeared while the model was being built.", "Build again to another folder.")
        target.rename(work / "replaced")  # removed with the work folder
    built.rename(target)


def read_build_record(folder: Path) -> BuildRecord | None:
    """The :class:`BuildRecord` of a folder slmdesk built, or None (no or unreadable marker)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
        data["extra_options"] = tuple(data.get("extra_options") or ())
        return BuildRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


# -- inventory ---------------------------------------------------------------------------------


def register_build(inventory: Inventory, folder: Path, plan: OnnxBuildPlan) -> ArtifactRecord:
    """Adopt a built folder into ``inventory`` and record where it came from; return its
    :class:`~slmdesk.inventory.records.ArtifactRecord`.

    ``source_kind`` is :data:`SOURCE_KIND`, ``source_detail`` the :class:`BuildRecord` (source
    path and artifact id, precision, provider, builder version, seconds); a lineage row
    (:func:`slmdesk.inventory.lineage.add_lineage`, kind "onnx-build") links it to the source
    artifact (None when the source is not in the inventory; ``parameters["source_path"]`` says
    what it was), with the same parameters and the build's seconds.

    Raises:
        UserError: the folder cannot be read as a model.
    """
    from slmdesk.inventory.lineage import add_lineage
    from slmdesk.inventory.scanners import add_paths

    records = add_paths(inventory, [folder])
    if not records:
        raise UserError(f"{folder} could not be added to the inventory.")
    artifact = records[0]
    record = read_build_record(folder)
    detail: dict[str, Any] = record.to_json_dict() if record is not None else {
        "source": str(plan.source), "source_format": plan.source_format, "precision": plan.precision,
        "execution_provider": plan.execution_provider, "builder_version": builder_version(),
        "source_artifact_id": plan.source_artifact_id,
    }
    # SourceKind lists the kinds scanners find; other layers record their own (records.py).
    inventory.set_source(artifact.id, cast("SourceKind", SOURCE_KIND), detail)
    add_lineage(inventory, artifact.id, plan.source_artifact_id, "onnx-build",
                {**detail, "source_path": str(plan.source)}, record.seconds if record is not None else None)
    return inventory.get_artifact(artifact.id) or artifact


# -- the child side ------------------------------------------------------------------------------


def run_child_step(spec: Mapping[str, Any]) -> int:
    """Run one build step in this (child) process; the entry of ``slmdesk onnx-build-child``.

    Steps: ``gguf-to-hf`` {gguf, out}; ``builder`` {args}: the model builder's ``__main__``;
    ``verify`` {folder}: open with onnxruntime_genai and encode a prompt. Returns the exit status.
    """
    parent = spec.get("parent_pid")
    if isinstance(parent, int):
        from slmdesk.engine.host import die_with_parent

        die_with_parent(parent)  # an orphaned build would hold memory and a temporary folder
    step = spec.get("step")
    if step == "gguf-to-hf":
        _convert_in_process(Path(spec["gguf"]), Path(spec["out"]))
        return 0
    if step == "builder":
        import runpy

        sys.argv = ["onnxruntime_genai.models.builder", *[str(a) for a in spec["args"]]]
        runpy.run_module("onnxruntime_genai.models.builder", run_name="__main__", alter_sys=True)
        return 0
    if step == "verify":
        return _verify_in_process(Path(spec["folder"]))
    sys.stderr.write(f"unknown step {step!r}\n")
    return 2


def _convert_in_process(gguf: Path, hf_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer = None  # type: ignore[assignment]  # dense weights: see the module docstring
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)


def _say(line: str) -> None:
    """One line to the parent (which parses the child's output for progress)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _verify_in_process(folder: Path) -> int:
    import onnxruntime_genai as og

    with contextlib.suppress(AttributeError):
        og.disable_telemetry_events()
    _say("loading")
    model = og.Model(str(folder))
    tokenizer = og.Tokenizer(model)
    ids = tokenizer.encode("Hello")
    if len(ids) == 0:
        sys.stderr.write("the tokenizer encoded 'Hello' to no tokens\n")
        return 1
    # One generated token runs every kernel once: an fp16 graph on the CPU provider loads but
    # fails here ("Shape mismatch attempting to re-use buffer", measured with 0.18.0).
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(ids) + 1, do_sample=False)
    generator = og.Generator(model, params)
    generator.append_tokens(ids)
    generator.generate_next_token()
    _say(json.dumps({"device": model.device_type, "type": model.type, "tokens": len(ids)}))
    return 0
