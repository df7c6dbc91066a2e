"""ONNX Runtime GenAI model folders: ``genai_config.json`` + ``*.onnx`` (+ ``.onnx.data``) +
tokenizer files, read without loading the model.

``genai_config.json`` is what onnxruntime-genai's model builder writes
(``src/python/py/models/builder.py``, ``make_genai_config``): ``model.type``,
``model.context_length``, ``model.vocab_size``, ``model.bos_token_id``, ``model.eos_token_id``
(int or list), ``model.decoder.{filename, num_hidden_layers, num_attention_heads,
num_key_value_heads, head_size, hidden_size}``, ``search.max_length``. The config does not
record the precision; it is read from the decoder graph (see :func:`graph_precision`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec

GENAI_CONFIG = "genai_config.json"

MAX_CONFIG_BYTES = 16 * 1024 * 1024
"""A genai_config.json / tokenizer_config.json larger than this is not a config."""

MAX_GRAPH_SCAN_BYTES = 64 * 1024 * 1024
"""Only this much of an ``.onnx`` file is scanned for the precision (graphs with external data
are a few MB; an ``.onnx`` holding its weights inline is scanned up to this limit)."""

# ONNX TensorProto.DataType numbers (onnx/onnx.proto) -> precision names.
_ONNX_ELEM_TYPES: dict[int, str] = {1: "fp32", 10: "fp16", 16: "bf16", 11: "fp64"}

_PRECISION_IN_NAME = re.compile(r"(?<![a-z0-9])(int4|int8|fp16|bf16|fp32|q4|uint4|int16)(?![a-z0-9])", re.I)


class OnnxFolderError(UserError):
    """An ONNX GenAI folder is incomplete or its genai_config.json is unreadable."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint or "Build or download the ONNX model again.")


def is_onnx_folder(path: Path) -> bool:
    """True when ``path`` is a folder holding ``genai_config.json``."""
    return (path / GENAI_CONFIG).is_file()


def _load_json(path: Path, error: type[UserError]) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise error(f"{path.name} is {size} bytes, too large for a config file.")
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise error(f"Cannot read {path}: {exc.strerror}.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path.name} in {path.parent.name} is not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise error(f"{path.name} in {path.parent.name} is nested too deeply.") from exc
    if not isinstance(data, dict):
        raise error(f"{path.name} in {path.parent.name} does not hold a JSON object.")
    return data


def _int(section: Mapping[str, Any], key: str, where: str) -> int | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OnnxFolderError(f"{where}.{key} in {GENAI_CONFIG} is {value!r}, not a count.")
    return value


def token_ids(value: Any) -> tuple[int, ...]:
    """A ``*_token_id`` config value (an id or a list of ids) as a tuple; () for anything else."""
    if isinstance(value, bool):
        return ()
    if isinstance(value, int):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, int) and not isinstance(v, bool))
    return ()


def read_chat_template(folder: Path) -> str | None:
    """The chat template of a model folder: ``chat_template.jinja`` if present, else
    ``tokenizer_config.json["chat_template"]`` (a string, or the ``"default"`` entry of a list
    of ``{"name", "template"}``, as transformers writes it), else None. An empty or
    whitespace-only template is None too: it would drop every message's text."""
    template = _read_chat_template(folder)
    return template if template and template.strip() else None


def _read_chat_template(folder: Path) -> str | None:
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        try:
            return jinja.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    config_path = folder / "tokenizer_config.json"
    if not config_path.is_file():
        return None
    try:
        config = _load_json(config_path, UserError)
    except UserError:
        return None
    template = config.get("chat_template")
    if isinstance(template, str):
        return template
    if isinstance(template, list):
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        chosen = named.get("default")
        return chosen if isinstance(chosen, str) else None
    return None


def graph_precision(onnx_path: Path) -> str | None:
    """Weight precision of a builder-made decoder graph, from bytes of the ``.onnx`` file.

    - ``MatMulNBits`` nodes (int4/int8 weight-only quantization, ``com.microsoft`` domain):
      the ``bits`` attribute, serialized as ``AttributeProto{name: "bits", i: N}``
      (bytes ``0a 04 'bits' 18 N``), gives "int4" (default 4 when absent) or "int8".
    - otherwise the element type of the ``logits`` output (``ValueInfoProto`` ->
      ``TypeProto.tensor_type.elem_type``): float -> "fp32", float16 -> "fp16", bfloat16 -> "bf16".

    Returns None when neither is found. Only the first :data:`MAX_GRAPH_SCAN_BYTES` are read.
    """
    try:
        with open(onnx_path, "rb") as handle:
            data = handle.read(MAX_GRAPH_SCAN_BYTES)
    except OSError:
        return None
    if b"MatMulNBits" in data:
        at = data.find(b"\x0a\x04bits\x18")
        bits = data[at + 7] if at != -1 and at + 7 < len(data) else 4
        return {4: "int4", 8: "int8", 2: "int2"}.get(bits, f"int{bits}")
    at = data.find(b"\x0a\x06logits\x12")
    if at != -1:
        # type (field 2, length-delimited) -> tensor_type (field 1) -> elem_type (field 1, varint)
        pos = at + 9
        pos = _skip_varint(data, pos)
        if pos + 1 < len(data) and data[pos] == 0x0A:
            pos = _skip_varint(data, pos + 1)
            if pos + 1 < len(data) and data[pos] == 0x08:
                return _ONNX_ELEM_TYPES.get(data[pos + 1])
    return None


