"""GGUF re-quantization: a validated plan (:func:`prepare`), then a task that runs it in a child.

:func:`prepare` is pure apart from reading the source's header and the free disk space: it checks
everything (a GGUF source, an output that is not the input, a type offered for this model, an
importance matrix where llama.cpp requires one, requantization only when allowed, disk space for
the predicted size plus a margin) and returns a frozen :class:`QuantizePlan`. :func:`quantize_task`
runs ``llama_model_quantize`` in ``slmdesk quantize-child`` (:mod:`slmdesk.quantize.child`),
turns its per-tensor log lines into progress, writes under a temporary name in the target folder,
checks that the result's header reads with the requested file type and that llama.cpp loads it,
renames it into place and, given an inventory, records it with its lineage. Cancel terminates the
child (kill after :data:`TERMINATE_WAIT_S`) and removes the partial file.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.process import self_command
from slmdesk.core.quant_types import file_type_name
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.core.units import format_bytes
from slmdesk.formats.gguf import GGUFHeader, read_header
from slmdesk.quantize.types import QUANT_TYPES, QuantType, needs_imatrix, predicted_size, quant_type, tensor_types

if TYPE_CHECKING:
    from slmdesk.inventory.repository import Inventory

UNQUANTIZED = frozenset({"F32", "F16", "BF16"})
"""Source file types that are not quantized (no ``allow_requantize`` needed)."""

TERMINATE_WAIT_S = 5.0
"""How long a terminated quantizer may take to exit before it is killed."""

DISK_MARGIN_BYTES = 64 * 1024 * 1024
"""Free space kept beyond the predicted output (or 5% of it, whichever is more)."""

_QUANT_SUFFIX = re.compile(r"[.\-_](F32|F16|BF16|Q\d(_K)?(_[A-Z0-9]+)?|IQ\d_[A-Z]+|TQ\d_0|MXFP4_MOE)$", re.IGNORECASE)

_PHASES = (0.0, 0.9, 0.95, 1.0)
"""Progress fractions: quantizing 0-0.9, load check 0.9-0.95, hashing 0.95-1.0."""


@dataclass(frozen=True)
class QuantizePlan:
    """A validated quantization (from :func:`prepare`); nothing has run yet.

    Attributes:
        source: the GGUF to quantize (absolute).
        out: where the result goes (absolute; absent until it verified).
        type: the target type (name, ftype, description...).
        source_type: the source's file type ("F16", "Q4_1"), None when unknown.
        source_bytes: the source file's size in bytes.
        predicted_bytes: the output's predicted size in bytes (:func:`slmdesk.quantize.types.predicted_size`).
        tensor_types: ggml type name -> number of tensors that get it ("Q4_K": 120, "F32": 61).
        imatrix: the importance matrix file, or None.
        calibration_sha256: SHA-256 of the calibration text the imatrix was computed from, if known.
        allow_requantize: the source is quantized and the user accepted requantizing it.
        warnings: sentences to show before running (requantizing, ternary types...).
        temporary: the name the child writes to, in ``out``'s folder.
        nthread: quantization threads (0: all cores).
        verify_load: load the output once with llama.cpp before it is renamed into place.
        tensor_bytes: source tensor name -> bytes, in file order (progress weights).
    """

    source: Path
    out: Path
    type: QuantType
    source_type: str | None
    source_bytes: int
    predicted_bytes: int
    tensor_types: Mapping[str, int]
    imatrix: Path | None = None
    calibration_sha256: str | None = None
    allow_requantize: bool = False
    warnings: tuple[str, ...] = ()
    temporary: Path = field(default=Path())
    nthread: int = 0
    verify_load: bool = True
    tensor_bytes: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tensor_types", MappingProxyType(dict(self.tensor_types)))
        object.__setattr__(self, "tensor_bytes", MappingProxyType(dict(self.tensor_bytes)))

    def child_spec(self) -> dict[str, Any]:
        """What the child gets (:func:`slmdesk.quantize.child.main`)."""
        return {"source": str(self.source), "out": str(self.temporary), "ftype": self.type.ftype,
                "nthread": self.nthread, "allow_requantize": self.allow_requantize,
                "imatrix": str(self.imatrix) if self.imatrix else None, "verify_load": self.verify_load}

    def argv(self) -> list[str]:
        """The child's command line (``slmdesk quantize-child SPEC_JSON``, frozen-safe)."""
        return self_command("quantize-child", json.dumps(self.child_spec()))


