"""The curated offline model catalog (``resources/catalog/catalog.json``): load it, turn an entry
and quantization into a :class:`~slmdesk.core.model_spec.ModelSpec`, and assess it on a profile.

The catalog lists the small-model families people deploy, in tiers by parameter count
(:func:`tier_for`), with the architecture facts of each model's ``config.json``, its GGUF (and
ONNX) repositories on the Hugging Face Hub and, per quantization, the file(s) and their size in
bytes. Sizes are the Hub's (``size_source`` "hub", written by :mod:`slmdesk.hub.catalog_update`),
measured on a local copy ("file"), or computed from the architecture ("estimated",
:func:`nominal_tensor_bytes`). The ranking of what fits lives in :mod:`slmdesk.hub.recommend`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from slmdesk.core.errors import UserError
from slmdesk.core.fit import FitOptions, Verdict, max_ctx_that_fits
from slmdesk.core.fit_llama import evaluate_llama
from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.profiles import HardwareProfile
from slmdesk.core.quant_types import GGML_TYPES_BY_NAME
from slmdesk.core.resources import resource_path
from slmdesk.formats.gguf import swa_layers_from_pattern

Tier = Literal["micro", "small", "medium"]
SizeSource = Literal["hub", "file", "estimated"]

TIERS: tuple[Tier, ...] = ("micro", "small", "medium")
"""Tiers, smallest first."""

TIER_SMALL_FROM = 1_500_000_000
TIER_MEDIUM_FROM = 14_000_000_000
TIER_MEDIUM_UP_TO = 32_000_000_000
"""Tier rule (parameters, embeddings counted once): micro below 1.5B (the 100M-1.4B class),
small from 1.5B to below 14B, medium from 14B up to 32B ("30B" models such as Qwen3-30B-A3B
hold 30.5B). Nominal sizes are marketing names: Qwen3 "14B" holds 14.8B, so it is medium."""

CATALOG_RESOURCE = ("catalog", "catalog.json")
"""Where the catalog lives in the resources (:func:`slmdesk.core.resources.resource_path`)."""

HEADER_BYTES_PER_VOCAB_TOKEN = 32
"""GGUF header (metadata: mostly the tokenizer's tokens, scores/types and merges) per vocabulary
entry, in bytes. Measured on the starter files: SmolLM2-135M Q4_1 has a 1,785,664-byte header for
49,152 tokens (36.3 B/token, BPE with merges), Gemma 3 270M Q4_K_M 6,525,120 bytes for 262,144
tokens (24.9 B/token, SentencePiece); 32 is between the two."""

DEFAULT_ENGINE = "llama.cpp"
"""The engine a quantization runs on unless its entry says otherwise (slmdesk's llama-cpp-python)."""


def tier_for(n_params: int) -> Tier:
    """The tier of a model with ``n_params`` parameters (see :data:`TIER_SMALL_FROM`).

    Raises:
        ValueError: ``n_params`` is above :data:`TIER_MEDIUM_UP_TO` or not positive.
    """
    if n_params <= 0 or n_params > TIER_MEDIUM_UP_TO:
        raise ValueError(f"{n_params} parameters is outside the catalog's tiers (1 to {TIER_MEDIUM_UP_TO})")
    if n_params < TIER_SMALL_FROM:
        return "micro"
    return "small" if n_params < TIER_MEDIUM_FROM else "medium"


# --- the catalog's types ------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogArch:
    """The architecture facts the fit estimator needs, from the model's ``config.json``.

    Attributes:
        architecture: the GGUF ``general.architecture`` llama.cpp uses ("llama", "qwen3", "gemma3").
        n_layer: repeating layers (``num_hidden_layers``).
        n_embd: embedding length (``hidden_size``).
        n_ff: feed-forward length of a dense layer (``intermediate_size``); for MoE layers see
            ``n_ff_expert``.
        n_head / n_head_kv: attention heads and KV heads (``num_attention_heads`` /
            ``num_key_value_heads``).
        head_dim_k / head_dim_v: K and V head sizes (``head_dim``, else ``hidden_size / heads``).
        n_vocab: vocabulary size as the GGUF stores it (``vocab_size``).
        tied_embeddings: ``tie_word_embeddings``: no separate ``output.weight``.
        sliding_window: sliding-window size in tokens, None without SWA.
        swa_pattern: every ``swa_pattern``-th layer uses full attention, the others the window
            (Gemma 3: 6, "5 local : 1 global"); None without SWA.
        n_expert / n_expert_used / n_ff_expert: MoE experts, experts per token and an expert's
            feed-forward length; None for dense models.
        qkv_bias: Q, K and V projections have biases (Qwen2 and its distillates).
        qk_norm: per-head Q and K norms (Qwen3, Gemma 3).
        post_norms: Gemma's post-attention and post-feed-forward norms.
        sub_norms: BitNet's attention and feed-forward sub-norms.
    """

    architecture: str
    n_layer: int
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim_k: int
    head_dim_v: int
    n_vocab: int
    tied_embeddings: bool
    sliding_window: int | None = None
    swa_pattern: int | None = None
    n_expert: int | None = None
    n_expert_used: int | None = None
    n_ff_expert: int | None = None
    qkv_bias: bool = False
    qk_norm: bool = False
    post_norms: bool = False
    sub_norms: bool = False

    @property
    def is_moe(self) -> bool:
        """True for a mixture-of-experts model."""
        return bool(self.n_expert)

    @property
    def swa_layers(self) -> tuple[bool, ...]:
        """Per layer, True when it uses the sliding window (llama.cpp's ``set_swa_pattern``)."""
        if not self.sliding_window or not self.swa_pattern:
            return ()
        return swa_layers_from_pattern(self.n_layer, self.swa_pattern)


@dataclass(frozen=True)
class CatalogFile:
    """One file of a quantization: ``repo_id``/``path`` on the Hub, ``size_bytes``, and the LFS
    SHA-256 when known (None until :mod:`slmdesk.hub.catalog_update` asked the Hub)."""

    repo_id: str
    path: str
    size_bytes: int
    sha256: str | None = None


@dataclass(frozen=True)
class CatalogQuant:
    """One quantization of a model.

    Attributes:
        name: llama.cpp's file-type name ("Q4_K_M", "Q8_0", "F16", "I2_S").
        files: the file, or every part of a split set in order (``-00001-of-0000N``).
        size_bytes: all files together.
        size_source: "hub" (the Hub's size), "file" (measured on a local copy) or "estimated"
            (:func:`nominal_tensor_bytes` plus the header).
        engines: engines that load it ("llama.cpp", "bitnet.cpp").
    """

    name: str
    files: tuple[CatalogFile, ...]
    size_bytes: int
    size_source: SizeSource
    engines: tuple[str, ...] = (DEFAULT_ENGINE,)

    @property
    def runs_on_llama_cpp(self) -> bool:
        """True when slmdesk's engine (llama.cpp through llama-cpp-python) can load it."""
        return DEFAULT_ENGINE in self.engines


@dataclass(frozen=True)
class CatalogModel:
    """One model of the catalog.

    Attributes:
        id: stable key ("qwen3-8b").
        family: the family recommendations group by ("Qwen3").
        name: display name ("Qwen3 8B").
        publisher: who published the weights.
        license: SPDX id or the license's name.
        n_params: parameters (embeddings counted once), computed from the architecture.
        tier: "micro", "small" or "medium" (:func:`tier_for`).
        context_length: trained context in tokens (the GGUF's ``context_length``).
        tasks: "chat", "reasoning", "code", "multilingual", "tools", "vision"...
        arch: the architecture facts.
        gguf_repos / onnx_repos: Hub repositories with GGUF files / ONNX Runtime GenAI builds.
        source: the ``config.json`` URL the facts come from.
        notes: caveats for people (engines, licences, what is estimated).
        quants: the quantizations, smallest first.
    """

    id: str
    family: str
    name: str
    publisher: str
    license: str
    n_params: int
    tier: Tier
    context_length: int
    tasks: tuple[str, ...]
    arch: CatalogArch
    gguf_repos: tuple[str, ...]
    onnx_repos: tuple[str, ...]
    source: str
    notes: str
    quants: tuple[CatalogQuant, ...]

    def quant(self, name: str) -> CatalogQuant:
        """The quantization called ``name`` (any case).

        Raises:
            UserError: this model has no such quantization.
        """
        for quant in self.quants:
            if quant.name.casefold() == name.casefold():
                return quant
        raise UserError(f"{self.name} has no {name} quantization in the catalog.",
                        "Choose one of: " + ", ".join(q.name for q in self.quants) + ".")


@dataclass(frozen=True)
class Catalog:
    """The whole catalog: ``date`` (ISO 8601 day of its facts), ``source_note`` (where facts come
    from and which are estimated) and the models."""

    date: str
    source_note: str
    models: tuple[CatalogModel, ...]

    def model(self, model_id: str) -> CatalogModel:
        """The model with ``model_id``.

        Raises:
            UserError: there is none.
        """
        for model in self.models:
            if model.id == model_id:
                return model
        raise UserError(f"There is no model {model_id!r} in the catalog.", "See the ids with `slmdesk catalog`.")


# --- loading -------------------------------------------------------------------------------------


def catalog_path() -> Path:
    """``resources/catalog/catalog.json`` (from source and frozen alike)."""
    return resource_path(*CATALOG_RESOURCE)


def load_catalog(path: Path | None = None) -> Catalog:
    """Read the catalog (``path``, default :func:`catalog_path`). No network.

    Raises:
        UserError: the file is missing, is not JSON, or an entry lacks a field or has one of
            the wrong type (the message names the entry and the field).
    """
    path = path or catalog_path()
    hint = "Reinstall slmdesk, or regenerate the catalog with `python -m slmdesk.hub.catalog_update`."
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise UserError(f"The model catalog {path} is missing.", hint) from error
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UserError(f"The model catalog {path} cannot be read: {error}.", hint) from error
    try:
        return catalog_from_dict(raw)
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"The model catalog {path} is damaged: {error}.", hint) from error


def catalog_from_dict(raw: Any) -> Catalog:
    """A :class:`Catalog` from the catalog's JSON value.

    Raises:
        ValueError, KeyError, TypeError: a missing or mistyped field.
    """
    if not isinstance(raw, Mapping):
        raise TypeError("the top level is not an object")
    models = []
    for item in _list(raw, "models"):
        try:
            models.append(_model(item))
        except (KeyError, TypeError, ValueError) as error:
            name = item.get("id", "?") if isinstance(item, Mapping) else "?"
            raise type(error)(f"model {name!r}: {error}") from error
    return Catalog(date=_str(raw, "date"), source_note=_str(raw, "source_note"), models=tuple(models))


def _model(raw: Mapping[str, Any]) -> CatalogModel:
    arch_raw = raw["arch"]
    if not isinstance(arch_raw, Mapping):
        raise TypeError("'arch' is not an object")
    flags = {key: bool(arch_raw.get(key, False)) for key in ("qkv_bias", "qk_norm", "post_norms", "sub_norms")}
    arch = CatalogArch(
        architecture=_str(arch_raw, "architecture"), n_layer=_int(arch_raw, "n_layer"), n_embd=_int(arch_raw, "n_embd"),
        n_ff=_int(arch_raw, "n_ff"), n_head=_int(arch_raw, "n_head"), n_head_kv=_int(arch_raw, "n_head_kv"),
        head_dim_k=_int(arch_raw, "head_dim_k"), head_dim_v=_int(arch_raw, "head_dim_v"),
        n_vocab=_int(arch_raw, "n_vocab"), tied_embeddings=_bool(arch_raw, "tied_embeddings"),
        sliding_window=_opt_int(arch_raw, "sliding_window"), swa_pattern=_opt_int(arch_raw, "swa_pattern"),
        n_expert=_opt_int(arch_raw, "n_expert"), n_expert_used=_opt_int(arch_raw, "n_expert_used"),
        n_ff_expert=_opt_int(arch_raw, "n_ff_expert"), qkv_bias=flags["qkv_bias"], qk_norm=flags["qk_norm"],
        post_norms=flags["post_norms"], sub_norms=flags["sub_norms"],
    )
    quants = []
    for q in _list(raw, "quants"):
        files = tuple(CatalogFile(repo_id=_str(f, "repo_id"), path=_str(f, "path"), size_bytes=_int(f, "size_bytes"),
                                  sha256=f.get("sha256") or None) for f in _list(q, "files"))
        if not files:
            raise ValueError(f"quantization {q.get('name')!r} has no file")
        source = _str(q, "size_source")
        if source not in ("hub", "file", "estimated"):
            raise ValueError(f"size_source {source!r} is not hub, file or estimated")
        quants.append(CatalogQuant(name=_str(q, "name"), files=files, size_bytes=sum(f.size_bytes for f in files),
                                   size_source=cast(SizeSource, source),
                                   engines=tuple(_strs(q, "engines")) or (DEFAULT_ENGINE,)))
    tier = _str(raw, "tier")
    if tier not in TIERS:
        raise ValueError(f"tier {tier!r} is not one of {', '.join(TIERS)}")
    return CatalogModel(
        id=_str(raw, "id"), family=_str(raw, "family"), name=_str(raw, "name"), publisher=_str(raw, "publisher"),
        license=_str(raw, "license"), n_params=_int(raw, "n_params"),
        tier=tier,
        context_length=_int(raw, "context_length"), tasks=tuple(_strs(raw, "tasks")), arch=arch,
        gguf_repos=tuple(_strs(raw, "gguf_repos")), onnx_repos=tuple(_strs(raw, "onnx_repos")),
        source=_str(raw, "source"), notes=str(raw.get("notes", "")),
        quants=tuple(sorted(quants, key=lambda q: q.size_bytes)),
    )


def _list(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw[key]
    if not isinstance(value, list):
        raise TypeError(f"{key!r} is not a list")
    return value


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} is not a string")
    return value


def _strs(raw: Mapping[str, Any], key: str) -> list[str]:
    values = raw.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{key!r} is not a list of strings")
    return values


def _int(raw: Mapping[str, Any], key: str) -> int:
    value = raw[key]
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{key!r} is not a positive integer")
    return value


def _opt_int(raw: Mapping[str, Any], key: str) -> int | None:
    return None if raw.get(key) is None else _int(raw, key)


def _bool(raw: Mapping[str, Any], key: str) -> bool:
    value = raw[key]
    if not isinstance(value, bool):
        raise TypeError(f"{key!r} is not true or false")
    return value


# --- tensor shapes and llama.cpp's quantization mixtures ------------------------------------------


@dataclass(frozen=True)
class TensorShapes:
    """Parameter counts by where llama.cpp puts them: ``input`` (``token_embd``), ``output``
    (``output_norm`` + ``output.weight``; the norm alone when tied) and one repeating ``layer``;
    ``layer_active``: the part of a layer one token reads (the experts used, for MoE)."""

    input: int
    output: int
    layer: int
    layer_active: int


def _layer_matrices(arch: CatalogArch) -> list[tuple[str, int, int, int]]:
    """``(role, n_in, n_out, count)`` of one layer's weight matrices (ggml rows are ``n_in`` long).
    Roles follow llama.cpp's tensor names: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up,
    ffn_down (``_exps`` stacked per expert for MoE), ffn_gate_inp (the router)."""
    e, q_out = arch.n_embd, arch.n_head * arch.head_dim_k
    kv_k, kv_v = arch.n_head_kv * arch.head_dim_k, arch.n_head_kv * arch.head_dim_v
    matrices = [("attn_q", e, q_out, 1), ("attn_k", e, kv_k, 1), ("attn_v", e, kv_v, 1),
                ("attn_output", arch.n_head * arch.head_dim_v, e, 1)]
    if arch.n_expert:
        ff, n = arch.n_ff_expert or arch.n_ff, arch.n_expert
        matrices += [("ffn_gate", e, ff, n), ("ffn_up", e, ff, n), ("ffn_down", ff, e, n), ("ffn_gate_inp", e, n, 1)]
    else:
        matrices += [("ffn_gate", e, arch.n_ff, 1), ("ffn_up", e, arch.n_ff, 1), ("ffn_down", arch.n_ff, e, 1)]
    return matrices


def _layer_vectors(arch: CatalogArch) -> int:
    """F32 parameters of one layer: norms and biases."""
    vectors = 2 * arch.n_embd  # attn_norm, ffn_norm
    if arch.qk_norm:
        vectors += arch.head_dim_k * 2
    if arch.post_norms:
        vectors += 2 * arch.n_embd
    if arch.sub_norms:
        vectors += arch.n_embd + (arch.n_ff_expert or arch.n_ff)
    if arch.qkv_bias:
        vectors += arch.n_head * arch.head_dim_k + 2 * arch.n_head_kv * arch.head_dim_k
    return vectors


def tensor_shapes(arch: CatalogArch) -> TensorShapes:
    """Parameter counts of ``arch`` (see :class:`TensorShapes`), from the tensor shapes llama.cpp
    creates (``src/llama-model.cpp``, ``load_tensors``). Exact for the starter models: SmolLM2-135M
    134,515,008 and Gemma 3 270M 268,098,176, as their GGUF headers count."""
    matrices = _layer_matrices(arch)
    layer = sum(n_in * n_out * count for _, n_in, n_out, count in matrices) + _layer_vectors(arch)
    if arch.n_expert:
        expert = 3 * arch.n_embd * (arch.n_ff_expert or arch.n_ff)
        layer_active = layer - expert * (arch.n_expert - (arch.n_expert_used or arch.n_expert))
    else:
        layer_active = layer
    embedding = arch.n_vocab * arch.n_embd
    output = arch.n_embd + (0 if arch.tied_embeddings else embedding)
    return TensorShapes(input=embedding, output=output, layer=layer, layer_active=layer_active)


def n_params(arch: CatalogArch) -> int:
    """Parameters of ``arch``, the tied embedding counted once (:func:`tensor_shapes`)."""
    shapes = tensor_shapes(arch)
    return shapes.input + shapes.output + arch.n_layer * shapes.layer


# llama.cpp's per-tensor choices (src/llama-quant.cpp, llama_tensor_get_type), simplified to
# what changes a file's size: (base type, type of attn_v and ffn_down in the layers where
# use_more_bits() holds, about half of them, type of attn_output or None for the base type,
# type of token_embd when there is an output.weight).
_MIXTURES: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "Q3_K_M": ("Q3_K", "Q4_K", "Q4_K", None),
    "Q4_K_S": ("Q4_K", None, None, None),
    "Q4_K_M": ("Q4_K", "Q6_K", None, None),
    "Q5_K_S": ("Q5_K", None, None, None),
    "Q5_K_M": ("Q5_K", "Q6_K", None, None),
    "Q6_K": ("Q6_K", None, None, None),
    "Q4_0": ("Q4_0", None, None, None),
    "Q4_1": ("Q4_1", None, None, None),
    "Q5_0": ("Q5_0", None, None, None),
    "Q8_0": ("Q8_0", None, None, None),
    "IQ4_XS": ("IQ4_XS", None, None, None),
    "TQ1_0": ("TQ1_0", None, None, "F16"),
    "TQ2_0": ("TQ2_0", None, None, "F16"),
    "F16": ("F16", None, None, None),
    "BF16": ("BF16", None, None, None),
}

