"""Inventory scan speed: 1,000 small synthetic GGUF files into a fresh SQLite inventory.

Run: .venv/bin/python benchmarks/scan_speed.py [N]
Target (issue 3): a first scan of 1,000 files under 2 s. CPU time is printed beside wall time
because shared build machines are often loaded. Also prints a rescan (nothing
changed: no header is read again) and listing 10,000 inventory rows (the Library's load).
Files: one file from ``tests.gguf_factory.write_gguf`` (llama, 2 layers, 32-token vocab),
copied N times with 4 different trailing bytes each, 50 per folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slmdesk.core.tasks import run_inline
from slmdesk.formats.detect import read_spec
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from tests.gguf_factory import write_gguf


def make_files(root: Path, n: int) -> int:
    """``n`` distinct GGUF files under ``root / "models"``; returns the size of one."""
    root.mkdir(parents=True, exist_ok=True)
    [template] = write_gguf(root / "template.gguf", name="Bench", n_layer=2)
    data = template.read_bytes()
    template.unlink()
    for i in range(n):
        folder = root / "models" / f"batch-{i // 50:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"model-{i:05d}.gguf").write_bytes(data + i.to_bytes(4, "little"))
    return len(data) + 4


def timed(label: str, func):  # type: ignore[no-untyped-def]
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<42} {wall:7.3f} s wall {cpu:7.3f} s CPU")
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory(prefix="slmdesk-scan-bench-") as tmp:
        root = Path(tmp)
        size = make_files(root, n)
        print(f"{n} GGUF files of {size:,} bytes; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")
        with open_inventory(root / "inventory.sqlite3") as inventory:
            first = timed(f"first scan ({n} new)", lambda: run_inline(scan_task(inventory, [root / "models"])))
            assert first.added == n and first.corrupt == 0, first
            again = timed(f"rescan ({n} unchanged)", lambda: run_inline(scan_task(inventory, [root / "models"])))
            assert again.unchanged == n, again
            records = timed(f"list_artifacts() ({n} rows)", inventory.list_artifacts)
            assert len(records) == n
        # The header reader's share of the first scan (slmdesk.formats, not the inventory).
        paths = [r.path for r in records]
        timed(f"  of which read_spec() alone ({n} files)", lambda: [read_spec(p) for p in paths])
        # The Library's load: 10,000 rows.
        if n < 10_000:
            make_files(root / "more", 10_000 - n)
        with open_inventory(root / "big.sqlite3") as inventory:
            run_inline(scan_task(inventory, [root / "models", root / "more" / "models"]))
            records = timed(f"list_artifacts() ({inventory.count_artifacts()} rows)", inventory.list_artifacts)
            assert len(records) == max(n, 10_000)


if __name__ == "__main__":
    main()
