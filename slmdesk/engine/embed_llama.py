"""Embeddings with llama.cpp, inside the engine process: one pooled, L2-normalized vector per input.

The vectors come from the context the model was loaded with: ``llama_set_embeddings(ctx,
true)`` switches it to return the final hidden states (after the output norm) for the duration
of a request, and the KV cache is cleared before and after each input, so a loaded chat model
needs no second load (and no second copy of its weights) to embed.

Pooling: llama.cpp takes the pooling type from the GGUF (``<arch>.pooling_type``, written by
``convert_hf_to_gguf.py`` for embedding models such as BERT, nomic-bert or Qwen3-Embedding)
and pools inside the graph; such a model's input must then fit one batch (``n_ubatch``), as
in llama.cpp's server. A generative model such as SmolLM2 has no pooling type (llama.cpp's
``LLAMA_POOLING_TYPE_NONE``: one vector per token), and llama.cpp's server refuses it for
``/v1/embeddings`` ("Pooling type 'none' is not OAI compatible"). slmdesk mean-pools those:
the average of every token's vector, computed here in batches of
:data:`EMBED_BATCH_TOKENS`. Mean rather than last-token pooling, because last-token vectors
of a decoder only summarize the text once the model was fine-tuned for it (E5-Mistral,
Qwen3-Embedding declare ``last`` in their GGUF), while the mean is the usual choice for an
unmodified decoder (SGPT, Muennighoff 2022, arXiv:2202.08904, used position-weighted means).
Both separate paraphrases from unrelated text on SmolLM2-135M-Instruct Q4_1 (the six sentences
of tests/e2e/test_api_embeddings_json.py, cosine similarity): paraphrase pairs 0.92-0.95 and
unrelated pairs 0.64-0.82 with mean pooling, 0.95-0.96 and 0.70-0.83 with the last token; the
mean spreads unrelated texts further apart, and does not hang on the text's final token.

Normalization: every vector is scaled to length 1 (L2), as OpenAI's embeddings are and as
llama.cpp's server does by default (``embd_normalize = 2``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import llama_cpp
import numpy as np

from slmdesk.engine.backend_base import GenerationControl
from slmdesk.engine.types import ContextOverflowError, EmbeddingResult, EngineError, InvalidRequestError

EMBED_BATCH_TOKENS = 64
"""Tokens per ``llama_decode`` call of a mean-pooled (generative) model. With embeddings on,
llama.cpp keeps the logits of every token of a batch as well (``n_vocab`` float32 each) in an
output buffer that only grows: 64 tokens hold it to 12.6 MB for SmolLM2's 49,152-token
vocabulary and 67 MB for Gemma 3's 262,144, where a 512-token batch would keep 100 MB and
537 MB. Measured on SmolLM2 (1 thread, 400 tokens): 64-token batches are within 10 % of the
speed of 128- and 512-token ones."""

POOLING_NAMES: dict[int, str] = {
    llama_cpp.LLAMA_POOLING_TYPE_NONE: "mean",  # pooled here, see the module docstring
    llama_cpp.LLAMA_POOLING_TYPE_MEAN: "mean",
    llama_cpp.LLAMA_POOLING_TYPE_CLS: "cls",
    llama_cpp.LLAMA_POOLING_TYPE_LAST: "last",
}
"""llama.cpp's pooling types (``enum llama_pooling_type`` in include/llama.h) -> the name
reported in :class:`EmbeddingResult`. ``RANK`` (a reranker's score head) embeds nothing."""

Progress = Callable[[int, int], None]
"""``on_progress(done, total)``: inputs embedded so far, of all inputs."""


def _tokens(llm: llama_cpp.Llama, item: object, index: int, n_vocab: int) -> list[int]:
    """The token ids of one input: a text tokenized as llama.cpp's embedding tools do (BOS and
    EOS added as the vocabulary asks, special tokens read as text), or token ids as given.

    Raises:
        InvalidRequestError: an empty input, a token id outside ``[0, n_vocab)``, or neither
            text nor ids.
    """
    if isinstance(item, str):
        tokens = llm.tokenize(item.encode("utf-8"), add_bos=True, special=False) if item else []
    elif isinstance(item, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in item):
        bad = next((t for t in item if not 0 <= t < n_vocab), None)
        if bad is not None:
            raise InvalidRequestError(f"Input {index} holds token id {bad}, outside this model's vocabulary "
                                      f"of {n_vocab}.")
        tokens = list(item)
    else:
        raise InvalidRequestError(f"Input {index} is neither text nor a list of token ids.")
    if not tokens:
        raise InvalidRequestError(f"Input {index} is empty: there is nothing to embed.")
    return tokens


def _decode(ctx: llama_cpp.llama_context_p, tokens: Sequence[int]) -> None:
    array = (llama_cpp.llama_token * len(tokens))(*tokens)
    status = llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(array, len(tokens)))
    if status != 0:
        raise EngineError(f"llama.cpp failed to compute embeddings (llama_decode returned {status}).")


