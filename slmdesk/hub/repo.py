"""A Hub model repository as slmdesk shows it before a download: its loadable items (a GGUF
quantization, a split set, an ``mmproj`` projector, an ONNX folder, safetensors weights) with
sizes and LFS SHA-256, its licence and whether it is gated, from one request."""

from __future__ import annotations

import re
import urllib.parse
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from slmdesk.core import serial
from slmdesk.core.errors import UserError
from slmdesk.formats.split import parse_split_name, split_part_name
from slmdesk.hub.errors import check_status, endpoint, hub_call, refuse_if_offline
from slmdesk.hub.search import DEFAULT_TIMEOUT_S
from slmdesk.hub.token import auth_headers, hub_token

ItemKind = Literal["gguf", "onnx", "mmproj", "safetensors"]

REPO_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
"""``owner/name`` as the Hub allows them (letters, digits, ``-``, ``_``, ``.``; no ``..``)."""

COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")

QUANT_RE = re.compile(
    r"^(?:I?Q\d+(?:_[A-Z0-9]+)*|TQ\d+_\d+|MXFP4(?:_MOE)?|BF16|F16|F32|F64|FP16|FP32)$", re.IGNORECASE
)
"""A quantization token in a GGUF file name (``Q4_K_M``, ``IQ2_XS``, ``Q4_K_XL``, ``TQ1_0``,
``BF16``): the names llama.cpp's ``llama_ftype`` and publishers' conventions use (the same
tokens :mod:`slmdesk.formats.naming` stops a display name at)."""

_SAFETENSORS_SHARD_RE = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.safetensors$")
"""``model-00001-of-00002.safetensors`` (transformers' ``save_pretrained`` shard names)."""

_NAME_WORDS_RE = re.compile(r"[-.\s]+")


@dataclass(frozen=True)
class RepoFile:
    """One file of the repository.

    Attributes:
        path: its path in the repository (``/``-separated), as the Hub listed it.
        size_bytes: its size (0 when the Hub did not give one).
        sha256: the LFS SHA-256 (lowercase hex) for an LFS file, else None (small git files).
    """

    path: str
    size_bytes: int
    sha256: str | None

    @property
    def unsafe(self) -> str | None:
        """Why this name must not become a local path (``..``, absolute, ``\\``, NUL...), or None."""
        return unsafe_path_reason(self.path)


@dataclass(frozen=True)
class RepoItem:
    """One thing a person can pick in the repo view: one download, one load.

    Attributes:
        kind: ``"gguf"`` (a model file or split set), ``"mmproj"`` (a GGUF vision/audio projector
            for a multimodal model, not loadable alone), ``"onnx"`` (an ONNX Runtime GenAI folder,
            or one ``.onnx`` model with its external data), ``"safetensors"`` (unquantized weights).
        label: the quantization from the name (``"Q4_K_M"``, ``"F16"``), the ONNX folder's name
            (``"cpu-int4-rtn-block-32"``), else the file's stem.
        files: its files, in order (split parts by part number).
        size_bytes: their total size.
        is_split: a split set (``-00001-of-0000N``), counted as one item.
        first_path: the file to open or pass to :func:`slmdesk.hub.remote_gguf.read_remote_spec`
            (a split set's part 1, even if the listing lacks it; an ONNX folder's path).
        missing_parts: the paths of a split set's parts that the listing does not have.
        problem: why this item cannot be used (an unsafe file name), or None.
    """

    kind: ItemKind
    label: str
    files: tuple[RepoFile, ...]
    size_bytes: int
    is_split: bool
    first_path: str
    missing_parts: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def usable(self) -> bool:
        """Nothing is missing and every name is safe: it can be downloaded and read."""
        return self.problem is None and not self.missing_parts