@dataclass(frozen=True)
class QuantizeResult:
    """What a finished quantization produced.

    Attributes:
        path: the output GGUF.
        type: its type name ("Q4_K_M").
        size_bytes: its size in bytes.
        predicted_bytes: the size :func:`prepare` predicted.
        seconds: wall-clock seconds of ``llama_model_quantize`` (child start-up excluded).
        total_seconds: wall-clock seconds of the whole task (start-up, load check, hashing, inventory).
        sha256: its SHA-256 (hex), when it was hashed (recorded in the inventory).
        artifact_id: its inventory id, when an inventory was given.
        source_artifact_id: the source's inventory id, when an inventory was given.
    """

    path: Path
    type: str
    size_bytes: int
    predicted_bytes: int
    seconds: float
    total_seconds: float
    sha256: str | None = None
    artifact_id: int | None = None
    source_artifact_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object."""
        return {"path": str(self.path), "artifact_id": self.artifact_id, "type": self.type,
                "size_bytes": self.size_bytes, "predicted_bytes": self.predicted_bytes,
                "seconds": round(self.seconds, 3), "sha256": self.sha256,
                "source_artifact_id": self.source_artifact_id}


def offered_types() -> tuple[QuantType, ...]:
    """Every type :func:`prepare` accepts, biggest first (the Quantize pane's list)."""
    return tuple(QUANT_TYPES.values())


def default_output(source: Path, type_name: str) -> Path:
    """``<folder>/<name without its type>-<TYPE>.gguf``: ``SmolLM2.F16.gguf`` -> ``SmolLM2-Q4_K_M.gguf``."""
    stem = _QUANT_SUFFIX.sub("", source.stem) or source.stem
    return source.with_name(f"{stem}-{type_name}.gguf")


def read_source(source: Path) -> GGUFHeader:
    """The header of a quantization source, with :func:`prepare`'s checks and messages (the
    Quantize pane reads it to list types before a plan exists).

    Raises:
        UserError: missing, not a file, not a readable GGUF, or one part of a split set.
    """
    if not source.exists():
        raise UserError(f"{source} does not exist.", "Pass a GGUF file, a Hugging Face folder or an inventory id.")
    if not source.is_file():
        raise UserError(f"{source} is not a GGUF file.", "Pass a GGUF file, a Hugging Face folder or an inventory id.")
    try:
        header = read_header(source)
    except UserError as error:
        raise UserError(f"{source.name} is not a readable GGUF file: {error.message}",
                        "Quantize a GGUF model file (F16, BF16 or F32 for the best quality).") from error
    split = header.kv.get("split.count")
    if split is not None and isinstance(split.value, int) and split.value > 1:
        raise UserError(f"{source.name} is one part of a split GGUF set; slmdesk quantizes single files.",
                        "Merge the parts first (llama-gguf-split --merge).")
    return header


def source_type_of(header: GGUFHeader) -> str | None:
    """The file type of a GGUF header ("F16", "Q4_1"), None when absent or unknown."""
    value = header.kv.get("general.file_type")
    return file_type_name(value.value) if value is not None and isinstance(value.value, int) else None


def prepare(
    source: Path,
    type_name: str,
    out: Path | None = None,
    *,
    imatrix: Path | None = None,
    calibration_sha256: str | None = None,
    allow_requantize: bool = False,
    overwrite: bool = False,
    nthread: int = 0,
    verify_load: bool = True,
) -> QuantizePlan:
    """Validate a quantization of the GGUF ``source`` to ``type_name`` and return its plan.

    ``out`` defaults to :func:`default_output`. Nothing is written; the source's header is read
    (milliseconds) and the free space of ``out``'s folder checked.

    Raises:
        UserError: the source is missing, not a GGUF or part of a split set; ``out`` is the
            source, exists (without ``overwrite``), does not end in ``.gguf`` or its folder is
            missing; the type is unknown or not for this model (MXFP4_MOE on a dense model);
            the type needs an importance matrix and none was given (or it is missing); the
            source is quantized and ``allow_requantize`` is False; or the predicted size plus
            the margin (:data:`DISK_MARGIN_BYTES` or 5%) does not fit on the disk.
    """
    source = source.expanduser().absolute()
    quant = quant_type(type_name)
    if quant is None:
        names = ", ".join(QUANT_TYPES)
        raise UserError(f"Unknown quantization type {type_name!r}.", f"Choose one of {names}.")
    header = read_source(source)
    out = (out.expanduser().absolute() if out is not None else default_output(source, quant.name))
    if out.suffix.lower() != ".gguf":
        raise UserError(f"The output {out.name} must end in .gguf.", "Choose a file name ending in .gguf.")
    if out == source or (out.exists() and out.resolve() == source.resolve()):
        raise UserError("The output would replace the source GGUF.", "Choose another output path.")
    if out.exists() and not overwrite:
        raise UserError(f"{out} already exists.", "Choose another output path, or remove that file.")
    if not out.parent.is_dir():
        raise UserError(f"The folder {out.parent} does not exist.", "Create it or choose another output path.")
    from slmdesk.quantize.types import ModelShape

    shape = ModelShape.of(header)
    if quant.moe_only and shape.n_expert <= 1:
        raise UserError(f"{quant.name} is for mixture-of-experts models; {source.name} is not one.",
                        "Choose Q4_K_M or another type.")
    warnings: list[str] = []
    if quant.ternary_only:
        warnings.append(f"{quant.name} is meant for ternary (BitNet-style) models; other models lose most "
                        "of their quality with it.")
    if imatrix is not None:
        imatrix = imatrix.expanduser().absolute()
        if not imatrix.is_file():
            raise UserError(f"The importance matrix {imatrix} does not exist.",
                            "Pass an imatrix file written by llama-imatrix or slmdesk.")
    requiring = needs_imatrix(header, quant.name)
    if requiring and imatrix is None:
        raise UserError(f"{quant.name} needs an importance matrix ({len(requiring)} tensors, e.g. {requiring[0]}).",
                        "Give one (--imatrix FILE) or compute it (--calibrate), or choose a type such as "
                        "IQ4_XS or Q4_K_M that does not need one.")
    source_type = source_type_of(header)
    if source_type not in UNQUANTIZED:
        described = source_type or "an unknown type"
        if not allow_requantize:
            raise UserError(f"{source.name} is already quantized ({described}); quantizing it again loses more "
                            "quality than quantizing the original.",
                            "Quantize an F16/BF16 GGUF instead, or allow requantizing (--allow-requantize).")
        warnings.append(f"Requantizing a {described} model: the result is worse than {quant.name} made from the "
                        "original weights.")
        if source_type == quant.name:
            warnings.append(f"The source is {quant.name} already: nothing is gained.")
    types = tensor_types(header, quant.name, has_imatrix=imatrix is not None)
    predicted = predicted_size(header, quant.name, imatrix is not None, types)
    needed = predicted + max(DISK_MARGIN_BYTES, predicted // 20)
    free = shutil.disk_usage(out.parent).free
    if free < needed:
        raise UserError(f"Not enough free disk space in {out.parent}: {format_bytes(needed)} needed "
                        f"(the {format_bytes(predicted)} output and a margin), {format_bytes(free)} free.",
                        "Free some space or choose another folder.")
    counts: dict[str, int] = {}
    for ggml in types.values():
        counts[ggml] = counts.get(ggml, 0) + 1
    return QuantizePlan(
        source=source, out=out, type=quant, source_type=source_type, source_bytes=header.file_size,
        predicted_bytes=predicted, tensor_types=counts, imatrix=imatrix,
        calibration_sha256=calibration_sha256, allow_requantize=allow_requantize and source_type not in UNQUANTIZED,
        warnings=tuple(warnings), temporary=out.with_name(f".{out.name}.part"), nthread=nthread,
        verify_load=verify_load, tensor_bytes={t.name: t.nbytes for t in header.tensors},
    )


def quantize_task(
    plan: QuantizePlan, inventory: Inventory | None = None
) -> Callable[[CancelToken], Generator[Progress, None, QuantizeResult]]:
    """A task that carries out ``plan`` and returns a :class:`QuantizeResult`.

    With ``inventory`` the output is hashed and added (source kind ``quantize``, its SHA-256
    stored as verified), the source is added too when it is not there yet, and a lineage row
    links them (:func:`record_quantization`).

    Raises:
        UserError: the child failed (llama.cpp's reason is quoted) or crashed ("signal 9 (SIGKILL:
            ...)"), or the output did not verify (wrong file type, does not load).
        Cancelled: the token was cancelled; the partial file is removed.
    """

    def task(token: CancelToken) -> Generator[Progress, None, QuantizeResult]:
        started = time.monotonic()
        yield Progress(0.0, f"Quantizing {plan.source.name} to {plan.type.name}")
        seconds = yield from _run_child(plan, token)
        from slmdesk.formats.gguf import read_gguf

        try:
            spec = read_gguf(plan.temporary)
        except UserError as error:
            plan.temporary.unlink(missing_ok=True)
            raise UserError(f"The quantized file does not read as a GGUF: {error.message}") from error
        if spec.quantization != plan.type.name:
            plan.temporary.unlink(missing_ok=True)
            raise UserError(f"The quantized file is {spec.quantization}, not {plan.type.name}.")
        token.raise_if_cancelled()
        os.replace(plan.temporary, plan.out)
        size = plan.out.stat().st_size
        result = QuantizeResult(plan.out, plan.type.name, size, plan.predicted_bytes, seconds, 0.0)
        if inventory is not None:
            from slmdesk.formats.checksum import sha256_task

            digest = yield from _scaled(sha256_task([plan.out])(token), _PHASES[2], _PHASES[3],
                                        f"Hashing {plan.out.name}")
            result = record_quantization(inventory, plan, result, digest)
        total = time.monotonic() - started
        result = QuantizeResult(result.path, result.type, result.size_bytes, result.predicted_bytes, seconds,
                                total, result.sha256, result.artifact_id, result.source_artifact_id)
        yield Progress(1.0, f"Quantized to {plan.out.name} ({format_bytes(size)}) in {seconds:.1f} s")
        return result

    return task


def _scaled(generator: Generator[Progress, None, Any], low: float, high: float,
            message: str) -> Generator[Progress, None, Any]:
    """Re-yield a sub-task's progress mapped into ``[low, high]``; return its result."""
    while True:
        try:
            event = next(generator)
        except StopIteration as stop:
            return stop.value
        fraction = None if event.fraction is None else low + (high - low) * event.fraction
        yield Progress(fraction, message, event.bytes_done, event.bytes_total)


def _run_child(plan: QuantizePlan, token: CancelToken) -> Generator[Progress, None, float]:
    """Start the child, relay its progress, stop it on cancel; return llama.cpp's seconds."""
    from slmdesk.engine.process import describe_exit, spawn

    plan.temporary.unlink(missing_ok=True)
    try:
        # A session of its own: Ctrl-C reaches only the parent, which stops the child and cleans up.
        process, parent = spawn(plan.argv(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as error:
        raise UserError(f"Cannot start the quantizer: {error}.") from error
    events: queue.Queue[dict[str, Any] | None] = queue.Queue()
    stderr_tail: deque[str] = deque(maxlen=30)
    readers = [
        threading.Thread(target=_read_events, args=(process.stdout, events), daemon=True),
        threading.Thread(target=_read_tail, args=(process.stderr, stderr_tail), daemon=True),
    ]
    for reader in readers:
        reader.start()
    # llama.cpp goes through the tensors by name (its weights map), not in file order: count
    # the bytes of the tensors started before this one.
    total = sum(plan.tensor_bytes.values()) or 1
    done = 0
    failure: str | None = None
    seconds = 0.0
    finished = False
    try:
        while not finished:
            if token.cancelled:
                raise Cancelled("cancelled")
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if event is None:  # stdout closed: the child is exiting
                finished = True
            elif event["event"] == "tensor":
                yield Progress(_PHASES[1] * done / total, f"[{event['i']}/{event['n']}] {event['name']}",
                               done, total)
                done += plan.tensor_bytes.get(event["name"], 0)
            elif event["event"] == "quantized":
                seconds = float(event["seconds"])
                yield Progress(_PHASES[1], f"Checking that {plan.out.name} loads")
            elif event["event"] == "loaded":
                yield Progress(_PHASES[2], f"{plan.out.name} loads")
            elif event["event"] == "error":
                failure = str(event["message"])
        while process.poll() is None:
            if token.wait(0.05):
                raise Cancelled("cancelled")
    except BaseException:
        _stop(process)
        plan.temporary.unlink(missing_ok=True)
        raise
    finally:
        for reader in readers:
            reader.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
        if parent is not None:
            parent.join(timeout=5)
    if process.returncode != 0:
        plan.temporary.unlink(missing_ok=True)
        if failure is None:
            detail = stderr_tail[-1] if stderr_tail else ""
            raise UserError(f"The quantizer stopped: {describe_exit(process.returncode)}."
                            + (f" Last output: {detail}" if detail else ""),
                            "Nothing was written. If memory ran out, close other programs and try again.")
        raise UserError(f"Quantizing {plan.source.name} to {plan.type.name} failed: {failure}",
                        _hint_for(failure))
    if not plan.temporary.is_file():
        raise UserError("The quantizer finished without writing its output.")
    return seconds


def _hint_for(error: str) -> str:
    lowered = error.lower()
    if "imatrix" in lowered or "importance matrix" in lowered:
        return "Give an importance matrix (--imatrix FILE or --calibrate)."
    if "requantiz" in lowered:
        return "Allow requantizing (--allow-requantize), or quantize an F16/BF16 GGUF."
    if "space" in lowered or "write" in lowered:
        return "Check the free disk space of the output folder."
    return ""


def _read_events(stream: IO[bytes] | None, sink: queue.Queue[dict[str, Any] | None]) -> None:
    assert stream is not None
    for raw in stream:
        with contextlib.suppress(ValueError):
            event = json.loads(raw)
            if isinstance(event, dict) and "event" in event:
                sink.put(event)
    sink.put(None)


def _read_tail(stream: IO[bytes] | None, sink: deque[str]) -> None:
    assert stream is not None
    for raw in stream:
        line = raw.decode("utf-8", "replace").strip()
        if line:
            sink.append(line)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, wait :data:`TERMINATE_WAIT_S`, then kill (no-op once it exited)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(TERMINATE_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(TERMINATE_WAIT_S)


def tool_versions() -> dict[str, str | None]:
    """``{"llama_cpp_python": "0.3.36", "llama_cpp": "0c1e57098"}`` (the commit it vendors)."""
    from importlib.metadata import PackageNotFoundError, version

    from slmdesk.hardware.versions import LLAMA_CPP_COMMITS

    try:
        binding: str | None = version("llama_cpp_python")
    except PackageNotFoundError:
        binding = None
    return {"llama_cpp_python": binding, "llama_cpp": LLAMA_CPP_COMMITS.get(binding or "")}


def record_quantization(inventory: Inventory, plan: QuantizePlan, result: QuantizeResult,
                        sha256: str) -> QuantizeResult:
    """Add the output to ``inventory`` (source kind ``quantize``, SHA-256 stored as verified), the
    source too when it is not there, and the lineage row linking them; return ``result`` with
    the ids and hash filled in.

    Raises:
        UserError: the inventory cannot be written.
    """
    from slmdesk.core.tasks import run_inline
    from slmdesk.formats.checksum import sha256_task
    from slmdesk.inventory.lineage import add_lineage
    from slmdesk.inventory.scanners import add_paths

    source_record = inventory.find_by_path(plan.source) or add_paths(inventory, [plan.source])[0]
    [record] = add_paths(inventory, [plan.out])
    imatrix = None
    if plan.imatrix is not None:
        imatrix = {"path": str(plan.imatrix), "sha256": run_inline(sha256_task([plan.imatrix]))}
    parameters = {
        "type": plan.type.name, "ftype": plan.type.ftype, "source_path": str(plan.source),
        "source_type": plan.source_type, "source_sha256": source_record.sha256, "imatrix": imatrix,
        "calibration_sha256": plan.calibration_sha256, "allow_requantize": plan.allow_requantize,
        "predicted_bytes": plan.predicted_bytes, "size_bytes": result.size_bytes, "tools": tool_versions(),
    }
    inventory.set_source(record.id, "quantize",
                         {"source_artifact_id": source_record.id, "type": plan.type.name})
    inventory.set_verified(record.id, sha256)
    add_lineage(inventory, record.id, source_record.id, "quantize", parameters, round(result.seconds, 3))
    return QuantizeResult(result.path, result.type, result.size_bytes, result.predicted_bytes, result.seconds,
                          result.total_seconds, sha256, record.id, source_record.id)
