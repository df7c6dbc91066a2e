"""The composition root: builds the services once, the qasync event loop and the main window."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import os
import sys
import traceback
from types import TracebackType

# qasync picks the first Qt binding already imported, or QT_API; make it PySide6 before import.
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from slmdesk import __version__, paths
from slmdesk.core.errors import UserError
from slmdesk.core.resources import app_icon_path
from slmdesk.core.settings import apply_offline_mode, load_settings
from slmdesk.hardware.live import UsageSampler
from slmdesk.inventory.load_plans import LoadPlanStore, import_legacy_file
from slmdesk.inventory.repository import open_inventory
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.gc_guard import GuiThreadCollector
from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.context import AppContext
from slmdesk.ui.main_window import PANE_NAMES, MainWindow

log = logging.getLogger("slmdesk")

SMOKE_TEST_PANE_MS = 150
"""How long the smoke test shows each pane: enough for a paint and a status-bar refresh."""

DESKTOP_ID = "io.github.slmdesk.slmdesk"
"""The desktop entry's and AppStream component's id (reverse-DNS, as the AppStream spec asks);
Wayland compositors match the window to ``<id>.desktop`` and its icon through it."""


def app_icon() -> QIcon:
    """The application icon: the SVG for any size plus the rendered PNGs (crisp at small sizes)."""
    icon = QIcon(str(app_icon_path()))
    for png in sorted(app_icon_path().parent.glob("slmdesk-*.png")):
        icon.addFile(str(png))
    return icon


def build_context() -> AppContext:
    """Build every service once.

    Raises:
        OSError: the data directories cannot be created.
        UserError: the inventory database cannot be opened or migrated.
    """
    app_paths = paths.resolve().ensure()
    _configure_logging(app_paths.logs)
    settings = load_settings(app_paths.settings_file)
    apply_offline_mode(settings.offline_mode)  # this process and every child it starts
    inventory = open_inventory(app_paths.database)
    import_legacy_file(inventory, app_paths.load_defaults_file)
    return AppContext(
        paths=app_paths,
        settings=settings,
        runner=JobRunner(),
        sampler=UsageSampler(),
        inventory=inventory,
        engine=EngineSession(),
        plans=LoadPlanStore(inventory, default_n_ctx=settings.default_n_ctx),
    )


def _configure_logging(log_dir: os.PathLike[str]) -> None:
    root = logging.getLogger()
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return
    handler = logging.handlers.RotatingFileHandler(
        os.path.join(log_dir, "slmdesk.log"), maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


class _FailureRecorder:
    """Collects uncaught exceptions and Qt critical messages; shows them without dying."""

    def __init__(self, interactive: bool) -> None:
        self.failures: list[str] = []
        self._interactive = interactive

    def excepthook(
        self, kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        log.error("uncaught exception:\n%s", text)
        self.failures.append(text)
        print(text, file=sys.stderr)
        if self._interactive and QApplication.instance() is not None:
            QMessageBox.critical(
                None, "slmdesk: unexpected error", f"{kind.__name__}: {value}\n\nDetails are in the log."
            )

    def qt_message(self, kind: QtMsgType, _context: object, message: str) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            self.failures.append(f"Qt: {message}")
        log.log(logging.WARNING if kind != QtMsgType.QtDebugMsg else logging.DEBUG, "Qt: %s", message)


def run_gui(smoke_test: bool = False) -> int:
    """Open the main window and run the Qt + asyncio loop until it closes; return the exit code.

    With ``smoke_test``, every pane and the About dialog are shown briefly, the window closes
    by itself, and the exit code is 1 if any uncaught exception or Qt critical message occurred.
    """
    recorder = _FailureRecorder(interactive=not smoke_test)
    sys.excepthook = recorder.excepthook
    qInstallMessageHandler(recorder.qt_message)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("slmdesk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())
    collector = GuiThreadCollector(app)  # cyclic GC on the GUI thread only (see gc_guard)
    collector.start()

    try:
        context = build_context()
    except OSError as error:
        collector.stop()
        QMessageBox.critical(None, "slmdesk cannot start", f"Cannot create its folders: {error}")
        return 2
    except UserError as error:
        collector.stop()
        QMessageBox.critical(None, "slmdesk cannot start", str(error))
        return 2
    window = MainWindow(context)
    window.show()
    ready: list[float] = []
    # The first timer runs once the shown window's first events (and paint) are processed.
    QTimer.singleShot(0, window, lambda: ready.append(_seconds_since_process_start()))
    if smoke_test:
        _schedule_smoke_test(window)

    async def until_quit() -> None:
        closed = asyncio.Event()
        app.lastWindowClosed.connect(closed.set)
        await closed.wait()

    try:
        qasync.run(until_quit())
    finally:
        context.runner.shutdown()
        context.engine.shutdown()
        context.inventory.close()
        # The collector is not stopped: automatic collection stays off until the process ends,
        # in case a job thread outlived the runner's shutdown wait.
        qInstallMessageHandler(None)
        sys.excepthook = sys.__excepthook__
    if recorder.failures:
        print(f"slmdesk: {len(recorder.failures)} failure(s) during the run", file=sys.stderr)
        return 1
    if smoke_test:
        startup = f" (window ready {ready[0]:.2f} s after the process started)" if ready else ""
        print(f"slmdesk {__version__}: smoke test passed{startup}")
    return 0


def _seconds_since_process_start() -> float:
    """Wall-clock seconds since this process was created (a frozen app's unpacking included)."""
    import time

    import psutil

    return time.time() - float(psutil.Process().create_time())


def _schedule_smoke_test(window: MainWindow) -> None:
    """Visit every pane, open and close About, then close the window."""
    delay = 0
    for name in PANE_NAMES:
        delay += SMOKE_TEST_PANE_MS
        QTimer.singleShot(delay, window, lambda n=name: window.show_pane(n))

    def about_round_trip() -> None:
        dialog = window.show_about_modeless()
        QTimer.singleShot(SMOKE_TEST_PANE_MS, dialog, dialog.close)

    delay += SMOKE_TEST_PANE_MS
    QTimer.singleShot(delay, window, about_round_trip)
    QTimer.singleShot(delay + 3 * SMOKE_TEST_PANE_MS, window, window.close)
