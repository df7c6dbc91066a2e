"""Small synthetic GGUF files written with gguf-py's ``GGUFWriter`` (tests only).

``write_gguf(path, ...)`` writes a llama-shaped model (token embedding, ``n_layer`` blocks of
attention + FFN tensors, output norm, optional output matrix) with zero weights and a tiny
vocabulary. Every hparam the readers and the fit estimator use is a keyword. Tensors are
tiny (``n_embd`` 64 by default); quantized ``tensor_type`` values need ``n_embd`` and ``n_ff``
to be multiples of the type's block size (32 for Q8_0/Q4_0, 256 for K-quants).

Example::

    from tests.gguf_factory import write_gguf
    [path] = write_gguf(tmp_path / "toy.gguf", arch="gemma3", n_layer=12, sliding_window=512)
    parts = write_gguf(tmp_path / "big.gguf", split=3)   # big-00001-of-00003.gguf ...
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gguf
import numpy as np

SPECIAL_TOKENS = ("<unk>", "<s>", "</s>")
"""Token ids 0, 1, 2: unknown, BOS, EOS."""


def _tensor(shape_out_in: tuple[int, ...], type_name: str) -> tuple[np.ndarray, gguf.GGMLQuantizationType | None]:
    """A zero tensor of numpy shape ``(out, in)`` (GGUF ``ne = (in, out)``) in ``type_name``."""
    if type_name == "F32":
        return np.zeros(shape_out_in, dtype=np.float32), None
    if type_name == "F16":
        return np.zeros(shape_out_in, dtype=np.float16), None
    qtype = gguf.GGMLQuantizationType[type_name]
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    *outer, inner = shape_out_in
    if inner % block:
        raise ValueError(f"{type_name} needs rows that are multiples of {block}, got {inner}")
    return np.zeros((*outer, inner // block * size), dtype=np.uint8), qtype


def write_gguf(
    path: Path,
    *,
    arch: str = "llama",
    name: str | None = "Toy",
    size_label: str | None = None,
    n_layer: int = 2,
    n_embd: int = 64,
    n_head: int | Sequence[int] = 4,
    n_head_kv: int | Sequence[int] | None = 2,
    n_ff: int | Sequence[int] = 128,
    context_length: int = 512,
    key_length: int | None = None,
    value_length: int | None = None,
    sliding_window: int | None = None,
    swa_pattern: int | Sequence[bool] | None = None,
    n_vocab: int = 32,
    vocab_size_key: bool = True,
    extra_tokens: Sequence[str] = (),
    n_merges: int = 0,
    chat_template: str | None = None,
    bos_token_id: int | None = 1,
    eos_token_id: int | None = 2,
    eot_token_id: int | None = None,
    file_type: int | None = None,
    tensor_type: str = "F32",
    tied: bool = True,
    split: int = 1,
    alignment: int | None = None,
    extra_kv: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write a synthetic GGUF model and return the written file(s) in order.

    Args:
        path: target; with ``split > 1`` the parts are ``<stem>-0000i-of-0000N.gguf`` beside it.
        arch: ``general.architecture``; every hparam key is written under it.
        n_head, n_head_kv, n_ff: a scalar or one value per layer (written as an array);
            ``n_head_kv=None`` omits the key (readers must default to ``n_head``).
        key_length / value_length: ``attention.key_length/value_length`` (omitted if None);
            the attention tensors use ``key_length or n_embd // n_head``.
        sliding_window / swa_pattern: ``attention.sliding_window`` and
            ``attention.sliding_window_pattern`` (int or bool per layer), omitted when None.
        n_vocab: tokens in ``tokenizer.ggml.tokens`` (ids 0-2 are ``<unk> <s> </s>``, then
            ``extra_tokens``, then fillers); ``vocab_size_key`` also writes ``{arch}.vocab_size``.
        n_merges: length of ``tokenizer.ggml.merges`` (omitted when 0).
        file_type: ``general.file_type`` (``gguf.LlamaFileType`` number), omitted when None.
        tensor_type: ggml type of the 2-D weights ("F32", "F16", "Q8_0", "Q4_0", "Q4_K"...);
            norms stay F32.
        tied: when False an ``output.weight`` tensor is written.
        split: number of parts (tensors are spread evenly; the first part holds the metadata).
        alignment: ``general.alignment`` (omitted when None: 32).
        extra_kv: more keys; values typed by Python type (str, bool, int -> u32, float -> f32,
            list -> array).
    """
    n_heads = [n_head] * n_layer if isinstance(n_head, int) else list(n_head)
    head_dim = key_length or n_embd // n_heads[0]
    if n_head_kv is None:
        kv_heads = n_heads
    else:
        kv_heads = [n_head_kv] * n_layer if isinstance(n_head_kv, int) else list(n_head_kv)
    ffs = [n_ff] * n_layer if isinstance(n_ff, int) else list(n_ff)

    tensors: list[tuple[str, tuple[int, ...], str]] = [("token_embd.weight", (n_vocab, n_embd), tensor_type)]
    for il in range(n_layer):
        p = f"blk.{il}."
        tensors += [
            (p + "attn_norm.weight", (n_embd,), "F32"),
            (p + "attn_q.weight", (n_heads[il] * head_dim, n_embd), tensor_type),
            (p + "attn_k.weight", (max(kv_heads[il], 1) * head_dim, n_embd), tensor_type),
            (p + "attn_v.weight", (max(kv_heads[il], 1) * (value_length or head_dim), n_embd), tensor_type),
            (p + "attn_output.weight", (n_embd, n_heads[il] * (value_length or head_dim)), tensor_type),
            (p + "ffn_norm.weight", (n_embd,), "F32"),
            (p + "ffn_gate.weight", (ffs[il], n_embd), tensor_type),
            (p + "ffn_up.weight", (ffs[il], n_embd), tensor_type),
            (p + "ffn_down.weight", (n_embd, ffs[il]), tensor_type),
        ]
    tensors.append(("output_norm.weight", (n_embd,), "F32"))
    if not tied:
        tensors.append(("output.weight", (n_vocab, n_embd), tensor_type))

    split_max = math.ceil(len(tensors) / split) if split > 1 else 0
    writer = gguf.GGUFWriter(path, arch, split_max_tensors=split_max)
    if alignment is not None:
        writer.add_custom_alignment(alignment)
    if name is not None:
        writer.add_name(name)
    if size_label is not None:
        writer.add_size_label(size_label)
    writer.add_block_count(n_layer)
    writer.add_context_length(context_length)
    writer.add_embedding_length(n_embd)
    writer.add_feed_forward_length(n_ff if isinstance(n_ff, int) else list(n_ff))
    writer.add_head_count(n_head if isinstance(n_head, int) else list(n_head))
    if n_head_kv is not None:
        writer.add_head_count_kv(n_head_kv if isinstance(n_head_kv, int) else list(n_head_kv))
    if key_length is not None:
        writer.add_key_length(key_length)
    if value_length is not None:
        writer.add_value_length(value_length)
    if sliding_window is not None:
        writer.add_sliding_window(sliding_window)
    if swa_pattern is not None:
        writer.add_sliding_window_pattern(swa_pattern if isinstance(swa_pattern, int) else list(swa_pattern))
    writer.add_rope_dimension_count(head_dim)
    writer.add_layer_norm_rms_eps(1e-5)
    if file_type is not None:
        writer.add_file_type(file_type)
    if vocab_size_key:
        writer.add_vocab_size(n_vocab)

    tokens = list(SPECIAL_TOKENS) + list(extra_tokens)
    tokens += [f"tok{i}" for i in range(len(tokens), n_vocab)]
    tokens = tokens[:n_vocab]
    writer.add_tokenizer_model("gpt2" if n_merges else "llama")
    writer.add_token_list(tokens)
    token_types = [
        gguf.TokenType.CONTROL if i < 3 or t in extra_tokens else gguf.TokenType.NORMAL for i, t in enumerate(tokens)
    ]
    writer.add_token_types(token_types)
    if n_merges:
        writer.add_token_merges([f"t{i} m{i}" for i in range(n_merges)])
    if bos_token_id is not None:
        writer.add_bos_token_id(bos_token_id)
    if eos_token_id is not None:
        writer.add_eos_token_id(eos_token_id)
    if eot_token_id is not None:
        writer.add_eot_token_id(eot_token_id)
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    for key, value in (extra_kv or {}).items():
        if isinstance(value, bool):
            writer.add_bool(key, value)
        elif isinstance(value, int):
            writer.add_uint32(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        elif isinstance(value, str):
            writer.add_string(key, value)
        else:
            writer.add_array(key, list(value))

    for tensor_name, shape, type_name in tensors:
        data, raw_dtype = _tensor(shape, type_name)
        writer.add_tensor(tensor_name, data, raw_dtype=raw_dtype)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return writer.format_shard_names(Path(path))
