"""Library pane on 10,000 artifacts: time to a usable pane, and per-keystroke filter time.

Run: .venv/bin/python benchmarks/library_pane_speed.py
Targets (issue 3): usable within 1 s; a filter keystroke under 50 ms.

The pane is the real LibraryPane over a real SQLite inventory holding 10,000 artifacts
(inserted directly with the ORM: no files behind them), so the time includes the query.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import tempfile

from PySide6.QtWidgets import QApplication

from slmdesk.inventory.orm import Artifact
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import open_inventory
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import resolve
from slmdesk.ui.library.model import ArtifactTableModel
from slmdesk.ui.library.pane import LibraryPane

N = 10_000
QUANTS = ("Q4_K_M", "Q5_K_M", "Q8_0", "Q4_1", "F16", "IQ4_XS")
ARCHES = ("llama", "gemma3", "qwen2", "phi3", "mistral")


def synthetic_records(n: int = N) -> list[ArtifactRecord]:
    """``n`` plausible artifact records (no files behind them)."""
    now = datetime.now(UTC)
    return [
        ArtifactRecord(
            id=i + 1,
            path=Path(f"/models/{ARCHES[i % 5]}-{i}/model-{i}.{QUANTS[i % 6]}.gguf"),
            format="gguf",
            files=(Path(f"/models/m{i}.gguf"),),
            status="ok" if i % 17 else "missing",
            size_bytes=(i + 1) * 3_000_000 + (5 << 30 if i % 3 == 0 else 0),
            mtime_ns=None,
            source_kind=("folder", "hf_cache", "ollama", "lmstudio")[i % 4],
            name=f"{ARCHES[i % 5].title()} model {i}",
            architecture=ARCHES[i % 5],
            quantization=QUANTS[i % 6],
            n_params=(i + 1) * 1_000_000,
            context_length=4096 * (1 + i % 8),
            added_at=now,
        )
        for i in range(n)
    ]


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="slmdesk-bench-"))
    os.environ["SLMDESK_HOME"] = str(home)
    paths = resolve().ensure()
    inventory = open_inventory(paths.database)
    with inventory.session() as session:
        session.add_all(
            Artifact(
                path=str(r.path), format=r.format, status=r.status, size_bytes=r.size_bytes,
                source_kind=r.source_kind, name=r.name, architecture=r.architecture,
                quantization=r.quantization, n_params=r.n_params, context_length=r.context_length,
            )
            for r in synthetic_records()
        )
        session.commit()
    app = QApplication.instance() or QApplication([])
    runner = JobRunner()
    started = time.perf_counter()
    pane = LibraryPane(inventory, runner, paths)
    pane.resize(1300, 750)
    pane.show()
    app.processEvents()
    shown = time.perf_counter() - started
    while pane.model.rowCount() < N:  # the records arrive from a background read
        app.processEvents()
        time.sleep(0.005)
    usable = time.perf_counter() - started
    print(f"pane on screen (responsive, records loading) after {shown * 1000:.0f} ms")
    print(
        f"{pane.model.rowCount()} artifacts from SQLite: table filled after {usable * 1000:.0f} ms (target < 1000 ms)"
    )

    timings = []
    for text in ("l", "ll", "lla", "llam", "llama", "llama q", "llama q4", "llama q4_", "llama q4_k", ""):
        t0 = time.perf_counter()
        pane.filter_edit.setText(text)
        app.processEvents()
        timings.append((time.perf_counter() - t0) * 1000)
    print(
        f"filter keystroke: median {statistics.median(timings):.1f} ms, "
        f"max {max(timings):.1f} ms over {len(timings)} keystrokes (target < 50 ms)"
    )
    t0 = time.perf_counter()
    pane.table.sortByColumn(ArtifactTableModel.COL_SIZE, pane.table.horizontalHeader().sortIndicatorOrder())
    app.processEvents()
    print(f"sort by size: {(time.perf_counter() - t0) * 1000:.0f} ms")
    pane.close()
    runner.shutdown()
    inventory.close()


if __name__ == "__main__":
    main()
