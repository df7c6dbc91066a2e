"""Copies of a real GGUF with changed metadata or split into parts (tests only), via gguf-py.

The tensors are copied byte for byte, so llama.cpp loads the copy exactly as the original;
only the key-value metadata differs (the approach of gguf-py's
``gguf/scripts/gguf_new_metadata.py``). ``split`` writes a gguf-split style set
(``<stem>-00001-of-0000N.gguf``...: the first part holds the metadata, every part its
``split.no``/``split.count``/``split.tensors.count``).

Example::

    [copy] = copy_gguf(smollm2_gguf, tmp_path / "blank.gguf", metadata={"tokenizer.chat_template": "  "})
    parts = copy_gguf(smollm2_gguf, tmp_path / "smol.gguf", split=3)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import gguf


def copy_gguf(source: Path, target: Path, *, metadata: Mapping[str, str] | None = None, split: int = 1) -> list[Path]:
    """Copy ``source`` to ``target`` with the string keys in ``metadata`` set (added or
    replaced); with ``split > 1``, as that many parts beside ``target``. Returns the written
    files in order."""
    reader = gguf.GGUFReader(source)
    arch = str(reader.fields[gguf.Keys.General.ARCHITECTURE].contents())
    split_max = math.ceil(len(reader.tensors) / split) if split > 1 else 0
    writer = gguf.GGUFWriter(target, arch, split_max_tensors=split_max)
    changes = dict(metadata or {})
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith(("GGUF.", "split.")):
            continue  # written by GGUFWriter itself
        if field.name in changes:
            writer.add_string(field.name, changes.pop(field.name))
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    for key, value in changes.items():
        writer.add_string(key, value)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return list(writer.format_shard_names(Path(target)))