def _skip_varint(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] & 0x80:
        pos += 1
    return pos + 1


def _precision_from_name(folder: Path) -> str | None:
    match = _PRECISION_IN_NAME.search(folder.name)
    return match.group(1).lower() if match else None


def read_onnx_folder(folder: Path) -> ModelSpec:
    """Read an ONNX Runtime GenAI folder into a :class:`ModelSpec` (no weights are loaded).

    ``files`` are the decoder ``.onnx`` and its external-data files (``<filename>.data`` and
    any other ``*.data`` / ``*.onnx.data`` in the folder); ``weights_bytes`` = their total size.
    ``quantization`` is the precision ("int4", "fp16"...) from :func:`graph_precision`, else a
    precision word in the folder name (the builder's ``cpu-int4-rtn-block-32`` style), else None.
    ``context_length`` is ``model.context_length`` (else ``search.max_length``).

    Raises:
        OnnxFolderError: no or unreadable ``genai_config.json``, missing decoder file, or a
            field with the wrong type.
    """
    config_path = folder / GENAI_CONFIG
    if not config_path.is_file():
        raise OnnxFolderError(f"{folder.name} has no {GENAI_CONFIG}; it is not an ONNX Runtime GenAI model.")
    config = _load_json(config_path, OnnxFolderError)
    model = config.get("model")
    if not isinstance(model, dict):
        raise OnnxFolderError(f"{GENAI_CONFIG} in {folder.name} has no \"model\" section.")
    decoder = model.get("decoder")
    decoder = decoder if isinstance(decoder, dict) else {}
    search_section = config.get("search")
    search: dict[str, Any] = search_section if isinstance(search_section, dict) else {}

    model_type = model.get("type")
    if not isinstance(model_type, str) or not model_type:
        raise OnnxFolderError(f"{GENAI_CONFIG} in {folder.name} has no model.type.")

    filename = decoder.get("filename", "model.onnx")
    if not isinstance(filename, str) or "/" in filename or "\\" in filename or filename.startswith(".."):
        raise OnnxFolderError(f"model.decoder.filename {filename!r} in {folder.name} is not a file name.")
    decoder_path = folder / filename
    if not decoder_path.is_file():
        raise OnnxFolderError(f"{filename} is missing from {folder.name} (named by {GENAI_CONFIG}).")
    files = [decoder_path]
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if entry.is_file())
    except OSError as exc:
        raise OnnxFolderError(f"Cannot list {folder}: {exc.strerror}.") from exc
    for name in names:
        if name.endswith(".data") and name != filename and (folder / name) not in files:
            files.append(folder / name)
    sizes = [p.stat().st_size for p in files]

    n_layer = _int(decoder, "num_hidden_layers", "model.decoder")
    n_head = _int(decoder, "num_attention_heads", "model.decoder")
    n_head_kv = _int(decoder, "num_key_value_heads", "model.decoder")
    if n_head_kv is None:
        n_head_kv = n_head
    hidden = _int(decoder, "hidden_size", "model.decoder")
    head_size = _int(decoder, "head_size", "model.decoder")
    if head_size is None and hidden is not None and n_head:
        head_size = hidden // n_head
    context = _int(model, "context_length", "model")
    if context is None:
        context = _int(search, "max_length", "search")

    sliding = decoder.get("sliding_window")
    window = None
    if isinstance(sliding, dict):
        window = sliding.get("window_size")
    elif isinstance(sliding, int) and not isinstance(sliding, bool):
        window = sliding
    window = window if isinstance(window, int) and not isinstance(window, bool) and window > 0 else None

    eos = token_ids(model.get("eos_token_id"))
    bos = token_ids(model.get("bos_token_id"))

    def per_layer(value: int | None) -> tuple[int, ...]:
        return (value,) * n_layer if value is not None and n_layer is not None else ()

    return ModelSpec(
        format="onnx",
        path=folder,
        files=tuple(files),
        file_bytes=sum(sizes),
        architecture=model_type,
        name=folder.name,
        quantization=graph_precision(decoder_path) or _precision_from_name(folder),
        weights_bytes=sum(sizes),
        n_layer=n_layer,
        context_length=context,
        n_embd=hidden,
        n_head=per_layer(n_head),
        n_head_kv=per_layer(n_head_kv),
        head_dim_k=head_size,
        head_dim_v=head_size,
        sliding_window=window,
        n_vocab=_int(model, "vocab_size", "model"),
        chat_template=read_chat_template(folder),
        bos_token_id=bos[0] if bos else None,
        eos_token_id=eos[0] if eos else None,
        eog_token_ids=eos,
        metadata=tuple(
            (f"search.{key}", repr(value))
            for key, value in sorted(search.items())
            if isinstance(value, (int, float, bool))
        ),
    )
