"""Preview the Catalog pane alone: ``python -m slmdesk.ui.catalog`` (the real curated catalog,
this machine probed, a throw-away inventory; the Hub tab obeys offline mode)."""

from __future__ import annotations

import sys
import tempfile

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication


def main() -> int:
    """Open the pane in a window of its own; returns the exit status."""
    from slmdesk.inventory.repository import open_inventory
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.paths import HOME_ENV, resolve
    from slmdesk.ui.catalog.pane import CatalogPane

    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory(prefix="slmdesk-catalog-preview-") as folder:
        app_paths = resolve({HOME_ENV: folder}).ensure()
        inventory = open_inventory(app_paths.database)
        runner = JobRunner()
        pane = CatalogPane(runner, app_paths, inventory)
        pane.setWindowTitle(QCoreApplication.translate("CatalogPreview", "Catalog — slmdesk preview"))
        pane.resize(1280, 800)
        pane.show()
        pane.artifacts.refresh()
        code = app.exec()
        runner.shutdown()
        inventory.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
