"""What the Quantize pane asks the core for, in one place and without Qt: the facts of a
source (predicted size, importance-matrix need and fit verdict per type), the validation of a
request through the core's ``prepare``, and the one task that chains the steps of a build
(Hugging Face folder -> F16 GGUF, importance matrix, quantization, inventory and lineage).

It only composes :mod:`slmdesk.quantize` (whose ``prepare``/task functions own every rule), so
the same chain could move below ``jobs/`` for the CLI unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from slmdesk.core.errors import UserError
from slmdesk.core.fit import FitEstimate, estimate
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import HardwareProfile
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.formats.detect import read_spec
from slmdesk.inventory.repository import Inventory
from slmdesk.quantize import convert, gguf_quantize, imatrix, onnx_build
from slmdesk.quantize.gguf_quantize import QuantizePlan, QuantizeResult
from slmdesk.quantize.types import QUANT_TYPES, needs_imatrix, predicted_size

ImatrixChoice = Literal["none", "calibration", "text", "file"]
IMATRIX_N_CTX = 512
"""Context of the importance-matrix computation, tokens (llama-imatrix's default)."""
CONVERT_TYPE: Literal["F16"] = "F16"
"""What a Hugging Face folder is converted to before it is quantized."""


@dataclass(frozen=True)
class TypeFacts:
    """One target type for one source: predicted output bytes, whether this model needs an
    importance matrix for it, and the fit estimate here (None: no machine profile yet)."""

    name: str
    predicted_bytes: int | None
    needs_imatrix: bool
    fit: FitEstimate | None = None


@dataclass(frozen=True)
class SourceFacts:
    """What the pane shows of a source: its spec (None for an unreadable one), the quantization
    of a GGUF ("F16", "Q4_1"; None for a Hugging Face folder) and the facts per type."""

    path: Path
    format: str
    spec: ModelSpec | None
    source_type: str | None
    types: tuple[TypeFacts, ...] = ()

    @property
    def is_quantized(self) -> bool:
        """A GGUF that is quantized already (requantizing it loses more quality)."""
        return self.format == "gguf" and self.source_type not in gguf_quantize.UNQUANTIZED


def spec_with_weights(spec: ModelSpec, weights_bytes: int) -> ModelSpec:
    """``spec`` as if its tensors took ``weights_bytes`` in all (every weight part scaled alike):
    the input of the fit estimate of a quantization's output, before it exists."""
    if not spec.weights_bytes:
        return replace(spec, weights_bytes=weights_bytes, file_bytes=weights_bytes)
    scale = weights_bytes / spec.weights_bytes
    return replace(
        spec, weights_bytes=weights_bytes, file_bytes=spec.file_bytes - spec.weights_bytes + weights_bytes,
        layer_weights_bytes=tuple(int(b * scale) for b in spec.layer_weights_bytes),
        input_weights_bytes=int(spec.input_weights_bytes * scale) if spec.input_weights_bytes else None,
        output_weights_bytes=int(spec.output_weights_bytes * scale) if spec.output_weights_bytes else None,
    )


def source_facts(path: Path, profile: HardwareProfile | None, default_n_ctx: int = 4096) -> SourceFacts:
    """Read ``path`` (a GGUF file or a Hugging Face folder) and predict, for every offered type,
    the output's size, whether an importance matrix is needed and, with ``profile``, the fit
    verdict with the default load plan. A folder's sizes are known only once it is converted
    (None). Reads headers only: milliseconds for small models, run it off the GUI thread.

    Raises:
        UserError: the source cannot be read.
    """
    if path.is_dir():
        spec = read_spec(path)
        return SourceFacts(path, "hf", spec, None,
                           tuple(TypeFacts(t.name, None, t.needs_imatrix) for t in QUANT_TYPES.values()))
    header = gguf_quantize.read_source(path)  # the same checks (and messages) as prepare's
    spec = read_spec(path)
    options = LoadPlan.default_for(spec.context_length, default_n_ctx).fit_options()
    facts = []
    for quant in QUANT_TYPES.values():
        if quant.moe_only:
            continue  # prepare refuses it for dense models, and slmdesk's models are dense
        size = predicted_size(header, quant.name)
        fit = None
        if profile is not None:
            try:
                fit = estimate(spec_with_weights(spec, size - (header.data_offset or 0)), options, profile)
            except UserError:
                fit = None
        facts.append(TypeFacts(quant.name, size, bool(needs_imatrix(header, quant.name)), fit))
    return SourceFacts(path, "gguf", spec, gguf_quantize.source_type_of(header), tuple(facts))


@dataclass(frozen=True)
class GgufRequest:
    """A quantization as the form describes it.

    Attributes:
        source: the GGUF file or Hugging Face folder.
        type_name: the target type ("Q4_K_M").
        out: the output GGUF; None for the default beside the source.
        imatrix_choice: "none", "calibration" (compute on the shipped text), "text" (compute on
            ``imatrix_path``) or "file" (load ``imatrix_path``).
        imatrix_path: the text or importance-matrix file of those choices.
        source_artifact_id: the inventory id of ``source``, when it is one.
    """

    source: Path
    type_name: str
    out: Path | None = None
    imatrix_choice: ImatrixChoice = "none"
    imatrix_path: Path | None = None
    source_artifact_id: int | None = None
    is_folder: bool = field(default=False)

    def output(self) -> Path:
        """The output GGUF (:func:`gguf_quantize.default_output` when none was chosen)."""
        if self.out is not None:
            return self.out
        if self.is_folder:
            return self.source.parent / f"{self.source.name}-{self.type_name}.gguf"
        return gguf_quantize.default_output(self.source, self.type_name)

    def calibration(self) -> Path | None:
        """The text an importance matrix is computed from, None when none is computed."""
        if self.imatrix_choice == "calibration":
            return imatrix.calibration_text()
        return self.imatrix_path if self.imatrix_choice == "text" else None


def validate(request: GgufRequest) -> QuantizePlan | None:
    """Check ``request`` with the core's :func:`gguf_quantize.prepare` and return its plan
    (None for a Hugging Face folder, whose GGUF exists only after conversion: the folder and
    output are checked here, the rest when it runs). An importance matrix that will be computed
    is stood in for by its text, so the plan is the one the build will make.

    Raises:
        UserError: what ``prepare`` refuses (output equal to the source, a type that needs an
            importance matrix without one, no disk space...), or a missing text or file.
    """
    if request.imatrix_choice in ("text", "file"):
        if request.imatrix_path is None:
            what = "a text file" if request.imatrix_choice == "text" else "an importance matrix file"
            raise UserError(f"Choose {what} for the importance matrix.", "Or choose another importance matrix option.")
        if not request.imatrix_path.is_file():
            raise UserError(f"{request.imatrix_path} does not exist.", "Choose an existing file.")
    if request.is_folder:
        out = request.output().expanduser().absolute()
        if out == request.source.absolute() or out.is_relative_to(request.source.absolute()):
            raise UserError("The output cannot be inside the source folder.", "Choose another output path.")
        if out.suffix.lower() != ".gguf":
            raise UserError(f"The output {out.name} must end in .gguf.", "Choose a file name ending in .gguf.")
        if out.exists():
            raise UserError(f"{out} already exists.", "Choose another output path, or remove that file.")
        missing = convert.missing_modules(request.source)
        if missing:
            raise UserError(f"Converting a Hugging Face folder to GGUF needs {', '.join(missing)}, "
                            "which are not installed.", convert.INSTALL_HINT)
        return None
    stand_in = request.calibration() if request.imatrix_choice in ("calibration", "text") else request.imatrix_path
    return gguf_quantize.prepare(request.source, request.type_name, request.output(), imatrix=stand_in,
                                 allow_requantize=True)


def _scaled(generator: Generator[Progress, None, Any], low: float, high: float) -> Generator[Progress, None, Any]:
    """Re-yield a step's progress mapped into ``[low, high]`` (its messages kept); return its result."""
    while True:
        try:
            event = next(generator)
        except StopIteration as stop:
            return stop.value
        fraction = None if event.fraction is None else low + (high - low) * event.fraction
        yield Progress(fraction, event.message, event.bytes_done, event.bytes_total)


def gguf_build_task(request: GgufRequest, inventory: Inventory | None,
                    cache: Path) -> Callable[[CancelToken], Generator[Progress, None, QuantizeResult]]:
    """One task for the whole build: convert a folder to F16 GGUF (recorded in the inventory
    with its lineage when the folder is an artifact), compute the importance matrix (beside the
    output, ``<name>.imatrix``, kept: the lineage names it), then quantize and record the output
    with its lineage. Returns the :class:`QuantizeResult`.

    Raises:
        UserError: any step's refusal or failure (its message and hint).
        Cancelled: cancelled; the running child is terminated and its partial file removed.
    """

    def task(token: CancelToken) -> Generator[Progress, None, QuantizeResult]:
        source = request.source
        out = request.output()
        computes = request.imatrix_choice in ("calibration", "text")
        quantize_from = 0.0
        if request.is_folder:
            converted = out.with_name(f"{request.source.name}-{CONVERT_TYPE}.gguf")
            conversion = convert.prepare_convert(request.source, converted, CONVERT_TYPE, cache)
            source = yield from _scaled(convert.convert_task(conversion)(token), 0.0, 0.35)
            _record_conversion(inventory, request, source)
            quantize_from = 0.35
        imatrix_file = request.imatrix_path if request.imatrix_choice == "file" else None
        calibration_sha256 = None
        if computes:
            text = request.calibration()
            assert text is not None
            from slmdesk.formats.checksum import sha256_task

            calibration_sha256 = run_inline(sha256_task([text]), token)
            imatrix_file = out.with_name(f"{out.stem}.imatrix")
            imatrix_file.unlink(missing_ok=True)  # a stale one from a cancelled run
            step = imatrix.compute_imatrix_task(source, text, imatrix_file, n_ctx=IMATRIX_N_CTX)
            high = quantize_from + (1.0 - quantize_from) * 0.4
            yield from _scaled(step(token), quantize_from, high)
            quantize_from = high
        try:
            plan = gguf_quantize.prepare(source, request.type_name, out, imatrix=imatrix_file,
                                         calibration_sha256=calibration_sha256, allow_requantize=True)
            result: QuantizeResult = yield from _scaled(gguf_quantize.quantize_task(plan, inventory)(token),
                                                        quantize_from, 1.0)
        except BaseException:
            if computes and imatrix_file is not None:
                imatrix_file.unlink(missing_ok=True)  # made for this output only: nothing is left behind
            raise
        return result

    return task


def _record_conversion(inventory: Inventory | None, request: GgufRequest, gguf: Path) -> None:
    """Add the converted GGUF to the inventory, linked to its folder when that is an artifact."""
    if inventory is None:
        return
    from slmdesk.inventory.lineage import add_lineage
    from slmdesk.inventory.scanners import add_paths

    [record] = add_paths(inventory, [gguf])
    if request.source_artifact_id is not None:
        add_lineage(inventory, record.id, request.source_artifact_id, "convert",
                    {"type": CONVERT_TYPE, "source_path": str(request.source)})


def onnx_plan(source: Path, precision: str, out: Path | None, models_dir: Path,
              source_artifact_id: int | None) -> onnx_build.OnnxBuildPlan:
    """The core's ONNX build plan (:func:`onnx_build.prepare`).

    Raises:
        UserError: as ``prepare`` (the onnx-build extra missing: the hint says how to install it).
    """
    return onnx_build.prepare(source, precision, out, models_dir=models_dir, source_artifact_id=source_artifact_id)


def onnx_build_task(plan: onnx_build.OnnxBuildPlan,
                    inventory: Inventory | None) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
    """Build ``plan`` and add the folder to the inventory with its lineage; returns the folder."""

    def task(token: CancelToken) -> Generator[Progress, None, Path]:
        folder: Path = yield from onnx_build.build_task(plan)(token)
        if inventory is not None:
            onnx_build.register_build(inventory, folder, plan)
        return folder

    return task
