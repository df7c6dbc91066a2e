"""Memory bandwidth of this machine: a multi-threaded read benchmark, best of several runs, cached.

Token generation streams every weight from RAM once per token, so the read bandwidth of all
cores together bounds its speed (``core/fit_llama.py``; roofline model, Williams et al., CACM
2009). For that bound to be a ceiling the figure must be one too: every logical CPU reads its
share of a 256 MiB buffer (far bigger than any CPU cache) at the same moment, and the fastest
of :data:`RUNS` runs counts. (A single-thread copy, used before, measured 18-24 GB/s on the
build machine, whose two threads read 50 GB/s: bounds from it could be beaten by a benchmark.)
About 0.3 s; cached per (CPU model, RAM size, method) as JSON in the cache directory and
measured again when older than :data:`MAX_AGE_S`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from slmdesk.core.files import write_json_atomic

log = logging.getLogger(__name__)

BUFFER_BYTES = 256 * 1024**2
RUNS = 7
CACHE_FILE = "bandwidth.json"
METHOD = "read-all-cpus-1"
"""Part of the cache key: a value measured another way (the old single-thread copy) is stale."""
MAX_AGE_S = 30 * 24 * 3600
"""A cached figure older than 30 days is measured again (a BIOS, kernel or DIMM change)."""


def measure_bandwidth(buffer_bytes: int = BUFFER_BYTES, runs: int = RUNS, threads: int | None = None) -> float:
    """Best-of-``runs`` read bandwidth in bytes/s of ``threads`` threads (default: every logical
    CPU) each reading its share of one ``buffer_bytes`` buffer at the same time.

    Every page is written first (a read of never-written memory would hit the kernel's shared
    zero page, not RAM), and one untimed run warms the threads. Each thread reduces its chunk
    with ``numpy.bitwise_or.reduce`` (vectorized, and numpy releases the GIL in it); a run lasts
    from the start barrier until the last thread is done. Needs numpy (a llama-cpp-python
    dependency).

    Raises:
        ValueError: ``buffer_bytes`` is smaller than 8 bytes per thread.
    """
    import numpy as np

    n_threads = max(1, threads or os.cpu_count() or 1)
    words = buffer_bytes // 8
    if words < n_threads:
        raise ValueError(f"a {buffer_bytes}-byte buffer cannot be shared by {n_threads} threads")
    buffer = np.empty(words, dtype=np.uint64)
    buffer.fill(1)
    chunks = np.array_split(buffer, n_threads)
    start, end = threading.Barrier(n_threads + 1), threading.Barrier(n_threads + 1)
    rounds = max(1, runs) + 1  # the first one is the untimed warm-up

    def reader(chunk: np.ndarray) -> None:
        for _ in range(rounds):
            start.wait()
            np.bitwise_or.reduce(chunk)
            end.wait()

    workers = [threading.Thread(target=reader, args=(chunk,), name=f"bandwidth-{i}", daemon=True)
               for i, chunk in enumerate(chunks)]
    for worker in workers:
        worker.start()
    best = float("inf")
    try:
        for round_index in range(rounds):
            start.wait()
            began = time.perf_counter()
            end.wait()
            if round_index:
                best = min(best, time.perf_counter() - began)
    finally:
        for worker in workers:
            worker.join()
    return buffer.nbytes / best


def cache_key(cpu_model: str, ram_total_bytes: int) -> str:
    """The cache key: the measurement belongs to a CPU, a RAM size and a method (:data:`METHOD`)."""
    return f"{cpu_model}|{ram_total_bytes}|{METHOD}"


def _cache_age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return float("inf")


def cached_bandwidth(
    cache_dir: Path, cpu_model: str, ram_total_bytes: int, refresh: bool = False, measure: bool = True
) -> float | None:
    """The machine's read bandwidth (bytes/s), measured on first use and read from
    ``<cache_dir>/bandwidth.json`` afterwards; ``refresh`` measures again, and so does a cache
    older than :data:`MAX_AGE_S` or without an entry for this :func:`cache_key`. With
    ``measure=False`` a miss gives the stale value when there is one, else None, and measures
    nothing. A cache that cannot be written is only logged."""
    key = cache_key(cpu_model, ram_total_bytes)
    path = cache_dir / CACHE_FILE
    entries: dict[str, float] = {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(raw, dict):
            entries = {str(k): float(v) for k, v in raw.items() if isinstance(v, (int, float))}
    except (OSError, ValueError):
        pass
    known = entries.get(key, 0.0)
    fresh = known > 0 and _cache_age_s(path) <= MAX_AGE_S
    if fresh and not refresh:
        return known
    if not measure:
        return known or None
    value = measure_bandwidth()
    entries = {k: v for k, v in entries.items() if k.endswith(f"|{METHOD}")}  # older methods' figures go
    entries[key] = value
    try:
        write_json_atomic(path, entries, indent=1)
    except OSError as error:
        log.warning("cannot cache the bandwidth measurement in %s: %s", path, error)
    return value