@dataclass(frozen=True)
class RepoListing:
    """A repository at one commit.

    Attributes:
        repo_id: ``owner/name``.
        commit: the 40-hex commit the listing is of (what downloads and header reads pin).
        license: the model card's licence id (``"apache-2.0"``, ``"gemma"``), None if not given.
        gated: the licence must be accepted on the Hub before files can be downloaded.
        private: only its owners (signed in) can see it.
        items: the loadable items, GGUF first (by size), then mmproj, ONNX, safetensors.
        other_files: every other file (README, config, tokenizer, images...).
    """

    repo_id: str
    commit: str
    license: str | None
    gated: bool
    private: bool
    items: tuple[RepoItem, ...]
    other_files: tuple[RepoFile, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``slmdesk hub files --json`` prints (every field; items with ``usable``)."""
        data: dict[str, Any] = serial.to_builtins(self)
        for item, raw in zip(self.items, data["items"], strict=True):
            raw["usable"] = item.usable
        return data


def unsafe_path_reason(path: str) -> str | None:
    """Why a file name from the Hub must not be joined to a local folder, or None when it is safe.

    Refused: empty, absolute (``/x``, ``C:x``), a ``..`` or ``.`` part, an empty part (``a//b``),
    a backslash, a NUL or other control character.
    """
    if not path:
        return "it has an empty name"
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "its name contains a control character"
    if "\\" in path:
        return "its name contains a backslash"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "its name is an absolute path"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "its name has an empty, '.' or '..' part"
    return None


def gguf_label(path: str) -> str:
    """The quantization in a GGUF file name, upper-case (``"model.q4_k_m.gguf" -> "Q4_K_M"``);
    the last such token wins; without one, the file stem (split suffix removed)."""
    name = PurePosixPath(path).name
    stem = re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE)
    stem = re.sub(r"-\d{5}-of-\d{5}$", "", stem)
    for word in reversed([w for w in _NAME_WORDS_RE.split(stem) if w]):
        if QUANT_RE.match(word):
            return word.upper().replace("FP16", "F16").replace("FP32", "F32")
    return stem or name


def list_repo(repo_id: str, revision: str | None = None,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> RepoListing:
    """List a model repository's files grouped into loadable items.

    One ``GET {HF_ENDPOINT}/api/models/{repo_id}[/revision/{revision}]?blobs=true`` (what
    ``HfApi.model_info(files_metadata=True)`` sends, without its retries), with the token of
    :func:`slmdesk.hub.token.hub_token` when there is one. Safe to call from a worker thread.
    File names from the Hub are not trusted: an item with an unsafe name gets a ``problem``.

    Args:
        repo_id: ``owner/name``.
        revision: a branch, tag or commit; None: the default branch.
        timeout_s: seconds to wait for the connection and for each read.

    Raises:
        HubOffline: offline mode is on; nothing was attempted.
        HubUnreachable: no connection, or no answer within ``timeout_s``.
        HubAccessDenied: a private repository without the right token (the message says what to do).
        HubNotFound: no such repository or revision.
        UserError: a malformed repository id; an error status, or an answer that is not a repository.
    """
    refuse_if_offline("list that repository")
    check_repo_id(repo_id)
    from huggingface_hub import get_session

    base = endpoint()
    url = f"{base}/api/models/{repo_id}"
    if revision:
        url += f"/revision/{urllib.parse.quote(revision, safe='')}"
    token = hub_token()
    with hub_call(timeout_s, "list that repository"):
        response = get_session().get(url, params={"blobs": "true"}, headers=auth_headers(token), timeout=timeout_s)
        check_status(response, f"the listing of {repo_id}", repo_id, token_sent=token is not None)
        try:
            info = response.json()
        except ValueError:
            info = None
    commit = info.get("sha") if isinstance(info, dict) else None
    siblings = info.get("siblings") if isinstance(info, dict) else None
    if not isinstance(commit, str) or not COMMIT_RE.match(commit) or not isinstance(siblings, list):
        raise UserError(f"The Hugging Face Hub at {base} did not answer with a repository for {repo_id}.",
                        "If HF_ENDPOINT is set, check that it names a Hub.")
    assert isinstance(info, dict)
    files = [f for f in (_repo_file(s) for s in siblings) if f is not None]
    items, others = group_files(files)
    return RepoListing(
        repo_id=repo_id, commit=commit, license=_license(info), gated=info.get("gated") not in (None, False),
        private=info.get("private") is True, items=items, other_files=others,
    )


def check_repo_id(repo_id: str) -> None:
    """Raise a UserError unless ``repo_id`` is ``owner/name`` (also keeps it safe in a URL path)."""
    if not REPO_ID_RE.match(repo_id) or ".." in repo_id:
        raise UserError(f"{repo_id!r} is not a Hugging Face repository id.",
                        "Give it as owner/name, for example HuggingFaceTB/SmolLM2-135M-Instruct-GGUF.")


def _repo_file(sibling: Any) -> RepoFile | None:
    """A :class:`RepoFile` from one ``siblings`` entry (``rfilename``, ``size``, ``lfs.sha256``);
    None for an entry without a name."""
    if not isinstance(sibling, dict) or not isinstance(sibling.get("rfilename"), str):
        return None
    size = sibling.get("size")
    lfs = sibling.get("lfs")
    sha = lfs.get("sha256") if isinstance(lfs, dict) else None
    if isinstance(lfs, dict) and isinstance(lfs.get("size"), int) and not isinstance(size, int):
        size = lfs["size"]
    valid_sha = isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha) is not None
    return RepoFile(
        path=sibling["rfilename"],
        size_bytes=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else 0,
        sha256=sha.lower() if valid_sha and isinstance(sha, str) else None,
    )


def _license(info: Mapping[str, Any]) -> str | None:
    card = info.get("cardData")
    value = card.get("license") if isinstance(card, dict) else None
    if isinstance(value, list):
        value = ", ".join(v for v in value if isinstance(v, str)) or None
    if not value:  # the Hub also tags the licence
        tags = info.get("tags")
        value = next((t[8:] for t in tags if isinstance(t, str) and t.startswith("license:")), None) \
            if isinstance(tags, list) else None
    return value if isinstance(value, str) and value else None


def group_files(files: Iterable[RepoFile]) -> tuple[tuple[RepoItem, ...], tuple[RepoFile, ...]]:
    """``(items, other files)`` of a repository's files (the rules in :class:`RepoItem`)."""
    all_files = list(files)
    by_path = {f.path: f for f in all_files}
    used: set[str] = set()
    ggufs: list[RepoItem] = []
    projectors: list[RepoItem] = []

    # GGUF: split parts grouped by (folder, prefix, count); every other .gguf is one item.
    sets: dict[tuple[str, str, int], list[tuple[int, RepoFile]]] = defaultdict(list)
    for f in all_files:
        if not f.path.lower().endswith(".gguf"):
            continue
        pure = PurePosixPath(f.path)
        split = parse_split_name(pure.name)
        if split is not None:
            sets[(str(pure.parent), split.prefix, split.count)].append((split.number, f))
            continue
        used.add(f.path)
        (projectors if _is_mmproj(f.path) else ggufs).append(_item(_gguf_kind(f.path), gguf_label(f.path), [f],
                                                                   False, f.path))
    for (folder, prefix, count), parts in sets.items():
        parts.sort(key=lambda numbered: numbered[0])
        names = [split_part_name(prefix, n, count) for n in range(1, count + 1)]
        paths = [name if folder == "." else f"{folder}/{name}" for name in names]
        listed = [f for _n, f in parts]
        used.update(f.path for f in listed)
        missing = tuple(p for p in paths if p not in by_path)
        item = _item(_gguf_kind(paths[0]), gguf_label(paths[0]), listed, count > 1, paths[0], missing)
        (projectors if item.kind == "mmproj" else ggufs).append(item)

    onnx = _onnx_items(all_files, used)
    safetensors = _safetensors_items(all_files, used)
    ggufs.sort(key=lambda item: (item.size_bytes, item.first_path))
    projectors.sort(key=lambda item: (item.size_bytes, item.first_path))
    others = tuple(f for f in all_files if f.path not in used)
    return (*ggufs, *projectors, *onnx, *safetensors), others


def _is_mmproj(path: str) -> bool:
    return "mmproj" in PurePosixPath(path).name.lower()


def _gguf_kind(path: str) -> ItemKind:
    return "mmproj" if _is_mmproj(path) else "gguf"


def _item(kind: ItemKind, label: str, files: list[RepoFile], is_split: bool, first_path: str,
          missing: tuple[str, ...] = ()) -> RepoItem:
    problems = [f"{f.path!r} cannot be used: {reason}" for f in files if (reason := f.unsafe) is not None]
    return RepoItem(kind=kind, label=label, files=tuple(files), size_bytes=sum(f.size_bytes for f in files),
                    is_split=is_split, first_path=first_path, missing_parts=missing,
                    problem="; ".join(problems) or None)


def _onnx_items(files: list[RepoFile], used: set[str]) -> list[RepoItem]:
    """A folder with ``genai_config.json`` and a ``.onnx`` file is one ONNX Runtime GenAI item
    (all its files, labelled by the folder name); any other ``.onnx`` file is an item with its
    external data (``<name>.onnx.data``, ``<name>.onnx_data*``), labelled by its stem."""
    folders: dict[str, list[RepoFile]] = defaultdict(list)
    for f in files:
        folders[str(PurePosixPath(f.path).parent)].append(f)
    items: list[RepoItem] = []
    for folder, inside in sorted(folders.items()):
        models = [f for f in inside if f.path.lower().endswith(".onnx") and f.path not in used]
        if not models:
            continue
        names = {PurePosixPath(f.path).name for f in inside}
        if "genai_config.json" in names:
            members = [f for f in inside if f.path not in used]
            used.update(f.path for f in members)
            label = PurePosixPath(folder).name if folder != "." else "onnx"
            items.append(_item("onnx", label, members, False, folder))
            continue
        for model in models:
            members = [model, *(f for f in inside if f.path != model.path and f.path.startswith(model.path)
                                and f.path not in used)]
            used.update(f.path for f in members)
            items.append(_item("onnx", PurePosixPath(model.path).stem, members, False, model.path))
    return items


def _safetensors_items(files: list[RepoFile], used: set[str]) -> list[RepoItem]:
    """The ``.safetensors`` files of each folder as one item (shards as a split set)."""
    folders: dict[str, list[RepoFile]] = defaultdict(list)
    for f in files:
        if f.path.lower().endswith(".safetensors") and f.path not in used:
            folders[str(PurePosixPath(f.path).parent)].append(f)
    items: list[RepoItem] = []
    listed = {f.path for f in files}
    for folder, inside in sorted(folders.items()):
        inside.sort(key=lambda f: f.path)
        used.update(f.path for f in inside)
        shard = _SAFETENSORS_SHARD_RE.match(PurePosixPath(inside[0].path).name)
        missing: tuple[str, ...] = ()
        if shard is not None:
            count = int(shard["count"])
            prefix = "" if folder == "." else f"{folder}/"
            expected = [f"{prefix}{shard['prefix']}-{n:05d}-of-{count:05d}.safetensors" for n in range(1, count + 1)]
            missing = tuple(p for p in expected if p not in listed)
        label = PurePosixPath(folder).name if folder != "." else "safetensors"
        items.append(_item("safetensors", label, inside, len(inside) > 1 or shard is not None,
                           inside[0].path, missing))
    return items


__all__ = [
    "ItemKind",
    "RepoFile",
    "RepoItem",
    "RepoListing",
    "check_repo_id",
    "gguf_label",
    "group_files",
    "list_repo",
    "unsafe_path_reason",
]
