"""The shared bundle writer: what a deployment is made from, file names, YAML text, the folder.

Every target module (:mod:`~slmdesk.deploy.ollama`, :mod:`~slmdesk.deploy.llama_server`,
:mod:`~slmdesk.deploy.vllm`) turns one :class:`DeployRequest` into :class:`BundleFile` s; this module
checks their names and writes them into a new folder (:func:`write_bundle`). Nothing here talks to
a network or starts a process: a bundle is text a person reviews and applies.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.model_spec import ModelSpec
from slmdesk.engine.types import SamplingParams

TARGETS = ("ollama", "llama-server", "vllm-compose", "k8s")
"""Deployment targets, in the order the README lists them (the CLI's ``--target`` choices)."""

_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class HostMemory:
    """One machine of a llama.cpp RPC layout.

    Attributes:
        name: host name or IP address the head reaches it by (``--rpc name:port``).
        free_bytes: memory the model may use there (the GPU's free memory, else available RAM).
        port: the ``rpc-server`` port (llama.cpp's default 50052).
        source: where ``free_bytes`` comes from ("given", or the hardware profile's name).
    """

    name: str
    free_bytes: int
    port: int = 50052
    source: str = "given"


@dataclass(frozen=True)
class DeployRequest:
    """Everything a bundle is built from: one model, its load plan and the serving choices.

    Attributes:
        name: the model's display name ("SmolLM2 135M Instruct (Q4_1)").
        spec: header facts of the artifact (:class:`~slmdesk.core.model_spec.ModelSpec`): the
            GGUF file or Hugging Face folder and its sizes.
        plan: the load plan (context, KV type, flash attention, GPU layers, threads).
        sampling: sampling defaults written where the server takes them (the engine's own
            defaults unless the caller has others).
        system_prompt: a system prompt to bake in (Ollama ``SYSTEM``), or None.
        license: the model's licence (SPDX id or name), or None.
        port: the port the server listens on; None = each target's usual one
            (Ollama 11434, llama-server 8080, vLLM 8000).
        hosts: the machines of a llama.cpp RPC layout, head first; empty for one machine.
        hf_repo: the Hugging Face repo id vLLM serves ("HuggingFaceTB/SmolLM2-135M-Instruct");
            None: the artifact's own folder when it is a Hugging Face folder.
        ollama_from: an Ollama model name ("smollm2:135m") to build ``FROM`` instead of the file.
        estimated_gpu_layers: the fit estimator's GPU layer count for "automatic" plans.
        vllm_image: the container image of vLLM's OpenAI-compatible server.
    """

    name: str
    spec: ModelSpec
    plan: LoadPlan
    sampling: SamplingParams = field(default_factory=SamplingParams)
    system_prompt: str | None = None
    license: str | None = None
    port: int | None = None
    hosts: tuple[HostMemory, ...] = ()
    hf_repo: str | None = None
    ollama_from: str | None = None
    estimated_gpu_layers: int | None = None
    vllm_image: str = "vllm/vllm-openai:v0.11.0"

    def __post_init__(self) -> None:
        if self.port is not None and not 1 <= self.port <= 65535:
            raise UserError(f"Port {self.port} is not a TCP port.", "Use a port between 1 and 65535.")

    @property
    def slug(self) -> str:
        """A name for files, services and Kubernetes objects: lower case letters, digits and
        dashes, at most 40 characters, starting with a letter ("smollm2-135m-instruct-q4-1")."""
        return slugify(self.name)


@dataclass(frozen=True)
class BundleFile:
    """One file of a bundle: a relative POSIX path, its text, and whether it is executable."""

    path: str
    text: str
    executable: bool = False


@dataclass(frozen=True)
class Bundle:
    """A target's files and its section of the README (Markdown, starting with a ``##`` title)."""

    target: str
    files: tuple[BundleFile, ...]
    readme: str


def slugify(name: str, limit: int = 40) -> str:
    """``name`` as a DNS-1123 label (lower case ``[a-z0-9-]``, starting with a letter, at most
    ``limit`` characters): Kubernetes object names, Compose services, Ollama model names and
    systemd units accept it."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = f"model-{slug}".rstrip("-")
    return slug[:limit].rstrip("-")


def check_relative_path(path: str) -> PurePosixPath:
    """``path`` when it is a safe relative file name inside a bundle: parts of letters, digits,
    ``.``, ``_`` and ``-``, none starting with a dot or dash, no ``..``.

    Raises:
        UserError: an absolute path, an empty or unsafe part.
    """
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or any(not _SAFE_PART.match(part) for part in pure.parts):
        raise UserError(f"{path!r} is not a safe file name for a deployment bundle.")
    return pure


def write_bundle(folder: Path, bundles: Sequence[Bundle], readme: str, force: bool = False) -> list[Path]:
    """Write ``bundles`` and ``readme`` (as ``README.md``) into ``folder``; returns the paths
    written, README first, in order.

    The folder is created; an existing folder must be empty unless ``force`` (then files of the
    same name are replaced and others are left alone). Shell scripts are made executable.

    Raises:
        UserError: a non-empty folder without ``force``, a path that is a file, an unsafe file
            name, two files of the same name, or an OS error (the message names the path).
    """
    folder = folder.expanduser()
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file, not a folder.", "Choose a new folder for the deployment files.")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise UserError(f"{folder} is not empty.", "Choose a new folder, or pass --force to write into it anyway.")
    files = [BundleFile("README.md", readme)] + [item for bundle in bundles for item in bundle.files]
    seen: set[PurePosixPath] = set()
    for item in files:
        relative = check_relative_path(item.path)
        if relative in seen:
            raise UserError(f"Two deployment files are named {item.path}.")
        seen.add(relative)
    written: list[Path] = []
    try:
        for item in files:
            target = folder.joinpath(*PurePosixPath(item.path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.text, encoding="utf-8", newline="\n")
            if item.executable:
                os.chmod(target, 0o755)
            written.append(target)
    except OSError as error:
        raise UserError(f"Cannot write the deployment files into {folder}: {error.strerror or error}.",
                        "Check the folder's permissions and free space.") from error
    return written


# --- YAML text --------------------------------------------------------------------------------
# A small block-style emitter, so that the bundle needs no YAML library at run time. Strings are
# always double-quoted (JSON escapes are valid YAML double-quoted escapes), so no value is ever
# read back as another type ("on", "1e3", "0777").


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", key) and key not in ("y", "n", "on", "off") \
        else json.dumps(key)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            return [pad + "{}"]
        out: list[str] = []
        for key, item in value.items():
            if isinstance(item, Mapping | list | tuple) and item:
                out.append(f"{pad}{_key(str(key))}:")
                out.extend(_lines(item, indent + 2))
            else:
                out.append(f"{pad}{_key(str(key))}: {_inline(item)}")
        return out
    if isinstance(value, list | tuple):
        if not value:
            return [pad + "[]"]
        out = []
        for item in value:
            if isinstance(item, Mapping | list | tuple) and item:
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out.extend(nested[1:])
            else:
                out.append(f"{pad}- {_inline(item)}")
        return out
    return [pad + _scalar(value)]


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return _scalar(value)


def to_yaml(document: Mapping[str, Any], comment: str = "") -> str:
    """``document`` as block-style YAML text, with ``comment`` (lines) as ``#`` lines on top."""
    head = [f"# {line}".rstrip() for line in comment.splitlines()]
    return "\n".join([*head, *_lines(document, 0)]) + "\n"


def yaml_documents(documents: Iterable[tuple[Mapping[str, Any], str]]) -> str:
    """Several ``(document, comment)`` pairs as one multi-document YAML stream (``---``)."""
    return "---\n".join(to_yaml(document, comment) for document, comment in documents)
