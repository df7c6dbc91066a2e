"""Hugging Face model folders: ``config.json`` + ``*.safetensors`` (optionally sharded with
``model.safetensors.index.json``), read from the JSON headers only, never the tensor data.

A safetensors file starts with a little-endian ``u64 N`` and ``N`` bytes of JSON mapping tensor
names to ``{"dtype", "shape", "data_offsets": [begin, end]}`` plus an optional
``"__metadata__"`` (format spec: huggingface/safetensors ``README.md``, "Format").
"""

from __future__ import annotations

import json
import os
import re
import struct
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.onnx_genai import read_chat_template, token_ids

CONFIG = "config.json"
INDEX = "model.safetensors.index.json"

MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024
"""The safetensors library refuses headers above 100 MB (``MAX_HEADER_SIZE``)."""

MAX_CONFIG_BYTES = 16 * 1024 * 1024

# safetensors dtype -> precision word (lower case, the words ONNX/HF users know).
_PRECISION: dict[str, str] = {
    "F64": "fp64",
    "F32": "fp32",
    "F16": "fp16",
    "BF16": "bf16",
    "F8_E4M3": "fp8",
    "F8_E5M2": "fp8",
    "I8": "int8",
    "U8": "uint8",
}
_LAYER_RE = re.compile(r"(?:^|\.)layers\.(\d+)\.")


