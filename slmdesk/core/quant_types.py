"""The ggml tensor-type table, llama.cpp file-type names and KV-cache row sizes.

Numbers are copied from gguf-py 0.19.0 (``gguf/constants.py``: ``GGMLQuantizationType``,
``GGML_QUANT_SIZES``, ``LlamaFileType``), which mirrors ``ggml/src/ggml.c`` (``type_traits``)
and ``include/llama.h`` (``llama_ftype``). They are repeated here because gguf-py is only a
test dependency and ``core`` must not import it; ``tests/unit/formats/test_gguf_reader.py`` checks
this table against the installed gguf-py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GGMLType:
    """One ggml tensor type.

    Attributes:
        id: the ``ggml_type`` number stored in a GGUF tensor info.
        name: gguf-py's name ("Q4_K", "F16").
        block_size: elements per block (1 for plain types, 32 or 256 for quantized ones).
        type_size: bytes per block.
    """

    id: int
    name: str
    block_size: int
    type_size: int

    def nbytes(self, n_elements: int) -> int:
        """Bytes of ``n_elements`` values: ``n_elements / block_size * type_size``.

        Raises:
            ValueError: ``n_elements`` is not a multiple of ``block_size`` (llama.cpp refuses
                such tensors: ``gguf.cpp``, "not divisible by block size").
        """
        blocks, rest = divmod(n_elements, self.block_size)
        if rest:
            raise ValueError(
                f"{n_elements} elements are not a multiple of the {self.name} block size {self.block_size}"
            )
        return blocks * self.type_size


# (id, name, block_size, type_size): gguf-py GGML_QUANT_SIZES. Ids 4, 5 (Q4_2, Q4_3) and
# 31-33, 36-38 (removed Q4_0_4_4-style repacks and IQ4_NL_x variants) are gone from ggml.
_TYPES: tuple[tuple[int, str, int, int], ...] = (
    (0, "F32", 1, 4),
    (1, "F16", 1, 2),
    (2, "Q4_0", 32, 18),
    (3, "Q4_1", 32, 20),
    (6, "Q5_0", 32, 22),
    (7, "Q5_1", 32, 24),
    (8, "Q8_0", 32, 34),
    (9, "Q8_1", 32, 40),
    (10, "Q2_K", 256, 84),
    (11, "Q3_K", 256, 110),
    (12, "Q4_K", 256, 144),
    (13, "Q5_K", 256, 176),
    (14, "Q6_K", 256, 210),
    (15, "Q8_K", 256, 292),
    (16, "IQ2_XXS", 256, 66),
    (17, "IQ2_XS", 256, 74),
    (18, "IQ3_XXS", 256, 98),
    (19, "IQ1_S", 256, 50),
    (20, "IQ4_NL", 32, 18),
    (21, "IQ3_S", 256, 110),
    (22, "IQ2_S", 256, 82),
    (23, "IQ4_XS", 256, 136),
    (24, "I8", 1, 1),
    (25, "I16", 1, 2),
    (26, "I32", 1, 4),
    (27, "I64", 1, 8),
    (28, "F64", 1, 8),
    (29, "IQ1_M", 256, 56),
    (30, "BF16", 1, 2),
    (34, "TQ1_0", 256, 54),
    (35, "TQ2_0", 256, 66),
    (39, "MXFP4", 32, 17),
    (40, "NVFP4", 64, 36),
    (41, "Q1_0", 128, 18),
)

GGML_TYPES: dict[int, GGMLType] = {t[0]: GGMLType(*t) for t in _TYPES}
"""ggml type id -> :class:`GGMLType` (gguf-py ``GGML_QUANT_SIZES``)."""

GGML_TYPES_BY_NAME: dict[str, GGMLType] = {t.name: t for t in GGML_TYPES.values()}
"""Upper-case type name ("Q8_0") -> :class:`GGMLType`."""

FILE_TYPE_GUESSED = 1024
"""``LLAMA_FTYPE_GUESSED``: llama.cpp ORs it in when ``general.file_type`` is absent."""

FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
    39: "NVFP4",
    40: "Q1_0",
    41: "Q2_0",  # llama.cpp in llama-cpp-python 0.3.36; not yet in gguf-py 0.19.0
}
"""``general.file_type`` (``llama_ftype`` / gguf-py ``LlamaFileType``) -> the name llama.cpp's
``llama-quantize`` uses (``tools/quantize/quantize.cpp``, ``QUANT_OPTIONS``)."""

# llama.cpp guesses the file type from the most common tensor type when the key is absent
# (``llama_model_loader`` constructor, ``switch (type_max)``); K-quants map to their _M mix.
_FILE_TYPE_FROM_TENSOR_TYPE: dict[str, str] = {
    "F32": "F32",
    "F16": "F16",
    "BF16": "BF16",
    "Q4_0": "Q4_0",
    "Q4_1": "Q4_1",
    "Q5_0": "Q5_0",
    "Q5_1": "Q5_1",
    "Q8_0": "Q8_0",
    "Q2_K": "Q2_K",
    "Q3_K": "Q3_K_M",
    "Q4_K": "Q4_K_M",
    "Q5_K": "Q5_K_M",
    "Q6_K": "Q6_K",
    "TQ1_0": "TQ1_0",
    "TQ2_0": "TQ2_0",
    "IQ2_XXS": "IQ2_XXS",
    "IQ2_XS": "IQ2_XS",
    "IQ2_S": "IQ2_S",
    "IQ3_XXS": "IQ3_XXS",
    "IQ1_S": "IQ1_S",
    "IQ1_M": "IQ1_M",
    "IQ4_NL": "IQ4_NL",
    "IQ4_XS": "IQ4_XS",
    "IQ3_S": "IQ3_S",
    "MXFP4": "MXFP4_MOE",
    "NVFP4": "NVFP4",
    "Q1_0": "Q1_0",
}


def file_type_name(file_type: int) -> str | None:
    """Name of a ``general.file_type`` value ("Q4_K_M" for 15), or None if unknown.

    The ``LLAMA_FTYPE_GUESSED`` bit (1024) is ignored: ``1024 | 15`` is still "Q4_K_M".
    """
    if file_type in FILE_TYPE_NAMES:
        return FILE_TYPE_NAMES[file_type]
    if file_type & FILE_TYPE_GUESSED:
        return FILE_TYPE_NAMES.get(file_type & ~FILE_TYPE_GUESSED)
    return None


def file_type_from_tensor_type(type_name: str) -> str | None:
    """The file-type name llama.cpp guesses from the dominant tensor type ("Q4_K" -> "Q4_K_M")."""
    return _FILE_TYPE_FROM_TENSOR_TYPE.get(type_name)


KV_CACHE_TYPES: tuple[str, ...] = ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1")
"""Cache types llama.cpp accepts for ``--cache-type-k/-v`` (``common/arg.cpp``,
``kv_cache_types``), lower case as the CLI spells them."""


def row_size(cache_type: str | int, n: int) -> int:
    """Bytes of one KV-cache row of ``n`` values: ``ggml_row_size(type, n)``.

    ``row_size = type_size * n / block_size`` (``ggml/src/ggml.c``): f16/bf16 ``2n``, f32 ``4n``,
    q8_0 ``34n/32``, q4_0 ``18n/32``, q4_1 ``20n/32``, q5_0 ``22n/32``, q5_1 ``24n/32``,
    iq4_nl ``18n/32``. ``cache_type`` is a name from :data:`KV_CACHE_TYPES` (any case) or a
    ggml type id.

    Raises:
        ValueError: unknown or non-KV type, or ``n`` not a multiple of the block size
            (ggml asserts the same).
    """
    if isinstance(cache_type, int):
        ggml_type = GGML_TYPES.get(cache_type)
        if ggml_type is None or ggml_type.name.lower() not in KV_CACHE_TYPES:
            raise ValueError(f"ggml type {cache_type} is not a KV-cache type")
    else:
        if cache_type.lower() not in KV_CACHE_TYPES:
            raise ValueError(f"{cache_type!r} is not a KV-cache type (one of {', '.join(KV_CACHE_TYPES)})")
        ggml_type = GGML_TYPES_BY_NAME[cache_type.upper()]
    if n < 0:
        raise ValueError(f"row length must be >= 0, got {n}")
    return ggml_type.nbytes(n)
