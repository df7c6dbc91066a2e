"""The quantization types slmdesk offers for GGUF and the per-tensor types llama.cpp picks for each.

The ftype numbers and names are :data:`slmdesk.core.quant_types.FILE_TYPE_NAMES` (``llama_ftype``);
the offered list, its order and the descriptions follow ``tools/quantize/quantize.cpp``
(``QUANT_OPTIONS``) of llama.cpp 0c1e57098, the commit llama-cpp-python 0.3.36 vendors.
:func:`tensor_types` ports ``src/llama-quant.cpp`` of that commit (``tensor_allows_quantization``,
``llama_tensor_get_type_impl``, ``tensor_type_fallback``, ``tensor_requires_imatrix``) for the
architectures slmdesk meets (dense and MoE transformers; the GLM5-next and MXFP4 special cases are
left out), so that an output size is predicted from the source's header alone, before anything
runs (:func:`predicted_size`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from slmdesk.core.quant_types import FILE_TYPE_NAMES, GGML_TYPES, GGML_TYPES_BY_NAME
from slmdesk.formats.gguf_header import (
    SCALAR_BYTES,
    T_ARRAY,
    T_STRING,
    T_UINT8,
    GGUFArray,
    GGUFHeader,
    GGUFTensorInfo,
    GGUFValue,
)


@dataclass(frozen=True)
class QuantType:
    """One quantization type a GGUF can be converted to.

    Attributes:
        name: llama-quantize's name ("Q4_K_M").
        ftype: the ``llama_ftype`` number (``general.file_type`` of the output).
        default_tensor: the ggml type most weights get (``llama_ftype_get_default_type``).
        needs_imatrix: llama.cpp refuses it without an importance matrix (field notes 2.1).
        description: bits per weight and the perplexity cost llama.cpp quotes.
        moe_only: meant for mixture-of-experts models only.
        ternary_only: meant for ternary (BitNet-style) models; others lose their quality.
    """

    name: str
    ftype: int
    default_tensor: str
    needs_imatrix: bool
    description: str
    moe_only: bool = False
    ternary_only: bool = False


_FTYPE = {name: number for number, name in FILE_TYPE_NAMES.items()}

# (name, default tensor type, needs imatrix, description) in llama-quantize's order, biggest first.
_OFFERED: tuple[tuple[str, str, bool, str], ...] = (
    ("F16", "F16", False, "16-bit float, no quantization loss"),
    ("BF16", "BF16", False, "bfloat16, no quantization loss"),
    ("Q8_0", "Q8_0", False, "8.5 bpw, +0.0026 ppl @ Llama-3-8B"),
    ("Q6_K", "Q6_K", False, "6.6 bpw, +0.0217 ppl @ Llama-3-8B"),
    ("Q5_K_M", "Q5_K", False, "5.7 bpw, +0.0569 ppl @ Llama-3-8B"),
    ("Q5_K_S", "Q5_K", False, "5.5 bpw, +0.1049 ppl @ Llama-3-8B"),
    ("Q5_1", "Q5_1", False, "6.0 bpw, +0.1062 ppl @ Llama-3-8B"),
    ("Q5_0", "Q5_0", False, "5.5 bpw, +0.1316 ppl @ Llama-3-8B"),
    ("Q4_K_M", "Q4_K", False, "4.9 bpw, +0.1754 ppl @ Llama-3-8B"),
    ("Q4_K_S", "Q4_K", False, "4.6 bpw, +0.2689 ppl @ Llama-3-8B"),
    ("Q4_1", "Q4_1", False, "5.0 bpw, +0.4511 ppl @ Llama-3-8B"),
    ("Q4_0", "Q4_0", False, "4.5 bpw, +0.4685 ppl @ Llama-3-8B"),
    ("IQ4_XS", "IQ4_XS", False, "4.25 bpw non-linear"),
    ("IQ4_NL", "IQ4_NL", False, "4.50 bpw non-linear"),
    ("Q3_K_L", "Q3_K", False, "4.3 bpw, +0.5562 ppl @ Llama-3-8B"),
    ("Q3_K_M", "Q3_K", False, "4.0 bpw, +0.6569 ppl @ Llama-3-8B"),
    ("Q3_K_S", "Q3_K", False, "3.6 bpw, +1.6321 ppl @ Llama-3-8B"),
    ("IQ3_M", "IQ3_S", False, "3.66 bpw mix"),
    ("IQ3_S", "IQ3_S", False, "3.44 bpw"),
    ("IQ3_XS", "IQ3_S", True, "3.3 bpw, needs an importance matrix (its attn_q/attn_k are IQ3_XXS)"),
    ("IQ3_XXS", "IQ3_XXS", True, "3.06 bpw, needs an importance matrix"),
    ("Q2_K", "Q2_K", False, "3.2 bpw, +3.5199 ppl @ Llama-3-8B"),
    ("Q2_K_S", "Q2_K", True, "3.2 bpw, +3.1836 ppl @ Llama-3-8B, needs an importance matrix"),
    ("IQ2_M", "IQ2_S", True, "2.7 bpw, needs an importance matrix"),
    ("IQ2_S", "IQ2_XS", True, "2.5 bpw, needs an importance matrix"),
    ("IQ2_XS", "IQ2_XS", True, "2.31 bpw, needs an importance matrix"),
    ("IQ2_XXS", "IQ2_XXS", True, "2.06 bpw, needs an importance matrix"),
    ("IQ1_M", "IQ1_M", True, "1.75 bpw, needs an importance matrix"),
    ("IQ1_S", "IQ1_S", True, "1.56 bpw, needs an importance matrix"),
    ("TQ2_0", "TQ2_0", False, "2.06 bpw ternary, for ternary (BitNet) models only"),
    ("TQ1_0", "TQ1_0", False, "1.69 bpw ternary, for ternary (BitNet) models only"),
    ("MXFP4_MOE", "MXFP4", False, "MXFP4 experts, Q8_0 elsewhere, for mixture-of-experts models only"),
)

QUANT_TYPES: dict[str, QuantType] = {
    name: QuantType(name, _FTYPE[name], tensor, imatrix, description,
                    moe_only=name == "MXFP4_MOE", ternary_only=name.startswith("TQ"))
    for name, tensor, imatrix, description in _OFFERED
}
"""Offered types by name, biggest first. ``needs_imatrix`` is the type's rule of thumb; whether a
given model needs one is decided per tensor by :func:`needs_imatrix` (a tensor whose rows fall
back to IQ4_NL or Q4_0 needs none)."""

ALIASES = {"Q3_K": "Q3_K_M", "Q4_K": "Q4_K_M", "Q5_K": "Q5_K_M"}
"""llama-quantize's alias names."""

