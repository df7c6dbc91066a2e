"""Mutated GGUF headers for the fuzz tests (tests only): seeds, one mutation, one read.

Used by ``tests/unit/formats/test_gguf_fuzz.py`` (synthetic seeds) and
``tests/e2e/test_readers_starter.py`` (the starter models' headers too).
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.gguf import GGUFFormatError, parse_header, spec_from_headers
from tests.gguf_factory import write_gguf

_INTERESTING = (0, 1, 5, 8, 9, 13, 63, 2**31, 2**32 - 1, 2**40, 2**60, 2**63, 2**64 - 1)
_PATH = Path("fuzz.gguf")


def synthetic_seeds(folder: Path) -> list[bytes]:
    """Three small synthetic GGUF files (llama with a chat template, gemma3 with sliding window
    and Q8_0 tensors, a one-layer file with 64-byte alignment), written into ``folder``."""
    seeds = [
        write_gguf(folder / "a.gguf", n_vocab=64, n_merges=20, chat_template="{{ x }}", extra_tokens=["<|im_end|>"]),
        write_gguf(
            folder / "b.gguf",
            arch="gemma3",
            n_layer=4,
            sliding_window=64,
            swa_pattern=[True, False, True, False],
            n_head_kv=[2, 1, 2, 1],
            tensor_type="Q8_0",
            file_type=7,
            tied=False,
        ),
        write_gguf(folder / "c.gguf", n_layer=1, alignment=64, key_length=32, value_length=16, n_vocab=8),
    ]
    return [paths[0].read_bytes() for paths in seeds]


def header_seeds(*paths: Path) -> list[bytes]:
    """The first 8 KiB and 64 KiB of each file: headers of real models, cut at two places."""
    seeds = []
    for path in paths:
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
        seeds += [head[: 8 * 1024], head]
    return seeds


def mutate(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one to three random edits: byte noise, a bit flip, truncation, a big or
    special integer written or inserted, a slice deleted or duplicated."""
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.randrange(7)
        at = rng.randrange(len(buf) + 1)
        if op == 0 and buf:  # random bytes
            for _ in range(rng.randint(1, 4)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
        elif op == 1 and buf:  # bit flip
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 2:  # truncation
            del buf[at:]
        elif op == 3:  # overwrite with a big or special integer
            width = rng.choice((4, 8))
            value = rng.choice(_INTERESTING) % (1 << (8 * width))
            buf[at : at + width] = value.to_bytes(width, "little")
        elif op == 4:  # insertion of a big integer
            buf[at:at] = struct.pack("<Q", rng.choice(_INTERESTING) % 2**64)
        elif op == 5:  # deletion of a slice
            del buf[at : at + rng.randint(1, 64)]
        else:  # duplication of a slice
            buf[at:at] = buf[at : at + rng.randint(1, 64)]
    return bytes(buf)


def read_header_bytes(data: bytes) -> ModelSpec | GGUFFormatError:
    """What the header reader makes of ``data``: a spec, or the one error it may raise (any other
    exception propagates: the fuzz tests fail on it)."""
    try:
        header = parse_header(data, path=_PATH)
        return spec_from_headers(_PATH, (_PATH,), (header,))
    except GGUFFormatError as error:
        return error
