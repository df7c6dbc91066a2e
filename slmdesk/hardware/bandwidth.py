"""Memory bandwidth of this machine, measured once with a short copy benchmark and cached.

Token generation on a CPU streams every weight from RAM once per token, so sustained memory
bandwidth bounds its speed (``core/fit.py``). The measurement copies one half of a 256 MiB numpy buffer
(much bigger than any CPU cache) onto the other a few times and keeps the best run; bandwidth follows the
STREAM "Copy" convention (McCalpin): bytes read + bytes written, per second. It takes about
0.3-0.6 s and runs once per (CPU model, RAM size): the result is cached as JSON in the cache
directory.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from slmdesk.core.files import write_json_atomic

log = logging.getLogger(__name__)

BUFFER_BYTES = 256 * 1024**2
RUNS = 5
CACHE_FILE = "bandwidth.json"


def measure_bandwidth(buffer_bytes: int = BUFFER_BYTES, runs: int = RUNS) -> float:
    """Best-of-``runs`` copy bandwidth in bytes/s: ``2 * half / seconds``.

    One ``buffer_bytes`` allocation is split in two halves; the first half is written (a read of
    never-written memory would hit the kernel's shared zero page, not RAM), the first copy
    faults the second half in and is not timed. Needs numpy (a llama-cpp-python dependency).
    """
    import numpy as np

    buffer = np.empty(buffer_bytes // 8, dtype=np.float64)
    half = buffer.size // 2
    source, target = buffer[:half], buffer[half : 2 * half]
    source.fill(1.0)
    np.copyto(target, source)  # page faults happen here, untimed
    best = float("inf")
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best


def cache_key(cpu_model: str, ram_total_bytes: int) -> str:
    """The cache key: the measurement belongs to a CPU and a RAM size."""
    return f"{cpu_model}|{ram_total_bytes}"


def cached_bandwidth(
    cache_dir: Path, cpu_model: str, ram_total_bytes: int, refresh: bool = False, measure: bool = True
) -> float | None:
    """The machine's bandwidth (bytes/s), measured on first use and read from
    ``<cache_dir>/bandwidth.json`` afterwards; ``refresh`` measures again. With
    ``measure=False`` a cache miss gives None instead of a measurement. A cache that cannot be
    written is only logged."""
    key = cache_key(cpu_model, ram_total_bytes)
    path = cache_dir / CACHE_FILE
    entries: dict[str, float] = {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict):
            entries = {str(k): float(v) for k, v in raw.items() if isinstance(v, (int, float))}
    except (OSError, ValueError):
        pass
    if key in entries and entries[key] > 0 and not refresh:
        return entries[key]
    if not measure:
        return None
    value = measure_bandwidth()
    entries[key] = value
    try:
        write_json_atomic(path, entries, indent=1)
    except OSError as error:
        log.warning("cannot cache the bandwidth measurement in %s: %s", path, error)
    return value
