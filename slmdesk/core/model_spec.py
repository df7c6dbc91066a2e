"""What slmdesk knows about a model artifact from its headers: the input of the fit estimator.

Readers in ``formats/`` build a :class:`ModelSpec` from a GGUF file (or split set), an ONNX
GenAI folder or a Hugging Face folder without reading tensor data. Per-layer values follow
llama.cpp's hparams (``src/llama-hparams.h``): a scalar in the file becomes a tuple of
``n_layer`` equal values here, so consumers never branch on scalar vs array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ArtifactFormat = Literal["gguf", "onnx", "hf"]


@dataclass(frozen=True)
class ModelSpec:
    """Header facts of one loadable artifact.

    Sizes are bytes, lengths are tokens, counts are plain integers. Fields a format cannot
    provide are None (or empty tuples), never guessed.

    Attributes:
        format: "gguf", "onnx" (ONNX Runtime GenAI folder) or "hf" (config.json + safetensors).
        path: the GGUF file (first part of a split set) or the folder.
        files: every file holding weights, in order (split parts, ``.onnx.data``, shards).
        file_bytes: total size on disk of ``files``.
        architecture: ``general.architecture`` ("llama", "gemma3"), ONNX ``model.type`` or
            the HF ``model_type``.
        name: ``general.name`` or the folder name.
        size_label: ``general.size_label`` ("135M"), when present.
        n_params: parameter count: the sum of tensor element counts.
        quantization: llama.cpp file-type name ("Q4_K_M", "Q4_1", "F16"), or ONNX/HF
            precision ("int4", "bf16").
        tensor_types: ``((ggml type name, tensor count), ...)`` sorted by count, descending.
        weights_bytes: bytes of tensor data (sum over parts).
        data_offset: byte offset of tensor data in a GGUF file (first part), else None.
        n_layer: ``{arch}.block_count``.
        context_length: ``{arch}.context_length``: the trained maximum (``n_ctx_train``).
        n_embd: ``{arch}.embedding_length``.
        n_ff: ``{arch}.feed_forward_length`` per layer.
        n_head: ``{arch}.attention.head_count`` per layer.
        n_head_kv: ``{arch}.attention.head_count_kv`` per layer (defaults to ``n_head``; 0 for
            layers without attention in hybrids).
        head_dim_k / head_dim_v: ``attention.key_length`` / ``value_length`` (default
            ``n_embd // n_head``).
        sliding_window: ``attention.sliding_window`` in tokens, or None without SWA.
        swa_layers: per layer, True when the layer uses the sliding window
            (``llama_hparams::set_swa_pattern`` / the bool array in the file); empty without SWA.
        n_vocab: vocabulary size (``{arch}.vocab_size`` or the length of the token list).
        chat_template: ``tokenizer.chat_template`` (Jinja source); None when the model has none
            or only an empty or whitespace-only one.
        bos_token_id / eos_token_id: special token ids.
        eog_token_ids: end-of-generation ids (EOS, EOT, ``<|im_end|>``...) known from the header.
        split_count / split_no: ``split.count`` / ``split.no`` of the first part (1 / 0 if unsplit).
        layer_weights_bytes: bytes of ``blk.{i}.*`` tensors per layer (GGUF only).
        input_weights_bytes: bytes of the token embedding (``token_embd.weight`` and friends).
        output_weights_bytes: bytes of ``output_norm`` + ``output.weight``.
        tied_embeddings: True when there is no ``output.weight`` (the embedding is reused).
        alignment: ``general.alignment`` (GGUF, default 32).
        metadata: other scalar header keys worth showing (license, basename, quantized_by...).
    """

    format: ArtifactFormat
    path: Path
    files: tuple[Path, ...]
    file_bytes: int
    architecture: str
    name: str | None = None
    size_label: str | None = None
    n_params: int | None = None
    quantization: str | None = None
    tensor_types: tuple[tuple[str, int], ...] = ()
    weights_bytes: int | None = None
    data_offset: int | None = None
    n_layer: int | None = None
    context_length: int | None = None
    n_embd: int | None = None
    n_ff: tuple[int, ...] = ()
    n_head: tuple[int, ...] = ()
    n_head_kv: tuple[int, ...] = ()
    head_dim_k: int | None = None
    head_dim_v: int | None = None
    sliding_window: int | None = None
    swa_layers: tuple[bool, ...] = ()
    n_vocab: int | None = None
    chat_template: str | None = None
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    eog_token_ids: tuple[int, ...] = ()
    split_count: int = 1
    split_no: int = 0
    layer_weights_bytes: tuple[int, ...] = ()
    input_weights_bytes: int | None = None
    output_weights_bytes: int | None = None
    tied_embeddings: bool | None = None
    alignment: int | None = None
    metadata: tuple[tuple[str, str], ...] = field(default=())

    @property
    def n_head_kv_max(self) -> int | None:
        """Largest KV head count over layers (the scalar most tools show), or None."""
        return max(self.n_head_kv) if self.n_head_kv else None

    @property
    def n_head_max(self) -> int | None:
        """Largest attention head count over layers, or None."""
        return max(self.n_head) if self.n_head else None