IMATRIX_TENSOR_TYPES = frozenset({"IQ3_XXS", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ1_M", "IQ1_S"})
"""Tensor types that always need an importance matrix (``tensor_requires_imatrix``)."""


def quant_type(name: str) -> QuantType | None:
    """The offered type named ``name`` (any case; aliases "Q4_K" -> "Q4_K_M"), or None."""
    key = name.strip().upper()
    return QUANT_TYPES.get(ALIASES.get(key, key))


@dataclass(frozen=True)
class ModelShape:
    """What llama.cpp's type choice reads from the model: its architecture and hyperparameters."""

    arch: str
    n_layer: int
    n_head: int
    n_head_kv: int
    n_expert: int

    @property
    def n_gqa(self) -> int:
        """Query heads per KV head (``hparams.n_gqa()``); 0 without head counts."""
        return self.n_head // self.n_head_kv if self.n_head and self.n_head_kv else 0

    @classmethod
    def of(cls, header: GGUFHeader) -> ModelShape:
        """Read from a GGUF header (``<arch>.block_count``, ``.attention.head_count(_kv)``,
        ``.expert_count``; per-layer arrays count by their largest value)."""
        arch_value = header.kv.get("general.architecture")
        arch = str(arch_value.value) if arch_value is not None else ""

        def integer(key: str) -> int:
            value = header.kv.get(f"{arch}.{key}")
            if value is None:
                return 0
            raw = value.value
            if isinstance(raw, (list, tuple)):
                return max((int(v) for v in raw), default=0)
            return int(raw) if isinstance(raw, (int, float)) else 0

        return cls(arch, integer("block_count"), integer("attention.head_count"),
                   integer("attention.head_count_kv"), integer("expert_count"))


_NOT_QUANTIZED_PARTS = (
    "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
    "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
    "indexer.q_proj.weight", "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
    "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight",
    "time_mix_a0.weight", "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight",
    "time_mix_g2.weight", "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
    "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.",
    "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
)


def _n_dims(shape: Sequence[int]) -> int:
    """``ggml_n_dims``: dimensions up to the last one above 1 (at least 1)."""
    dims = len(shape)
    while dims > 1 and shape[dims - 1] == 1:
        dims -= 1
    return dims


def allows_quantization(tensor: GGUFTensorInfo) -> bool:
    """``tensor_allows_quantization`` with the default parameters (output tensor quantized)."""
    name = tensor.name
    if _n_dims(tensor.shape) < 2 or not name.endswith("weight"):
        return False
    if name in ("position_embd.weight", "token_types.weight"):
        return False
    return not any(part in name for part in _NOT_QUANTIZED_PARTS)


def _category(name: str) -> str:
    if name == "output.weight":
        return "output"
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return "token_embd"
    for part, category in (("attn_qkv.weight", "attn_qkv"), ("attn_kv_b.weight", "attn_kv_b"),
                           ("attn_v.weight", "attn_v"), ("attn_k.weight", "attn_k"),
                           ("attn_q.weight", "attn_q"), ("attn_output.weight", "attn_output"),
                           ("ffn_up", "ffn_up"), ("ffn_gate", "ffn_gate"), ("ffn_down", "ffn_down")):
        if part in name:
            return category
    return "other"


def _use_more_bits(i_layer: int, n_layers: int) -> bool:
    return i_layer < n_layers // 8 or i_layer >= 7 * n_layers // 8 or (i_layer - n_layers // 8) % 3 == 2


def _fallback(ncols: int, target: str) -> str:
    """``tensor_type_fallback``: a type whose block divides the row length."""
    if ncols % GGML_TYPES_BY_NAME[target].block_size == 0:
        return target
    fallback = {
        "IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL", "IQ2_S": "IQ4_NL",
        "IQ3_XXS": "IQ4_NL", "IQ3_S": "IQ4_NL", "IQ4_XS": "IQ4_NL", "Q2_K": "Q4_0", "Q3_K": "Q4_0",
        "TQ1_0": "Q4_0", "TQ2_0": "Q4_0", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0",
    }.get(target, target)
    return fallback if ncols % GGML_TYPES_BY_NAME[fallback].block_size == 0 else "F16"


class _State:
    """``quantize_state_impl``'s counters."""

    def __init__(self, tensors: Sequence[GGUFTensorInfo], shape: ModelShape, has_imatrix: bool) -> None:
        self.shape = shape
        self.has_imatrix = has_imatrix
        categories = [_category(t.name) for t in tensors]
        self.n_attention_wv = sum(c in ("attn_v", "attn_qkv", "attn_kv_b") for c in categories)
        self.tied = "output" not in categories
        self.n_ffn = shape.n_layer
        self.i_attention_wv = self.i_ffn_down = self.i_ffn_gate = self.i_ffn_up = 0

    def layer(self, counter: int, name: str) -> int:
        if self.shape.n_expert > 1 and name.startswith("blk."):
            return int(name.split(".")[1])
        return counter


def _choose(state: _State, new: str, tensor: GGUFTensorInfo, ftype: str, category: str) -> str:
    """``llama_tensor_get_type_impl`` (its order of tests kept, so that it reads side by side)."""
    shape, gqa, n_expert = state.shape, state.shape.n_gqa, state.shape.n_expert
    very_low = ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M")
    if category == "output" or (state.tied and category == "token_embd"):
        ncols = tensor.shape[0]
        if ftype == "MXFP4_MOE" or shape.arch == "falcon" or ncols % GGML_TYPES_BY_NAME[new].block_size:
            return "Q8_0"
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"):
            return "Q5_K"
        return new if new == "Q8_0" else "Q6_K"
    if category == "token_embd":
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"):
            return "Q2_K"
        if ftype in ("IQ2_S", "IQ2_M", "IQ3_XXS"):
            return "IQ3_S"
        if ftype in ("TQ1_0", "TQ2_0"):
            return "Q4_K"
        return new
    attn_v = category in ("attn_v", "attn_qkv", "attn_kv_b")
    if ftype in very_low:
        if attn_v:
            state.i_attention_wv += 1
            if gqa >= 4 or n_expert >= 4:
                return "Q4_K"
            return "IQ3_S" if ftype in ("IQ2_S", "IQ2_M") else "Q2_K"
        if n_expert == 8 and category == "attn_k":
            return "Q4_K"
        if category == "ffn_down":
            if state.i_ffn_down < state.n_ffn // 8:
                new = "IQ3_S" if ftype in ("IQ2_S", "IQ2_M") else "Q2_K"
            state.i_ffn_down += 1
            return new
        if category == "attn_output":
            if n_expert == 8:
                return "Q5_K"
            if ftype in ("IQ1_S", "IQ1_M"):
                return "IQ2_XXS"
            if ftype in ("IQ2_S", "IQ2_M"):
                return "IQ3_S"
        return new
    if attn_v:
        i = state.i_attention_wv
        if ftype == "Q2_K":
            new = "Q4_K" if gqa >= 4 else "Q3_K"
        elif ftype == "Q2_K_S" and gqa >= 4:
            new = "Q4_K"
        elif ftype == "IQ3_XXS":
            new = "Q4_K" if gqa >= 4 else ("IQ3_S" if not state.has_imatrix else "IQ3_XXS")
        elif (ftype in ("IQ3_XS", "IQ3_S") and gqa >= 4) or ftype == "IQ3_M":
            new = "Q4_K"
        elif ftype == "Q3_K_M":
            new = "Q5_K" if i < 2 else "Q4_K"
        elif ftype == "Q3_K_L" or (ftype in ("IQ4_NL", "IQ4_XS") and gqa >= 4):
            new = "Q5_K"
        elif ftype in ("Q4_K_M", "Q5_K_M") and _use_more_bits(i, state.n_attention_wv):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and i < 4:
            new = "Q5_K"
        if shape.arch == "llama" and shape.n_layer == 80 and new in ("Q3_K", "Q4_K"):  # LLM_TYPE_70B
            new = "Q5_K"
        if n_expert == 8:
            new = "Q8_0"
        state.i_attention_wv += 1
        return new
    if category == "attn_k":
        if n_expert == 8:
            return "Q8_0"
        return {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(ftype, new)
    if category == "attn_q":
        return {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(ftype, new)
    if category == "ffn_down":
        i_layer, n_layer = state.layer(state.i_ffn_down, tensor.name), state.n_ffn
        falcon = shape.arch == "falcon"
        if ftype == "Q2_K":
            new = "Q3_K"
        elif ftype == "Q2_K_S":
            if i_layer < n_layer // 8:
                new = "Q4_K"
        elif ftype == "IQ3_XXS" and not state.has_imatrix:
            new = "Q4_K" if i_layer < n_layer // 8 else "Q3_K"
        elif ftype == "Q3_K_M":
            new = ("Q5_K" if i_layer < n_layer // 16
                   else "Q4_K" if not falcon or _use_more_bits(i_layer, n_layer) else "Q3_K")
        elif ftype == "IQ3_M" and (i_layer < n_layer // 8 or (n_expert == 8 and _use_more_bits(i_layer, n_layer))):
            new = "Q4_K"
        elif ftype == "Q3_K_L":
            new = "Q4_K" if falcon else "Q5_K"
        elif ftype == "Q4_K_M":
            if falcon:
                new = ("Q6_K" if i_layer < n_layer // 16
                       else "Q5_K" if _use_more_bits(i_layer, n_layer) else "Q4_K")
            elif _use_more_bits(i_layer, n_layer):
                new = "Q6_K"
        elif i_layer < n_layer // 8 and ftype in ("IQ4_NL", "IQ4_XS") and not state.has_imatrix:
            new = "Q5_K"
        elif ftype == "Q5_K_M" and _use_more_bits(i_layer, n_layer):
            new = "Q6_K"
        elif ftype == "Q4_K_S" and not falcon and i_layer < n_layer // 8:
            new = "Q5_K"
        elif ftype in ("Q4_0", "Q5_0") and state.has_imatrix and i_layer < n_layer // 8:
            new = "Q4_1" if ftype == "Q4_0" else "Q5_1"
        state.i_ffn_down += 1
        return new
    if category == "attn_output":
        if shape.arch != "falcon":
            if n_expert == 8:
                if ftype in ("Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M",
                             "IQ3_S", "IQ3_M", "IQ4_XS"):
                    return "Q5_K"
                return new
            return {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K",
                    "IQ3_M": "Q4_K"}.get(ftype, new)
        return "Q4_K" if ftype == "Q3_K_L" else new
    if category == "attn_qkv":  # unreachable: attn_qkv is handled with attn_v above, as in llama.cpp
        return new
    if category in ("ffn_gate", "ffn_up"):
        counter = state.i_ffn_gate if category == "ffn_gate" else state.i_ffn_up
        i_layer, n_layer = state.layer(counter, tensor.name), state.n_ffn
        if ftype == "IQ3_XS" and n_layer // 8 <= i_layer < 7 * n_layer // 8:
            new = "IQ3_XXS"
        if category == "ffn_gate":
            state.i_ffn_gate += 1
        else:
            state.i_ffn_up += 1
        return new
    return new


def tensor_types(header: GGUFHeader, type_name: str, has_imatrix: bool = False) -> dict[str, str]:
    """Each tensor's ggml type name after quantizing to ``type_name``, as llama.cpp 0c1e57098
    chooses it with default parameters (file order). Tensors it leaves alone keep their type.

    Raises:
        KeyError: ``type_name`` is not offered (:data:`QUANT_TYPES`).
    """
    quant = QUANT_TYPES[type_name]
    shape = ModelShape.of(header)
    state = _State(header.tensors, shape, has_imatrix)
    default_quantized = GGML_TYPES_BY_NAME[quant.default_tensor].block_size > 1
    chosen: dict[str, str] = {}
    for tensor in header.tensors:
        current = GGML_TYPES[tensor.ggml_type].name if tensor.ggml_type in GGML_TYPES else "F32"
        if not allows_quantization(tensor):
            chosen[tensor.name] = current
            continue
        new = quant.default_tensor
        if default_quantized:
            new = _choose(state, new, tensor, quant.name, _category(tensor.name))
            new = _fallback(tensor.shape[0], new)
        chosen[tensor.name] = new
    return chosen


def needs_imatrix(header: GGUFHeader, type_name: str) -> list[str]:
    """Names of the tensors that would need an importance matrix (``tensor_requires_imatrix``)."""
    result = []
    for name, ggml in tensor_types(header, type_name).items():
        if name in ("token_embd.weight", "per_layer_token_embd.weight", "output.weight"):
            continue
        if ggml in IMATRIX_TENSOR_TYPES or (ggml == "Q2_K" and type_name == "Q2_K_S"):
            result.append(name)
    return result


def _pad(size: int, alignment: int) -> int:
    return (size + alignment - 1) // alignment * alignment


_ADDED_KEYS = ("general.quantization_version", "general.file_type")
"""u32 keys ``llama_model_quantize_impl`` sets on the output; the split keys it removes."""
_REMOVED_KEYS = ("split.no", "split.count", "split.tensors.count")


def _value_bytes(key: str, value: GGUFValue) -> int:
    """Bytes of one key-value pair as GGUF stores it (key length, key, type, value)."""
    size = 8 + len(key.encode()) + 4
    if value.type == T_STRING:
        return size + 8 + len(str(value.value).encode())
    if value.type == T_ARRAY:
        if isinstance(value.value, GGUFArray):
            return size + value.value.end - value.value.offset + 12  # item type, count, items
        items = value.value
        if value.item_type == T_STRING:
            return size + 12 + sum(8 + len(str(item).encode()) for item in items)
        return size + 12 + len(items) * SCALAR_BYTES[value.item_type or T_UINT8]
    return size + SCALAR_BYTES[value.type]


def metadata_bytes(header: GGUFHeader) -> int:
    """The output's metadata section in bytes (padded): the source's keys with
    ``general.quantization_version`` and ``general.file_type`` set and the split keys removed,
    then the tensor infos (``name``, ``n_dims``, ``ne``, type, offset)."""
    size = 4 + 4 + 8 + 8  # magic, version, tensor count, key-value count
    for key, value in header.kv.items():
        if key not in _REMOVED_KEYS:
            size += 8 + len(key.encode()) + 4 + 4 if key in _ADDED_KEYS else _value_bytes(key, value)
    size += sum(8 + len(key.encode()) + 4 + 4 for key in _ADDED_KEYS if key not in header.kv)
    size += sum(8 + len(t.name.encode()) + 4 + 8 * len(t.shape) + 4 + 8 for t in header.tensors)
    return _pad(size, header.alignment)


def predicted_size(header: GGUFHeader, type_name: str, has_imatrix: bool = False,
                   types: Mapping[str, str] | None = None) -> int:
    """The output file's size in bytes: the metadata section (:func:`metadata_bytes`) plus each
    tensor's new size, padded to the alignment as ``llama_model_quantize`` writes it
    (``GGML_PAD(new_size, align)``). Exact for the types and models tests/integration/
    test_quantize_types.py and the e2e tests quantize.

    Raises:
        KeyError: ``type_name`` is not offered.
    """
    types = types if types is not None else tensor_types(header, type_name, has_imatrix)
    total = metadata_bytes(header)
    for tensor in header.tensors:
        ggml = GGML_TYPES_BY_NAME[types[tensor.name]]
        total += _pad(ggml.nbytes(tensor.n_elements), header.alignment)
    return total
