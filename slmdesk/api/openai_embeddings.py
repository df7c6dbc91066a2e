"""``POST /v1/embeddings`` in OpenAI's shape: the request, its checks, the engine call, the response body.

Reference: the OpenAI API reference for ``/v1/embeddings``: ``input`` is a string, a list of
strings, a list of token ids or a list of such lists (at most :data:`MAX_INPUTS`, none empty);
``encoding_format`` is ``float`` (the default) or ``base64`` (the little-endian float32 bytes,
which the official ``openai`` package asks for by default and decodes itself); the answer is
``{"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model",
"usage": {"prompt_tokens", "total_tokens"}}``. Which models can embed, and how the vectors are
pooled and normalized, is the engine's business (:mod:`slmdesk.engine.embed_llama`).
"""

from __future__ import annotations

import array
import base64
import sys
from dataclasses import dataclass
from typing import Any

import msgspec

from slmdesk.api.openai_schema import bad_request, prompt_too_large, unsupported
from slmdesk.engine.types import EmbeddingResult

MAX_INPUTS = 2048
"""Inputs one request may hold (OpenAI's limit for an ``input`` array, the API reference)."""

ENCODING_FORMATS = ("float", "base64")
"""``encoding_format`` values OpenAI defines."""

INPUT_SHAPES = "a string, a list of strings, a list of token ids, or a list of lists of token ids"


class EmbeddingRequest(msgspec.Struct):
    """The body of ``POST /v1/embeddings`` (fields slmdesk reads; others, such as ``user``,
    are ignored)."""

    model: str
    input: str | list[Any]  # a string, strings, token ids, or lists of token ids
    encoding_format: str | None = None
    dimensions: int | None = None


EmbeddingInput = str | tuple[int, ...]
"""One text, or one list of token ids of the model's vocabulary."""


@dataclass(frozen=True)
class EmbeddingCall:
    """An embeddings request translated for the engine (:meth:`EngineClient.embed`).

    Attributes:
        inputs: texts or token-id tuples, in request order (``data[i].index`` is the position).
        base64: answer ``base64`` strings instead of float lists.
        dimensions: the vector size the client expects (None: the model's own); the answer is
            a 400 when the model's differs (vectors are not shortened).
    """

    inputs: tuple[EmbeddingInput, ...]
    base64: bool
    dimensions: int | None


def _token_ids(items: list[Any], param: str) -> tuple[int, ...] | None:
    """``items`` as token ids, None when they are not all integers (booleans are not)."""
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in items):
        return None
    if not items:
        raise bad_request("A list of token ids must not be empty.", param=param)
    negative = next((t for t in items if t < 0), None)
    if negative is not None:
        raise bad_request(f"Token id {negative} is negative.", param=param)
    return tuple(items)


def _inputs(raw: str | list[Any]) -> list[EmbeddingInput]:
    """The inputs of a request's ``input``, checked.

    Raises:
        ApiError: 400 (``param`` ``input`` or ``input[i]``) for an empty string or list, more than
            :data:`MAX_INPUTS` inputs, or any other shape.
    """
    if isinstance(raw, str):
        if not raw:
            raise bad_request("input must not be an empty string.", param="input")
        return [raw]
    if not raw:
        raise bad_request(f"input must not be empty: send {INPUT_SHAPES}.", param="input")
    ids = _token_ids(raw, "input")
    if ids is not None:  # one list of token ids
        return [ids]
    if len(raw) > MAX_INPUTS:
        raise bad_request(f"input holds {len(raw)} items; at most {MAX_INPUTS} are allowed per request.",
                          param="input")
    inputs: list[EmbeddingInput] = []
    for index, item in enumerate(raw):
        param = f"input[{index}]"
        if isinstance(item, str) and item:
            inputs.append(item)
        elif isinstance(item, str):
            raise bad_request("An input text must not be empty.", param=param)
        elif isinstance(item, list) and (item_ids := _token_ids(item, param)) is not None:
            inputs.append(item_ids)
        else:
            raise bad_request(f"input must be {INPUT_SHAPES}.", param=param)
    return inputs


def embedding_call(request: EmbeddingRequest, max_prompt_chars: int) -> EmbeddingCall:
    """Translate an embeddings request into engine inputs.

    Raises:
        ApiError: 400 for an invalid ``input`` (see :func:`_inputs`), an unknown
            ``encoding_format`` or a ``dimensions`` below 1; 413 ``prompt_too_large`` when the
            texts hold more than ``max_prompt_chars`` characters together.
    """
    inputs = _inputs(request.input)
    encoding = request.encoding_format or "float"
    if encoding not in ENCODING_FORMATS:
        raise bad_request(f"encoding_format must be float or base64, not {encoding!r}.", param="encoding_format")
    if request.dimensions is not None and request.dimensions < 1:
        raise bad_request("dimensions must be at least 1.", param="dimensions")
    chars = sum(len(item) for item in inputs if isinstance(item, str))
    if chars > max_prompt_chars:
        raise prompt_too_large(chars, max_prompt_chars, "input")
    return EmbeddingCall(tuple(inputs), encoding == "base64", request.dimensions)


def _floats(vector: bytes) -> list[float]:
    """Little-endian float32 bytes as Python floats."""
    values = array.array("f")
    values.frombytes(vector)
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def embeddings_body(model: str, result: EmbeddingResult, call: EmbeddingCall) -> dict[str, Any]:
    """The ``/v1/embeddings`` answer for ``result`` (float lists, or base64 of the float32
    bytes when ``call.base64``).

    Raises:
        ApiError: 400 (``param: dimensions``) when the client asked for another vector size than
            the model's ``n_embd``: the vectors of these models cannot be shortened.
    """
    if call.dimensions is not None and call.dimensions != result.dimensions:
        raise unsupported("dimensions", f"dimensions={call.dimensions} (this model's embeddings have "
                          f"{result.dimensions}; shortened embeddings)")
    data = [
        {"object": "embedding", "index": index,
         "embedding": base64.b64encode(vector).decode("ascii") if call.base64 else _floats(vector)}
        for index, vector in enumerate(result.vectors)
    ]
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens},
    }