I2_S_BITS = 2.0
"""bitnet.cpp's I2_S: 2 bits per ternary weight plus one scale per tensor (``ggml-bitnet`` in
microsoft/BitNet); not a ggml type of mainline llama.cpp. Its GGUFs keep embeddings in F16."""

# When a row's length is not a multiple of 256, llama.cpp replaces a K-quant by a legacy type
# (llama_tensor_get_type, "falling back"): Q2_K/Q3_K/IQ4_XS -> IQ4_NL, Q4_K -> Q5_0,
# Q5_K -> Q5_1, Q6_K -> Q8_0.
_FALLBACK = {"Q2_K": "IQ4_NL", "Q3_K": "IQ4_NL", "IQ4_XS": "IQ4_NL", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0",
             "TQ1_0": "F16", "TQ2_0": "F16"}


def _type_bytes(type_name: str, n_in: int, n_out: int) -> float:
    """Bytes of an ``n_out x n_in`` matrix of ``type_name`` (after llama.cpp's fallback)."""
    if type_name == "I2_S":
        return n_in * n_out * I2_S_BITS / 8
    ggml = GGML_TYPES_BY_NAME[type_name]
    if n_in % ggml.block_size:
        ggml = GGML_TYPES_BY_NAME[_FALLBACK.get(type_name, "F16")]
    return n_in * n_out * ggml.type_size / ggml.block_size