def _unit(vector: np.ndarray) -> bytes:
    """``vector`` scaled to length 1, as little-endian float32 bytes (a zero vector stays)."""
    norm = float(np.linalg.norm(vector))
    scaled = vector / norm if norm > 0 else vector
    return scaled.astype("<f4").tobytes()


def embed(
    llm: llama_cpp.Llama,
    inputs: Sequence[object],
    control: GenerationControl,
    on_progress: Progress,
) -> EmbeddingResult:
    """The embedding of each of ``inputs`` (texts or lists of token ids) from the model loaded
    in ``llm``, pooled and normalized as the module docstring says. The context's KV cache is
    empty afterwards.

    Returns an :class:`EmbeddingResult` (``cancelled`` and no vectors when ``control`` was
    cancelled between two inputs or batches).

    Raises:
        InvalidRequestError: a reranking model, or an empty or invalid input (every input is
            checked before any is computed).
        EngineError: llama_decode failed.
        ContextOverflowError: an input longer than the context (``n_ctx`` tokens), or for a
            model that pools in the graph, than one batch (``n_ubatch`` tokens).
    """
    ctx = llm.ctx
    pooling = int(llama_cpp.llama_pooling_type(ctx))
    if pooling not in POOLING_NAMES:
        raise InvalidRequestError("This model scores text pairs (a reranker); it does not compute embeddings.",
                          "Use an embedding model or a chat model.")
    name = POOLING_NAMES[pooling]
    n_embd = int(llama_cpp.llama_model_n_embd(llm.model))
    n_vocab = int(llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(llm.model)))
    in_graph = pooling != llama_cpp.LLAMA_POOLING_TYPE_NONE
    n_ctx = int(llama_cpp.llama_n_ctx(ctx))
    limit = min(n_ctx, int(llama_cpp.llama_n_ubatch(ctx)), int(llama_cpp.llama_n_batch(ctx))) if in_graph else n_ctx
    token_lists = [_tokens(llm, item, index, n_vocab) for index, item in enumerate(inputs)]
    total = sum(len(tokens) for tokens in token_lists)
    for index, tokens in enumerate(token_lists):
        if len(tokens) > limit:
            what = "one batch of" if in_graph else "the context of"
            raise ContextOverflowError(
                f"Input {index} takes {len(tokens)} tokens; this model embeds at most {what} {limit} tokens.",
                "Split the text, or load the model with a larger context (its load plan).",
            )
    memory = llama_cpp.llama_get_memory(ctx)
    vectors: list[bytes] = []
    llama_cpp.llama_set_embeddings(ctx, True)
    try:
        for index, tokens in enumerate(token_lists):
            llama_cpp.llama_memory_clear(memory, True)
            if in_graph:
                if control.cancelled:
                    break
                _decode(ctx, tokens)
                pointer = llama_cpp.llama_get_embeddings_seq(ctx, 0)
                if not pointer:
                    raise EngineError("llama.cpp returned no pooled embedding for this model.")
                vector = np.ctypeslib.as_array(pointer, shape=(n_embd,)).astype(np.float64)
            else:
                vector = np.zeros(n_embd, dtype=np.float64)
                for start in range(0, len(tokens), EMBED_BATCH_TOKENS):
                    if control.cancelled:
                        break
                    batch = tokens[start : start + EMBED_BATCH_TOKENS]
                    _decode(ctx, batch)
                    pointer = llama_cpp.llama_get_embeddings(ctx)  # [len(batch) * n_embd], in batch order
                    if not pointer:
                        raise EngineError("llama.cpp returned no token embeddings for this model.")
                    vector += np.ctypeslib.as_array(pointer, shape=(len(batch), n_embd)).sum(axis=0, dtype=np.float64)
                vector /= len(tokens)
            if control.cancelled:
                break
            vectors.append(_unit(vector))
            on_progress(index + 1, len(token_lists))
    finally:
        llama_cpp.llama_set_embeddings(ctx, False)
        llama_cpp.llama_memory_clear(memory, True)
    if control.cancelled:
        return EmbeddingResult((), n_embd, total, name, cancelled=True)
    return EmbeddingResult(tuple(vectors), n_embd, total, name)
