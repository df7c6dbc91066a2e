"""Library pane on 10,000 artifacts: time to a usable table, and per-keystroke filter time.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/library_pane_speed.py
Targets (issue 3): usable within 1 s; a filter keystroke under 50 ms.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from slmdesk.inventory.records import ArtifactRecord  # noqa: E402
from slmdesk.ui.library.model import ArtifactTableModel  # noqa: E402

N = 10_000
QUANTS = ("Q4_K_M", "Q5_K_M", "Q8_0", "Q4_1", "F16", "IQ4_XS")
ARCHES = ("llama", "gemma3", "qwen2", "phi3", "mistral")


def synthetic_records(n: int = N) -> list[ArtifactRecord]:
    """``n`` plausible artifact records (no files behind them)."""
    now = datetime.now(timezone.utc)
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
    app = QApplication.instance() or QApplication([])
    records = synthetic_records()
    started = time.perf_counter()
    model = ArtifactTableModel()
    view = QTableView()
    view.setModel(model)
    view.setSortingEnabled(True)
    view.resize(1200, 700)
    view.show()
    model.set_records(records)
    app.processEvents()
    usable = time.perf_counter() - started
    print(f"{N} artifacts: table usable after {usable * 1000:.0f} ms (target < 1000 ms)")

    timings = []
    for text in ("l", "ll", "lla", "llam", "llama", "llama q", "llama q4", "llama q4_", "llama q4_k", ""):
        t0 = time.perf_counter()
        model.set_text(text)
        app.processEvents()
        timings.append((time.perf_counter() - t0) * 1000)
    print(
        f"filter keystroke: median {statistics.median(timings):.1f} ms, "
        f"max {max(timings):.1f} ms over {len(timings)} keystrokes (target < 50 ms)"
    )
    t0 = time.perf_counter()
    view.sortByColumn(ArtifactTableModel.COL_SIZE, view.horizontalHeader().sortIndicatorOrder())
    app.processEvents()
    print(f"sort by size: {(time.perf_counter() - t0) * 1000:.0f} ms")
    view.close()


if __name__ == "__main__":
    main()