def _output_type(base: str, ftype: str) -> str:
    """llama.cpp's type for ``output.weight`` (and a tied ``token_embd``): Q6_K unless the file
    is Q8_0 or float (``llama_tensor_get_type``: ``new_type != GGML_TYPE_Q8_0 -> Q6_K``)."""
    if base in ("Q8_0", "F16", "BF16"):
        return base
    if ftype in ("TQ1_0", "TQ2_0", "I2_S"):
        return "F16"
    return "Q6_K"


def quant_is_known(quant: str) -> bool:
    """True when :func:`nominal_tensor_bytes` knows the mixture of ``quant``."""
    return quant.upper() in _MIXTURES or quant.upper() == "I2_S"


def nominal_tensor_bytes(arch: CatalogArch, quant: str) -> tuple[float, float, float]:
    """``(token_embd bytes, output bytes, bytes of one repeating layer)`` of a llama.cpp file of
    type ``quant`` (an average layer: the ``use_more_bits`` layers, about half, are spread).

    Per-tensor types follow llama.cpp's ``llama_tensor_get_type`` (``src/llama-quant.cpp``),
    simplified in :data:`_MIXTURES` (the _M mixes' bigger ``attn_v``/``ffn_down`` in half of the
    layers; ``output.weight``, or a tied ``token_embd``, in Q6_K; the fall-back to legacy types
    for rows not a multiple of 256). Norms, biases and the MoE router are F32. Checked against
    the two starter files (within 1 %) and llama.cpp's ``QUANT_OPTIONS`` figures for
    Llama-3-8B (``tools/quantize/quantize.cpp``: Q4_K_M 4.58 GiB, Q8_0 7.96 GiB) in the tests.

    Raises:
        UserError: ``quant`` is not a type this table knows.
    """
    name = quant.upper()
    if name == "I2_S":
        mixture: tuple[str, str | None, str | None, str | None] = ("I2_S", None, None, "F16")
    elif name in _MIXTURES:
        mixture = _MIXTURES[name]
    else:
        raise UserError(f"slmdesk cannot size a {quant} file from the architecture.",
                        "Regenerate the catalog online to read the real size from the Hub.")
    base, more_bits, attn_output, embd_untied = mixture
    out_type = _output_type(base, name)
    layer = 0.0
    for role, n_in, n_out, count in _layer_matrices(arch):
        if role == "ffn_gate_inp":
            layer += 4 * n_in * n_out
            continue
        chosen = attn_output if role == "attn_output" and attn_output else base
        size = _type_bytes(chosen, n_in, n_out) * count
        if more_bits and role in ("attn_v", "ffn_down"):
            size = (size + _type_bytes(more_bits, n_in, n_out) * count) / 2
        layer += size
    layer += 4 * _layer_vectors(arch)
    n_vocab, n_embd = arch.n_vocab, arch.n_embd
    if arch.tied_embeddings:
        embd = _type_bytes(out_type, n_embd, n_vocab)
        output = 4.0 * n_embd
    else:
        embd = _type_bytes(embd_untied or base, n_embd, n_vocab)
        output = 4.0 * n_embd + _type_bytes(out_type, n_embd, n_vocab)
    return embd, output, layer


