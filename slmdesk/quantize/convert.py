"""Hugging Face folder -> F16/BF16 GGUF with llama.cpp's own converter, in a child process.

Why this converter: ``convert_hf_to_gguf.py`` is the reference llama.cpp ships for its own
loader; every architecture llama.cpp runs is added there first, with the tensor names, vocab
handling (BPE pre-tokenizer hashes, SentencePiece) and metadata keys the loader expects. The
alternatives either target other runtimes (optimum/ONNX) or lag behind it (third-party GGUF
writers). It must match the loader's version, so slmdesk carries the copy from the llama.cpp
commit that llama-cpp-python 0.3.36 vendors (0c1e57098): ``resources/llama_convert/
llama-cpp-python-0.3.36.zip`` holds ``convert_hf_to_gguf.py``, its ``conversion/`` package and
the matching ``gguf-py`` (MIT licence, ``resources/llama_convert/LICENSE``). A zip keeps 109
foreign Python files out of ruff, mypy and PyInstaller's module analysis; it is extracted once
into the cache folder (``<cache>/llama-convert/<archive sha256[:16]>``) and run from there.

The converter needs torch and transformers (the ``onnx-build`` extra); a folder whose tokenizer
is SentencePiece (``tokenizer.model``) also needs ``sentencepiece``. It runs in a child process
(``slmdesk convert-hf-child``, :func:`child_command`) so that torch never enters the GUI process
and cancel is immediate (terminate, then kill; the partial output is removed). Progress comes
from its log lines (``INFO:hf-to-gguf:blk.0.attn_q.weight, torch.float32 --> F16, ...``) and the
gguf writer's byte counter.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.process import self_command
from slmdesk.core.resources import resource_path
from slmdesk.core.tasks import CancelToken, Progress

ConvertType = Literal["F16", "BF16"]

CONVERTER_ARCHIVE = ("llama_convert", "llama-cpp-python-0.3.36.zip")
"""``resources/`` path of the converter archive (llama.cpp 0c1e57098, as in llama-cpp-python 0.3.36)."""

REQUIRED_MODULES = ("torch", "transformers", "safetensors", "numpy", "yaml")
"""What ``convert_hf_to_gguf.py`` and its gguf-py import for any model (torch, transformers: the
``onnx-build`` extra; safetensors comes with transformers, yaml with gguf-py's metadata)."""

INSTALL_HINT = "Install the converter's dependencies with: pip install 'slmdesk[onnx-build]' sentencepiece"

TERMINATE_WAIT_S = 5.0
"""How long a terminated converter may take to exit before it is killed."""

_TENSOR_LINE = re.compile(r"^INFO:hf-to-gguf:(\S+?),\s+\S+\s+-->\s+(\S+), shape = ")
_WRITING = re.compile(r"Writing:\s+(\d+)%")


def missing_modules(folder: Path | None = None) -> list[str]:
    """The modules the converter needs that are not importable here; ``sentencepiece`` counts
    only for a folder with a ``tokenizer.model``."""
    names = list(REQUIRED_MODULES)
    if folder is not None and (folder / "tokenizer.model").is_file():
        names.append("sentencepiece")
    return [name for name in names if importlib.util.find_spec(name) is None]


def is_hf_folder(path: Path) -> bool:
    """True for a Hugging Face model folder: ``config.json`` and safetensors or PyTorch weights."""
    if not path.is_dir() or not (path / "config.json").is_file():
        return False
    return any(path.glob("*.safetensors")) or any(path.glob("pytorch_model*.bin"))


def converter_dir(cache: Path) -> Path:
    """The folder holding ``convert_hf_to_gguf.py`` (extracted from the resources archive into
    ``cache/llama-convert/<sha256[:16]>`` on the first call; a half-extracted folder is never
    used: it is extracted beside and renamed into place).

    Raises:
        UserError: the archive is missing (a broken installation) or cannot be extracted.
    """
    archive = resource_path(*CONVERTER_ARCHIVE)
    if not archive.is_file():
        raise UserError(f"The GGUF converter is missing from this installation ({archive}).",
                        "Reinstall slmdesk.")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()[:16]
    target = cache / "llama-convert" / digest
    if (target / "convert_hf_to_gguf.py").is_file():
        return target
    temporary = target.with_name(f"{digest}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(temporary)
        try:
            temporary.rename(target)
        except OSError:
            if not (target / "convert_hf_to_gguf.py").is_file():  # not a concurrent extraction
                raise
    except (OSError, zipfile.BadZipFile) as error:
        raise UserError(f"Cannot unpack the GGUF converter into {target.parent}: {error}.",
                        "Check that the cache folder is writable and has free space.") from error
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


@dataclass(frozen=True)
class ConvertPlan:
    """A validated HF folder -> GGUF conversion (:func:`prepare_convert`).

    Attributes:
        source: the Hugging Face folder.
        out: the GGUF file to write (absent until the conversion succeeded).
        out_type: "F16" or "BF16".
        converter: the folder holding ``convert_hf_to_gguf.py``.
        argv: the child's command line (writes ``temporary``).
        temporary: where the child writes; renamed to ``out`` once it reads as a GGUF.
        source_bytes: the weights' size in bytes (the progress total).
    """

    source: Path
    out: Path
    out_type: ConvertType
    converter: Path
    argv: tuple[str, ...]
    temporary: Path
    source_bytes: int


def child_command(converter: Path, source: Path, out: Path, out_type: ConvertType) -> list[str]:
    """The argv of the converter child: ``slmdesk convert-hf-child CONVERTER SOURCE OUT TYPE``
    (from source ``python -m slmdesk ...``, frozen the app executable: ``self_command``)."""
    return self_command("convert-hf-child", str(converter), str(source), str(out), out_type.lower())


def prepare_convert(source: Path, out: Path, out_type: ConvertType, cache: Path) -> ConvertPlan:
    """Validate a conversion and return its plan (nothing runs; the converter is unpacked).

    Raises:
        UserError: ``source`` is not a Hugging Face folder, ``out`` exists or its folder does
            not, an unknown ``out_type``, too little free disk, or torch/transformers (and
            sentencepiece for SentencePiece tokenizers) are not installed (the hint says how).
    """
    source, out = source.absolute(), out.absolute()
    if out_type not in ("F16", "BF16"):
        raise UserError(f"Cannot convert to {out_type}.", "Convert to F16 or BF16, then quantize that GGUF.")
    if not is_hf_folder(source):
        raise UserError(f"{source} is not a Hugging Face model folder (config.json and *.safetensors).",
                        "Pass a folder downloaded from the Hub, a GGUF file or an inventory id.")
    if out.exists():
        raise UserError(f"{out} already exists.", "Choose another output path or remove that file.")
    if not out.parent.is_dir():
        raise UserError(f"The folder {out.parent} does not exist.", "Create it or choose another output path.")
    missing = missing_modules(source)
    if missing:
        raise UserError(f"Converting a Hugging Face folder to GGUF needs {', '.join(missing)}, "
                        "which are not installed.", INSTALL_HINT)
    weights = [*source.glob("*.safetensors"), *source.glob("pytorch_model*.bin")]
    source_bytes = sum(p.stat().st_size for p in weights)
    # 16-bit output of 32-bit weights is half their size; of 16-bit weights the same size.
    needed = source_bytes + 64 * 1024 * 1024
    free = shutil.disk_usage(out.parent).free
    if free < needed:
        raise UserError(f"Not enough free disk space in {out.parent}: about {needed >> 20} MiB needed, "
                        f"{free >> 20} MiB free.", "Free some space or choose another folder.")
    converter = converter_dir(cache)
    temporary = out.with_name(f".{out.name}.part")
    argv = tuple(child_command(converter, source, temporary, out_type))
    return ConvertPlan(source, out, out_type, converter, argv, temporary, source_bytes)


def convert_task(plan: ConvertPlan) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
    """A task that runs the converter child and returns ``plan.out``.

    Progress: the tensor being converted, then the writer's percentage. Cancel terminates the
    child (kill after :data:`TERMINATE_WAIT_S`) and removes the partial file.

    Raises:
        UserError: the converter failed (its last error line is quoted) or wrote no readable GGUF.
        Cancelled: the token was cancelled.
    """

    def task(token: CancelToken) -> Generator[Progress, None, Path]:
        from slmdesk.formats.gguf import read_gguf

        yield Progress(None, f"Converting {plan.source.name} to {plan.out_type} GGUF")
        plan.temporary.unlink(missing_ok=True)
        lines: deque[str] = deque(maxlen=40)
        started = time.monotonic()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
               "TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"}
        try:
            # A session of its own: Ctrl-C reaches only the parent, which stops the child.
            process = subprocess.Popen(list(plan.argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, env=env, start_new_session=True)
        except OSError as error:
            raise UserError(f"Cannot start the GGUF converter: {error}.") from error
        events: deque[str] = deque()
        reader = threading.Thread(target=_read_lines, args=(process, events), daemon=True)
        reader.start()
        try:
            last: Progress | None = None
            while True:
                if token.cancelled:
                    raise Cancelled("cancelled")
                finished = process.poll() is not None
                while events:
                    line = events.popleft()
                    lines.append(line)
                    progress = _progress_of(line, plan.out_type)
                    if progress is not None and progress != last:
                        last = progress
                        yield progress
                if finished and not reader.is_alive():
                    break
                token.wait(0.1)
            if process.returncode != 0:
                raise UserError(f"Converting {plan.source.name} failed: {_reason(lines)}",
                                _hint(lines))
            try:
                spec = read_gguf(plan.temporary)
            except UserError as error:
                raise UserError(f"The converter wrote an unreadable GGUF: {error.message}") from error
            if spec.quantization != plan.out_type:
                raise UserError(f"The converter wrote a {spec.quantization} GGUF, not {plan.out_type}.")
            os.replace(plan.temporary, plan.out)
        except BaseException:
            _stop(process)
            plan.temporary.unlink(missing_ok=True)
            raise
        finally:
            reader.join(timeout=5)
            if process.stderr is not None:
                process.stderr.close()
        yield Progress(1.0, f"Converted to {plan.out.name} in {time.monotonic() - started:.1f} s")
        return plan.out

    return task


def _read_lines(process: subprocess.Popen[bytes], sink: deque[str]) -> None:
    """Stderr split on newlines and tqdm's carriage returns, appended to ``sink``."""
    assert process.stderr is not None
    buffer = b""
    while chunk := process.stderr.read1(65536) if hasattr(process.stderr, "read1") else process.stderr.read(4096):
        buffer += chunk
        *complete, buffer = re.split(rb"[\r\n]", buffer)
        sink.extend(part.decode("utf-8", "replace") for part in complete if part.strip())
    if buffer.strip():
        sink.append(buffer.decode("utf-8", "replace"))


def _progress_of(line: str, out_type: str) -> Progress | None:
    match = _TENSOR_LINE.match(line)
    if match:
        return Progress(None, f"Reading {match.group(1)} ({match.group(2)})")
    match = _WRITING.search(line)
    if match:
        percent = int(match.group(1))
        return Progress(percent / 100, f"Writing the {out_type} GGUF ({percent}%)")
    return None


def _reason(lines: deque[str]) -> str:
    """The converter's last error line (a Python exception's last line, or an ERROR log line)."""
    for line in reversed(lines):
        if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line) or line.startswith("ERROR:"):
            return line.strip()
    return lines[-1].strip() if lines else "it exited without a message"


def _hint(lines: deque[str]) -> str:
    text = "\n".join(lines)
    if "ModuleNotFoundError" in text:
        return INSTALL_HINT
    if "not supported" in text.lower() or "NotImplementedError" in text:
        return "This architecture is not supported by the llama.cpp converter that ships with slmdesk."
    return ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, wait, then kill (no-op once it exited)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(TERMINATE_WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(TERMINATE_WAIT_S)


def run_converter(converter: Path, source: Path, out: Path, out_type: str) -> int:
    """The child's body (``slmdesk convert-hf-child``): run ``convert_hf_to_gguf.py`` in this
    process with its own gguf-py first on ``sys.path``. The Llama converter imports sentencepiece
    before it checks for a ``tokenizer.model`` (``conversion/base.py``,
    ``_create_vocab_sentencepiece``); without that file the check is made first here, so that a
    BPE model (SmolLM2, Llama 3, Qwen) converts without sentencepiece installed. Returns the exit
    status."""
    import runpy

    sys.path[:0] = [str(converter / "gguf-py"), str(converter)]
    for name in [n for n in sys.modules if n == "gguf" or n.startswith("gguf.")]:
        del sys.modules[name]  # an installed gguf-py may be older than the converter's
    from conversion import base  # type: ignore[import-not-found]

    original = base.TextModel._create_vocab_sentencepiece

    def create_vocab_sentencepiece(self: Any) -> Any:
        if not (Path(self.dir_model) / "tokenizer.model").is_file():
            raise FileNotFoundError(f"File not found: {Path(self.dir_model) / 'tokenizer.model'}")
        return original(self)

    base.TextModel._create_vocab_sentencepiece = create_vocab_sentencepiece
    sys.argv = [str(converter / "convert_hf_to_gguf.py"), str(source), "--outfile", str(out),
                "--outtype", out_type]
    try:
        runpy.run_path(str(converter / "convert_hf_to_gguf.py"), run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0