class HFFolderError(UserError):
    """A Hugging Face model folder is incomplete or has an unreadable config or safetensors header."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint or "Download the model again.")


@dataclass(frozen=True)
class SafetensorsHeader:
    """Tensor facts from one safetensors header.

    Attributes:
        tensors: name -> ``(dtype, shape)``.
        data_bytes: per tensor, ``end - begin`` of its data offsets.
        header_bytes: ``8 + N``: where tensor data starts.
        metadata: the ``__metadata__`` string map (e.g. ``{"format": "pt"}``).
    """

    tensors: Mapping[str, tuple[str, tuple[int, ...]]]
    data_bytes: Mapping[str, int]
    header_bytes: int
    metadata: Mapping[str, str]


def read_safetensors_header(path: Path) -> SafetensorsHeader:
    """Read and check the JSON header of a safetensors file (reads ``8 + N`` bytes only).

    Raises:
        HFFolderError: the file is shorter than its header claims, the header is not a JSON
            object of well-formed tensor entries, or a tensor's data lies past the end of file.
    """
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(8)
            if len(head) < 8:
                raise HFFolderError(f"{path.name} is only {size} bytes: not a safetensors file.")
            (length,) = struct.unpack("<Q", head)
            if length > min(MAX_SAFETENSORS_HEADER, size - 8):
                raise HFFolderError(
                    f"{path.name} claims a {length}-byte header but the file has {size} bytes "
                    "(limit 100 MB): not a valid safetensors file."
                )
            raw = handle.read(length)
    except OSError as exc:
        raise HFFolderError(f"Cannot read {path}: {exc.strerror}.") from exc
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise HFFolderError(f"The header of {path.name} is not valid JSON: {exc}.") from exc
    if not isinstance(header, dict):
        raise HFFolderError(f"The header of {path.name} is not a JSON object.")
    data_size = size - 8 - length
    tensors: dict[str, tuple[str, tuple[int, ...]]] = {}
    data_bytes: dict[str, int] = {}
    metadata: dict[str, str] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            if isinstance(entry, dict):
                metadata = {str(k): str(v) for k, v in entry.items()}
            continue
        try:
            dtype = entry["dtype"]
            shape = tuple(entry["shape"])
            begin, end = entry["data_offsets"]
            valid = (
                isinstance(dtype, str)
                and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
                and isinstance(begin, int)
                and isinstance(end, int)
                and 0 <= begin <= end
            )
        except (KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise HFFolderError(f"Tensor {name!r} in {path.name} has a malformed header entry.")
        if end > data_size:
            raise HFFolderError(
                f"Tensor {name!r} in {path.name} ends at byte {end} of a {data_size}-byte data section: "
                "the file is incomplete."
            )
        tensors[name] = (dtype, shape)
        data_bytes[name] = end - begin
    return SafetensorsHeader(tensors, data_bytes, 8 + length, metadata)


def is_hf_folder(path: Path) -> bool:
    """True when ``path`` holds ``config.json`` and at least one ``.safetensors`` file."""
    if not (path / CONFIG).is_file():
        return False
    try:
        with os.scandir(path) as entries:
            return any(entry.name.endswith(".safetensors") for entry in entries)
    except OSError:
        return False


def _load_json(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise HFFolderError(f"{path.name} in {path.parent.name} is too large for a config file.")
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise HFFolderError(f"Cannot read {path}: {exc.strerror}.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise HFFolderError(f"{path.name} in {path.parent.name} is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise HFFolderError(f"{path.name} in {path.parent.name} does not hold a JSON object.")
    return data


def _shards(folder: Path) -> list[Path]:
    index_path = folder / INDEX
    if index_path.is_file():
        index = _load_json(index_path)
        weight_map = index.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise HFFolderError(f"{INDEX} in {folder.name} has no weight_map.")
        names = sorted({str(v) for v in weight_map.values()})
        for name in names:
            if "/" in name or "\\" in name or name.startswith(".."):
                raise HFFolderError(f"{INDEX} in {folder.name} names {name!r}, which is not a file name.")
            if not (folder / name).is_file():
                raise HFFolderError(f"{name} is missing from {folder.name} (listed in {INDEX}).")
        return [folder / name for name in names]
    try:
        with os.scandir(folder) as entries:
            shards = sorted(
                folder / entry.name for entry in entries if entry.name.endswith(".safetensors") and entry.is_file()
            )
    except OSError as exc:
        raise HFFolderError(f"Cannot list {folder}: {exc.strerror}.") from exc
    if not shards:
        raise HFFolderError(f"{folder.name} has no .safetensors files.")
    return shards


def _count(config: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def _swa(config: Mapping[str, Any], n_layer: int | None) -> tuple[int | None, tuple[bool, ...]]:
    """Sliding window and per-layer flags from ``layer_types`` ("sliding_attention" /
    "full_attention", transformers >= 4.53) or ``sliding_window_pattern`` (older Gemma 3
    configs, same rule as llama.cpp: layer il is SWA iff ``il % n < n - 1``)."""
    window = _count(config, "sliding_window")
    if not window or n_layer is None:
        return None, ()
    layer_types = config.get("layer_types")
    if isinstance(layer_types, list) and len(layer_types) == n_layer:
        flags = tuple(t == "sliding_attention" for t in layer_types)
        return (window, flags) if any(flags) else (None, ())
    pattern = _count(config, "sliding_window_pattern")
    if pattern:
        return window, tuple(il % pattern < pattern - 1 for il in range(n_layer))
    if config.get("use_sliding_window") is False:
        return None, ()
    # Mistral-style configs: one window for every layer.
    return window, (True,) * n_layer


def _quantization(config: Mapping[str, Any], dtypes: Counter[str]) -> str | None:
    quant = config.get("quantization_config")
    if isinstance(quant, dict):
        method = quant.get("quant_method")
        bits = quant.get("bits")
        if isinstance(method, str):
            return f"{method}-int{bits}" if isinstance(bits, int) else method
    if not dtypes:
        return None
    dominant = dtypes.most_common(1)[0][0]
    return _PRECISION.get(dominant, dominant.lower())


def read_hf_folder(folder: Path) -> ModelSpec:
    """Read a Hugging Face model folder into a :class:`ModelSpec` from ``config.json`` and the
    safetensors JSON headers.

    ``n_params`` is the sum of tensor element counts, ``weights_bytes`` the sum of tensor data
    sizes, ``quantization`` the ``quantization_config`` method/bits or the dominant dtype by
    bytes ("bf16"); ``tensor_types`` counts tensors per dtype. Nested ``text_config`` values
    (multimodal configs) fill keys the top level lacks.

    Raises:
        HFFolderError: ``config.json`` is missing or invalid, a shard named by the index is
            missing, or a safetensors header is malformed.
    """
    config_path = folder / CONFIG
    if not config_path.is_file():
        raise HFFolderError(f"{folder.name} has no {CONFIG}; it is not a Hugging Face model folder.")
    top = _load_json(config_path)
    config: dict[str, Any] = dict(top)
    text = top.get("text_config")
    if isinstance(text, dict):
        for key, value in text.items():
            config.setdefault(key, value)
    architectures = top.get("architectures")
    arch_class = architectures[0] if isinstance(architectures, list) and architectures else None
    model_type = top.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        model_type = arch_class if isinstance(arch_class, str) else None
    if not model_type:
        raise HFFolderError(f"{CONFIG} in {folder.name} has neither model_type nor architectures.")

    shards = _shards(folder)
    n_params = 0
    weights = 0
    counts: Counter[str] = Counter()
    dtype_bytes: Counter[str] = Counter()
    names: set[str] = set()
    n_layer = _count(config, "num_hidden_layers", "n_layer", "num_layers")
    if n_layer is not None and n_layer > 4096:
        raise HFFolderError(f"{CONFIG} in {folder.name} claims {n_layer} layers.")
    layer_bytes = [0] * (n_layer or 0)
    input_bytes = output_bytes = 0
    for shard in shards:
        header = read_safetensors_header(shard)
        for name, (dtype, shape) in header.tensors.items():
            elements = 1
            for dim in shape:
                elements *= dim
            nbytes = header.data_bytes[name]
            n_params += elements
            weights += nbytes
            counts[dtype] += 1
            dtype_bytes[dtype] += nbytes
            names.add(name)
            match = _LAYER_RE.search(name)
            if match is not None and int(match.group(1)) < len(layer_bytes):
                layer_bytes[int(match.group(1))] += nbytes
            elif "embed_tokens" in name or name.endswith("wte.weight"):
                input_bytes += nbytes
            elif name.startswith("lm_head") or name.endswith(("model.norm.weight", "ln_f.weight")):
                output_bytes += nbytes

    n_head = _count(config, "num_attention_heads", "n_head")
    n_head_kv = _count(config, "num_key_value_heads")
    n_head_kv = n_head if n_head_kv is None else n_head_kv
    hidden = _count(config, "hidden_size", "n_embd", "d_model")
    head_dim = _count(config, "head_dim")
    if head_dim is None and hidden is not None and n_head:
        head_dim = hidden // n_head
    n_ff = _count(config, "intermediate_size", "n_inner", "ffn_dim")
    window, swa_layers = _swa(config, n_layer)
    bos = token_ids(config.get("bos_token_id"))
    eos = token_ids(config.get("eos_token_id"))
    tied = config.get("tie_word_embeddings")
    has_lm_head = any(name.startswith("lm_head") or name.endswith(".lm_head.weight") for name in names)

    def per_layer(value: int | None) -> tuple[int, ...]:
        return (value,) * n_layer if value is not None and n_layer is not None else ()

    metadata = [
        (key, str(top[key]))
        for key in ("torch_dtype", "dtype", "transformers_version", "rope_theta")
        if key in top and isinstance(top[key], (str, int, float))
    ]
    return ModelSpec(
        format="hf",
        path=folder,
        files=tuple(shards),
        file_bytes=sum(p.stat().st_size for p in shards),
        architecture=model_type,
        name=folder.name,
        n_params=n_params,
        quantization=_quantization(config, dtype_bytes),
        tensor_types=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        weights_bytes=weights,
        n_layer=n_layer,
        context_length=_count(config, "max_position_embeddings", "n_positions", "max_sequence_length"),
        n_embd=hidden,
        n_ff=per_layer(n_ff),
        n_head=per_layer(n_head),
        n_head_kv=per_layer(n_head_kv),
        head_dim_k=head_dim,
        head_dim_v=head_dim,
        sliding_window=window,
        swa_layers=swa_layers,
        n_vocab=_count(config, "vocab_size"),
        chat_template=read_chat_template(folder),
        bos_token_id=bos[0] if bos else None,
        eos_token_id=eos[0] if eos else None,
        eog_token_ids=eos,
        layer_weights_bytes=tuple(layer_bytes),
        input_weights_bytes=input_bytes,
        output_weights_bytes=output_bytes,
        tied_embeddings=bool(tied) if isinstance(tied, bool) else not has_lm_head,
        metadata=(*metadata, ("architectures", str(arch_class))) if arch_class else tuple(metadata),
    )