def estimated_file_bytes(arch: CatalogArch, quant: str) -> int:
    """The size in bytes of a GGUF file of type ``quant``: :func:`nominal_tensor_bytes` plus a
    header of :data:`HEADER_BYTES_PER_VOCAB_TOKEN` per vocabulary entry.

    Raises:
        UserError: as :func:`nominal_tensor_bytes`.
    """
    embd, output, layer = nominal_tensor_bytes(arch, quant)
    return round(embd + output + arch.n_layer * layer + HEADER_BYTES_PER_VOCAB_TOKEN * arch.n_vocab)


# --- ModelSpec and assessment ------------------------------------------------------------------


def spec_for(model: CatalogModel, quant: CatalogQuant) -> ModelSpec:
    """A GGUF :class:`ModelSpec` of ``model`` in ``quant`` that the fit estimator accepts.

    Architecture fields come from the catalog entry. Sizes split the file's bytes: the header is
    :data:`HEADER_BYTES_PER_VOCAB_TOKEN` per vocabulary entry (at most 10 % of the file), the rest
    is tensor data, shared between ``token_embd``, the output and the repeating layers in the
    proportions :func:`nominal_tensor_bytes` gives for this type (equal layers). With a size from
    the Hub the total is exact and the split approximate; with an estimated size both are
    estimates. ``path`` is the first file's path in its repository (nothing is on disk).
    """
    arch = model.arch
    header = min(HEADER_BYTES_PER_VOCAB_TOKEN * arch.n_vocab, quant.size_bytes // 10)
    weights = quant.size_bytes - header
    try:
        embd, output, layer = nominal_tensor_bytes(arch, quant.name)
    except UserError:  # an unknown type: split by parameter count
        shapes = tensor_shapes(arch)
        embd, output, layer = float(shapes.input), float(shapes.output), float(shapes.layer)
    scale = weights / (embd + output + arch.n_layer * layer)
    layer_bytes = int(layer * scale)
    input_bytes = int(embd * scale)
    output_bytes = weights - input_bytes - arch.n_layer * layer_bytes
    first = quant.files[0]
    n = arch.n_layer
    return ModelSpec(
        format="gguf",
        path=Path(first.path),
        files=tuple(Path(f.path) for f in quant.files),
        file_bytes=quant.size_bytes,
        architecture=arch.architecture,
        name=model.name,
        n_params=model.n_params,
        quantization=quant.name,
        weights_bytes=weights,
        data_offset=header,
        n_layer=n,
        context_length=model.context_length,
        n_embd=arch.n_embd,
        n_ff=(arch.n_ff_expert or arch.n_ff,) * n,
        n_head=(arch.n_head,) * n,
        n_head_kv=(arch.n_head_kv,) * n,
        head_dim_k=arch.head_dim_k,
        head_dim_v=arch.head_dim_v,
        sliding_window=arch.sliding_window if arch.swa_layers else None,
        swa_layers=arch.swa_layers,
        n_vocab=arch.n_vocab,
        split_count=len(quant.files),
        layer_weights_bytes=(layer_bytes,) * n,
        input_weights_bytes=input_bytes,
        output_weights_bytes=output_bytes,
        tied_embeddings=arch.tied_embeddings,
    )


@dataclass(frozen=True)
class QuantAssessment:
    """How one quantization of one catalog model fares on a profile.

    Attributes:
        model: the catalog entry.
        quant: the quantization.
        size_bytes: download size (all files).
        n_ctx: the context length assessed (the wanted one, at most the model's trained context).
        verdict: the fit verdict at ``n_ctx``.
        max_ctx: largest ``n_ctx`` that fits (a multiple of 256), None when not even 256 fits.
        tg_bound_tps: generation-speed bound in tokens/s with an empty context, None without a
            bandwidth figure. For MoE models only the experts used per token are read
            (:func:`_moe_read_fraction`).
        total_host_bytes / total_device_bytes: predicted memory with the context full.
        gpu_layers: layers offloaded (llama.cpp counting).
    """

    model: CatalogModel
    quant: CatalogQuant
    size_bytes: int
    n_ctx: int
    verdict: Verdict
    max_ctx: int | None
    tg_bound_tps: float | None
    total_host_bytes: int
    total_device_bytes: int
    gpu_layers: int

    @property
    def fits(self) -> bool:
        """True unless the verdict is WILL_NOT_FIT."""
        return self.verdict is not Verdict.WILL_NOT_FIT

    def to_json(self) -> dict[str, Any]:
        """The row ``slmdesk catalog --json`` prints."""
        return {
            "model": self.model.id, "name": self.model.name, "family": self.model.family, "tier": self.model.tier,
            "n_params": self.model.n_params, "quant": self.quant.name, "size_bytes": self.size_bytes,
            "size_source": self.quant.size_source, "n_ctx": self.n_ctx, "verdict": self.verdict.value,
            "max_ctx": self.max_ctx,
            "tg_bound_tps": None if self.tg_bound_tps is None else round(self.tg_bound_tps, 1),
            "total_host_bytes": self.total_host_bytes, "total_device_bytes": self.total_device_bytes,
            "gpu_layers": self.gpu_layers, "engines": list(self.quant.engines),
        }


def _moe_read_fraction(model: CatalogModel, spec: ModelSpec) -> float:
    """Share of the weights a token reads: 1 for dense models; for MoE the active layer part
    (router, attention, ``n_expert_used`` of ``n_expert`` experts) plus the output matrix."""
    if not model.arch.is_moe:
        return 1.0
    shapes = tensor_shapes(model.arch)
    layers = sum(spec.layer_weights_bytes)
    output = (spec.output_weights_bytes or 0) + ((spec.input_weights_bytes or 0) if spec.tied_embeddings else 0)
    active = layers * shapes.layer_active / shapes.layer + output
    return active / (layers + output) if layers + output else 1.0


def fit_options(n_ctx: int, kv_type: str = "f16") -> FitOptions:
    """The load settings an assessment assumes: slmdesk's engine defaults (batch 512, mmap,
    ``swa_full`` off, automatic GPU layers) with flash attention on for a quantized KV cache."""
    return FitOptions(n_ctx=n_ctx, kv_type=kv_type, flash_attn=kv_type.lower() not in ("f16", "f32", "bf16"))


def assess(model: CatalogModel, quant: CatalogQuant, profile: HardwareProfile, n_ctx: int,
           kv_type: str = "f16", max_ctx_ceiling: int | Literal["unknown"] | None = "unknown") -> QuantAssessment:
    """Assess ``model`` in ``quant`` on ``profile`` at ``n_ctx`` tokens (at most the model's
    context) with a ``kv_type`` KV cache: :func:`slmdesk.core.fit.estimate` on :func:`spec_for`.

    ``max_ctx_ceiling``: the largest context a smaller quantization of the same model fits (None:
    not even 256 tokens); memory grows with the file, so the search for ``max_ctx`` stops there.

    Raises:
        UserError: the estimator refuses the options (an unknown KV type...).
    """
    spec = spec_for(model, quant)
    wanted = max(1, min(n_ctx, model.context_length))
    options = fit_options(wanted, kv_type)
    result = evaluate_llama(spec, options, profile)
    if max_ctx_ceiling == "unknown":
        max_ctx = max_ctx_that_fits(spec, options, profile)
    elif max_ctx_ceiling is None:
        max_ctx = None
    else:
        max_ctx = max_ctx_that_fits(replace(spec, context_length=max_ctx_ceiling), options, profile)
    tg = result.tg_tokens_per_s_bound
    if tg is not None and model.arch.is_moe:
        tg = tg / _moe_read_fraction(model, spec)
    return QuantAssessment(
        model=model, quant=quant, size_bytes=quant.size_bytes, n_ctx=result.n_ctx, verdict=result.verdict,
        max_ctx=max_ctx, tg_bound_tps=tg, total_host_bytes=result.total_host_bytes,
        total_device_bytes=result.total_device_bytes, gpu_layers=result.gpu_layers,
    )


def _assess_model(model: CatalogModel, profile: HardwareProfile, n_ctx: int, kv_type: str) -> list[QuantAssessment]:
    """Every quantization of ``model``, smallest first, each search for ``max_ctx`` bounded by
    the previous one's (:func:`assess`)."""
    rows: list[QuantAssessment] = []
    ceiling: int | Literal["unknown"] | None = "unknown"
    for quant in sorted(model.quants, key=lambda q: q.size_bytes):
        row = assess(model, quant, profile, n_ctx, kv_type, ceiling)
        rows.append(row)
        ceiling = row.max_ctx
    return rows


_CACHE: dict[tuple[int, str, int, str], tuple[Catalog, tuple[QuantAssessment, ...]]] = {}
_CACHE_SIZE = 16


def assess_catalog(catalog: Catalog, profile: HardwareProfile, n_ctx: int, kv_type: str = "f16",
                   models: Sequence[CatalogModel] | None = None) -> tuple[QuantAssessment, ...]:
    """Every model x quantization of ``catalog`` (or of ``models``) assessed on ``profile``
    (:func:`assess`), in catalog order, smallest quantization first.

    Results of the whole catalog are cached per catalog, profile (all its fields), ``n_ctx``
    and KV type: the Catalog pane asks again whenever it is shown. The first assessment of the
    whole catalog (134 rows) took 0.18-0.21 s on the build machine when idle and 0.4-0.8 s with its
    two cores busy (``tests/unit/hub/test_catalog.py`` prints it); most of it is the estimator's
    per-layer KV row sizes (``fit_llama.kv_bytes_per_cell``), about 5.6 evaluations per row.

    Raises:
        UserError: as :func:`assess`.
    """
    key = (id(catalog), json.dumps(profile.to_dict(), sort_keys=True), n_ctx, kv_type.lower())
    cached = _CACHE.get(key) if models is None else None
    if cached is not None and cached[0] is catalog:
        return cached[1]
    chosen = catalog.models if models is None else models
    rows = tuple(row for model in chosen for row in _assess_model(model, profile, n_ctx, kv_type))
    if models is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = (catalog, rows)
    return rows


def clear_cache() -> None:
    """Forget cached assessments (after the catalog file changed)."""
    _CACHE.clear()


def with_size(quant: CatalogQuant, files: Sequence[CatalogFile], source: SizeSource) -> CatalogQuant:
    """``quant`` with new ``files`` (their sizes summed) and ``size_source``."""
    return replace(quant, files=tuple(files), size_bytes=sum(f.size_bytes for f in files), size_source=source)
