"""Preview the Benchmark pane with fake results: ``python -m slmdesk.ui.bench [--screenshot out.png]``.

Runs against a throw-away inventory in a temporary folder (never the user's), stores a few
made-up runs of two models over three days, and shows the pane (or saves a picture of it).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slmdesk.bench.results import BenchResult


def fake_results() -> list[BenchResult]:
    """Made-up runs: a GGUF and an ONNX build of one model, three runs each, a day apart."""
    from slmdesk.bench.results import BenchResult
    from slmdesk.bench.settings import PRESETS
    from slmdesk.bench.stats import seconds, tokens_per_s

    rng = random.Random(3)
    now = datetime.now(UTC)
    results = []
    for day in range(3):
        for name, quant, backend, fmt, pp, tg in (
            ("SmolLM2 135M Instruct", "Q4_1", "llama.cpp", "gguf", 150.0, 77.0),
            ("SmolLM2 135M Instruct", "int4", "onnxruntime-genai", "onnx", 120.0, 60.0),
        ):
            results.append(BenchResult(
                model_path=f"/models/smollm2.{fmt}", model_name=name, model_format=fmt, model_sha256=None,
                quantization=quant, backend=backend, backend_version="0.3.36" if fmt == "gguf" else "0.18.0",
                n_threads=2, n_ctx=256, n_batch=160, n_ubatch=160, flash_attn="auto", settings=PRESETS["quick"],
                pp=tokens_per_s(128, [int(128e9 / (pp * rng.uniform(0.93, 1.07))) for _ in range(3)]),
                tg=tokens_per_s(32, [int(32e9 / (tg * rng.uniform(0.95, 1.05) * (1 + day * 0.03))) for _ in range(3)]),
                ttft=seconds([rng.uniform(0.9, 1.1) for _ in range(3)]), load_s=0.2, peak_rss_bytes=190 << 20,
                fit_tg_bound=100.8, hardware={"cpu_model": "AMD EPYC"},
                created_at=now - timedelta(days=2 - day, minutes=5 * (fmt == "onnx")),
            ))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the pane and exit")
    parser.add_argument("--tab", choices=("speed", "history", "compare"), default="speed", help="tab to show")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from slmdesk.bench.results import save_result
    from slmdesk.inventory.repository import open_inventory
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.paths import HOME_ENV, resolve
    from slmdesk.ui.bench.pane import BenchmarkPane

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="slmdesk-bench-preview-") as folder:
        paths = resolve({HOME_ENV: folder}).ensure()
        inventory = open_inventory(paths.database)
        for result in fake_results():
            save_result(inventory, result)
        runner = JobRunner()
        pane = BenchmarkPane(inventory, runner, paths)
        pane.setWindowTitle(QCoreApplication.translate("BenchPreview", "slmdesk — Benchmark (preview, fake data)"))
        pane.resize(1400, 860)
        pane.show()
        if args.screenshot:
            def shoot() -> None:
                if pane.is_refreshing():
                    QTimer.singleShot(100, shoot)
                    return
                if args.tab == "compare":
                    pane.select_results([r.id for r in pane.results_model.results()[:2] if r.id is not None])
                pane.tabs.setCurrentIndex(("speed", "history", "compare").index(args.tab))
                pane.grab().save(str(args.screenshot))
                pane.close()

            QTimer.singleShot(300, shoot)
        code = app.exec()
        runner.shutdown()
        inventory.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
