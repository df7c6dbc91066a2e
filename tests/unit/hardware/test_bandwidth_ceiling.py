"""The bandwidth figure the speed bound divides: every CPU reading at once, best of several runs,
measured again when the cached value is stale (older than 30 days, or taken another way)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from slmdesk.core.units import MIB
from slmdesk.hardware import bandwidth


@pytest.fixture
def measurements(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A fake benchmark reporting 40, 41, 42... GB/s; returns the values reported so far."""
    reported: list[float] = []

    def measure(buffer_bytes: int = bandwidth.BUFFER_BYTES, runs: int = bandwidth.RUNS,
                threads: int | None = None) -> float:
        reported.append(40e9 + 1e9 * len(reported))
        return reported[-1]

    monkeypatch.setattr(bandwidth, "measure_bandwidth", measure)
    return reported


def test_a_real_measurement_reads_every_byte_of_the_buffer() -> None:
    rate = bandwidth.measure_bandwidth(buffer_bytes=16 * MIB, runs=2, threads=2)
    assert 100e6 < rate < 100e12  # bytes/s: a finite, positive figure
    with pytest.raises(ValueError, match="cannot be shared by 4 threads"):
        bandwidth.measure_bandwidth(buffer_bytes=16, threads=4)


def test_a_fresh_value_is_reused(tmp_path: Path, measurements: list[float]) -> None:
    first = bandwidth.cached_bandwidth(tmp_path, "cpu", 42)
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42) == first == 40e9
    assert measurements == [40e9]
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42, refresh=True) == 41e9


def test_a_value_measured_the_old_way_is_stale(tmp_path: Path, measurements: list[float]) -> None:
    # The single-thread copy benchmark cached "<cpu>|<ram>" without a method.
    cache = tmp_path / bandwidth.CACHE_FILE
    cache.write_text(json.dumps({"cpu|42": 18.5e9, "other cpu|7": 9e9}))
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42) == 40e9
    assert json.loads(cache.read_text()) == {bandwidth.cache_key("cpu", 42): 40e9}  # old figures dropped


def test_an_old_value_is_measured_again(tmp_path: Path, measurements: list[float]) -> None:
    cache = tmp_path / bandwidth.CACHE_FILE
    cache.write_text(json.dumps({bandwidth.cache_key("cpu", 42): 12.5e9}))
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42) == 12.5e9  # fresh
    month_ago = time.time() - bandwidth.MAX_AGE_S - 60
    os.utime(cache, (month_ago, month_ago))
    # Without permission to measure, the stale value is better than none.
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42, measure=False) == 12.5e9
    assert measurements == []
    assert bandwidth.cached_bandwidth(tmp_path, "cpu", 42) == 40e9
    assert bandwidth.cached_bandwidth(tmp_path, "unknown cpu", 1, measure=False) is None
