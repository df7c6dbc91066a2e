"""Mutation fuzzing of the GGUF header reader: corrupted real and synthetic headers give a
ModelSpec or GGUFFormatError, never another exception, a hang or a huge allocation."""

from __future__ import annotations

import random
import struct
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.gguf import GGUFFormatError, parse_header, spec_from_headers
from tests.gguf_factory import write_gguf

VARIANTS_PER_SEED = 1500
HANG_GUARD_S = 5.0
"""Generous bound per variant: a guard against hangs (loops over absurd counts), not a speed check."""

_INTERESTING = (0, 1, 5, 8, 9, 13, 63, 2**31, 2**32 - 1, 2**40, 2**60, 2**63, 2**64 - 1)
_PATH = Path("fuzz.gguf")


def _synthetic_seeds(folder: Path) -> list[bytes]:
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


def _real_seeds(smollm2: Path, gemma3: Path) -> list[bytes]:
    seeds = []
    for path in (smollm2, gemma3):
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
        seeds += [head[: 8 * 1024], head]
    return seeds


def _mutate(data: bytes, rng: random.Random) -> bytes:
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


def _read(data: bytes) -> ModelSpec | GGUFFormatError:
    try:
        header = parse_header(data, path=_PATH)
        return spec_from_headers(_PATH, (_PATH,), (header,))
    except GGUFFormatError as error:
        return error


@pytest.mark.slow
def test_corrupted_headers_give_a_spec_or_one_format_error(
    tmp_path: Path, smollm2_gguf: Path, gemma3_gguf: Path
) -> None:
    seeds = _synthetic_seeds(tmp_path) + _real_seeds(smollm2_gguf, gemma3_gguf)
    rng = random.Random(20240601)
    outcomes: Counter[str] = Counter()
    slowest = 0.0
    for seed_index, seed in enumerate(seeds):
        for variant in range(VARIANTS_PER_SEED):
            data = _mutate(seed, rng)
            started = time.perf_counter()
            try:
                result = _read(data)
            except Exception as error:  # noqa: BLE001 - the point of the test
                pytest.fail(f"seed {seed_index} variant {variant}: {type(error).__name__}: {error}")
            slowest = max(slowest, time.perf_counter() - started)
            if isinstance(result, ModelSpec):
                outcomes["spec"] += 1
            else:
                assert result.offset is None or 0 <= result.offset <= len(data) + 2**64
                assert "not a readable GGUF file" in result.message
                outcomes["error"] += 1
    assert sum(outcomes.values()) == len(seeds) * VARIANTS_PER_SEED >= 10_000
    # Both outcomes occur: mutations in tensor data or unused keys leave a valid header.
    assert outcomes["spec"] > 100 and outcomes["error"] > 1000, outcomes
    assert slowest < HANG_GUARD_S


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
            _read(bytes(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20, f"peak {peak} bytes while parsing {len(seed)}-byte headers"


_HEAD = b"GGUF" + struct.pack("<IQQ", 3, 1, 2)


@settings(max_examples=400, deadline=None, database=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_start(tail: bytes) -> None:
    result = _read(_HEAD + tail)
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
    for _ in range(300):
        target.write_bytes(_mutate(seed, rng))
        try:
            reader.read_gguf(target)
            outcomes["spec"] += 1
        except GGUFFormatError as error:
            assert error.path == target
            outcomes["error"] += 1
    assert outcomes["spec"] > 10 and outcomes["error"] > 100, outcomes
