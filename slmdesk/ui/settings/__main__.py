"""Preview the Settings pane: ``python -m slmdesk.ui.settings [--screenshot out.png]``.

Runs against throw-away folders in a temporary directory (never the user's): a settings file
with a few values set and one scanned folder. Save writes to that temporary file only. The
local API server's switch starts a real server over the empty temporary inventory (its key
in a file in the temporary folder).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the pane and exit")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from slmdesk.api.server import ApiServer, ServerConfig
    from slmdesk.core.settings import Settings, save_settings
    from slmdesk.inventory.load_plans import LoadPlanStore
    from slmdesk.inventory.repository import open_inventory
    from slmdesk.jobs.api_service import ApiService
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.paths import HOME_ENV, resolve
    from slmdesk.ui.settings.pane import SettingsPane

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="slmdesk-settings-preview-") as folder:
        paths = resolve({HOME_ENV: folder}).ensure()
        save_settings(Settings(default_n_ctx=8192, n_threads=4), paths.settings_file)
        inventory = open_inventory(paths.database)
        inventory.add_scan_root(paths.models, "folder")
        plans = LoadPlanStore(inventory)
        runner = JobRunner()

        def build(config: ServerConfig) -> ApiServer:
            return ApiServer.for_inventory(config, inventory, plans, paths)

        api = ApiService(runner, build)

        def saved(settings: Settings) -> None:
            print(f"saved: {settings}")
            api.apply(settings)

        pane = SettingsPane(paths, inventory, on_saved=saved, api=api)
        pane.setWindowTitle(QCoreApplication.translate("SettingsPreview", "slmdesk — Settings (preview)"))
        pane.resize(900, 700)
        pane.show()
        if args.screenshot:
            def shoot() -> None:
                pane.grab().save(str(args.screenshot))
                pane.close()

            QTimer.singleShot(300, shoot)
        code = app.exec()
        runner.shutdown()
        api.shutdown()
        inventory.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
