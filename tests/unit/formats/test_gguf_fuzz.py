"""Mutation fuzzing of the GGUF header reader: corrupted synthetic headers give a ModelSpec or
GGUFFormatError, never another exception, a hang or a huge allocation. (The starter models'
headers are fuzzed in tests/e2e/test_readers_starter.py.)"""

from __future__ import annotations

import random
import struct
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.gguf import GGUFFormatError
from tests.gguf_factory import write_gguf
from tests.gguf_mutations import mutate, read_header_bytes


@pytest.mark.slow
def test_absurd_counts_allocate_little(tmp_path: Path) -> None:
    [path] = write_gguf(tmp_path / "m.gguf", n_vocab=64, n_merges=20)
    seed = path.read_bytes()
    rng = random.Random(7)
    tracemalloc.start()
    try:
        for _ in range(300):
            data = bytearray(seed)
            at = rng.randrange(len(seed))
            data[at : at + 8] = struct.pack("<Q", rng.choice((2**40, 2**60, 2**63, 2**64 - 1)))
            read_header_bytes(bytes(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"peak {peak} bytes while parsing {len(seed)}-byte headers"


_HEAD = b"GGUF" + struct.pack("<IQQ", 3, 1, 2)


@settings(max_examples=400, deadline=None, database=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_start(tail: bytes) -> None:
    result = read_header_bytes(_HEAD + tail)
    assert isinstance(result, ModelSpec | GGUFFormatError)


def test_corrupted_files_read_in_growing_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same guarantee through read_gguf, whose buffer grows while the header continues."""
    from slmdesk.formats import gguf as reader

    monkeypatch.setattr(reader, "FIRST_READ_BYTES", 256)
    [path] = write_gguf(tmp_path / "seed.gguf", n_vocab=200, n_merges=100, chat_template="t")
    seed = path.read_bytes()
    rng = random.Random(99)
    target = tmp_path / "variant.gguf"
    outcomes: Counter[str] = Counter()
    errors: list[GGUFFormatError] = []
    for _ in range(300):
        target.write_bytes(mutate(seed, rng))
        try:
            reader.read_gguf(target)
        except GGUFFormatError as error:
            errors.append(error)
            outcomes["error"] += 1
        else:
            outcomes["spec"] += 1
    assert outcomes["spec"] > 10 and outcomes["error"] > 100, outcomes
    assert {error.path for error in errors} == {target}  # every error names the file
