"""Grammar-constrained sampling for llama.cpp, inside the engine process: a JSON Schema to a GBNF sampler.

A reply that must be JSON (the API's ``response_format``) arrives as a JSON Schema in
:attr:`SamplingParams.json_schema <slmdesk.engine.types.SamplingParams.json_schema>`. It is
converted here with llama-cpp-python's copy of llama.cpp's ``json_schema_to_grammar.py``
(``llama_cpp.llama_grammar.json_schema_to_gbnf``; remote ``$ref`` fetching off) and compiled by
llama.cpp (``llama_sampler_init_grammar``, grammars/README.md), whose sampler masks every token
that would leave the grammar. The end-of-generation token is allowed only once the JSON is
complete, so a reply ends with its closing brace unless ``max_tokens`` cuts it first.
"""

from __future__ import annotations

import functools
import json

import llama_cpp
from llama_cpp.llama_grammar import json_schema_to_gbnf

from slmdesk.engine.types import InvalidRequestError

ROOT_RULE = b"root"
"""The start rule of the converted grammars (``LLAMA_GRAMMAR_DEFAULT_ROOT``)."""

_CONVERTER_ERRORS = (AssertionError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError)
"""What the converter raises on a schema it cannot handle: assertions for unknown types and
refused remote ``$ref``s, ValueError for an unsupported ``$ref`` or pattern, lookups and type
errors on malformed nodes, RecursionError on a self-referencing schema."""


@functools.lru_cache(maxsize=32)
def schema_grammar(json_schema: str) -> str:
    """The GBNF grammar of the JSON values that match ``json_schema`` (JSON text); cached, as
    clients send the same schema with every request.

    Raises:
        InvalidRequestError: ``json_schema`` is not JSON, or the converter cannot handle it (the message
            says why).
    """
    try:
        json.loads(json_schema)
    except ValueError as error:
        raise InvalidRequestError(f"The JSON schema is not valid JSON: {error}.") from error
    try:
        return str(json_schema_to_gbnf(json_schema))
    except _CONVERTER_ERRORS as error:
        raise InvalidRequestError(f"The JSON schema cannot be turned into a grammar: {error or type(error).__name__}.",
                           "Use a simpler schema (types, properties, required, enum, items, $defs).") from error


def grammar_sampler(vocab: llama_cpp.llama_vocab_p, json_schema: str) -> llama_cpp.llama_sampler_p:
    """A llama.cpp grammar sampler for ``json_schema`` (to add to a sampler chain, which then
    owns it).

    Raises:
        InvalidRequestError: the schema cannot be converted, or llama.cpp refused the grammar (its
            parser logs the reason).
    """
    grammar = schema_grammar(json_schema)
    sampler: llama_cpp.llama_sampler_p = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"),
                                                                              ROOT_RULE)
    if not sampler:  # a NULL pointer: llama.cpp's grammar parser failed
        raise InvalidRequestError("llama.cpp could not compile the grammar of this JSON schema.",
                           "Use a simpler schema; the engine log has llama.cpp's reason.")
    return sampler
