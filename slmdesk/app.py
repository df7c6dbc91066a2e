"""The composition root: builds the services once, the qasync event loop and the main window."""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

# qasync picks the first Qt binding already imported, or QT_API; make it PySide6 before import.
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QCoreApplication, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from slmdesk import __version__, paths
from slmdesk.core.errors import UserError
from slmdesk.core.offline import apply_network_policy
from slmdesk.core.resources import app_icon_path
from slmdesk.core.settings import Settings, load_settings
from slmdesk.hardware.live import UsageSampler
from slmdesk.hub.http import install_request_log
from slmdesk.inventory import backups
from slmdesk.inventory.backups import InventoryDamaged
from slmdesk.inventory.load_plans import LoadPlanStore, import_legacy_file
from slmdesk.inventory.repository import open_inventory
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.gc_guard import GuiThreadCollector
from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.context import AppContext
from slmdesk.ui.i18n import install_language
from slmdesk.ui.main_window import PANE_NAMES, MainWindow
from slmdesk.ui.startup import DamagedInventoryChoice, ModalTrap, ask_about_damaged_inventory
from slmdesk.ui.theme import apply_theme

log = logging.getLogger("slmdesk")

NOTICE_MS = 20_000
"""How long the status bar shows what start-up did about a damaged inventory."""

SMOKE_TEST_PANE_MS = 150
"""How long the smoke test shows each pane: enough for a paint and a status-bar refresh."""

GUI_PROCESS = "slmdesk GUI"
"""The GUI process's name in the Network log."""

DESKTOP_ID = "io.github.slmdesk.slmdesk"
"""The desktop entry's and AppStream component's id (reverse-DNS, as the AppStream spec asks);
Wayland compositors match the window to ``<id>.desktop`` and its icon through it."""


def app_icon() -> QIcon:
    """The application icon: the SVG for any size plus the rendered PNGs (crisp at small sizes)."""
    icon = QIcon(str(app_icon_path()))
    for png in sorted(app_icon_path().parent.glob("slmdesk-*.png")):
        icon.addFile(str(png))
    return icon


def build_context(settings: Settings | None = None) -> AppContext:
    """Build every service once, with ``settings`` (default: read from the settings file).

    Offline mode (Settings, or ``--offline``/``SLMDESK_OFFLINE=1`` for this run) is applied and
    this process guarded first (:func:`slmdesk.core.offline.apply_network_policy`). The
    inventory's integrity is checked (``PRAGMA quick_check``) and a rolling backup is taken when
    the newest is a day old (:mod:`slmdesk.inventory.backups`).

    Raises:
        OSError: the data directories cannot be created.
        InventoryDamaged: the inventory cannot be read or fails SQLite's integrity check.
        UserError: the inventory database cannot be opened or migrated.
    """
    app_paths = paths.resolve().ensure()
    _configure_logging(app_paths.logs)
    if settings is None:
        settings = load_settings(app_paths.settings_file)
    # Offline mode for this process and every child it starts, and the network guard, before
    # any service exists.
    apply_network_policy(settings.offline_mode, process=GUI_PROCESS, app_paths=app_paths)
    install_request_log()  # every HTTP request through huggingface_hub's session in the Network log
    inventory = open_inventory(app_paths.database)
    try:
        _check_and_back_up(app_paths.database)
        import_legacy_file(inventory, app_paths.load_defaults_file)
    except BaseException:
        inventory.close()
        raise
    return AppContext(
        paths=app_paths,
        settings=settings,
        runner=JobRunner(),
        sampler=UsageSampler(),
        inventory=inventory,
        engine=EngineSession(),
        plans=LoadPlanStore(inventory, default_n_ctx=settings.default_n_ctx),
    )


def _check_and_back_up(db_path: Path) -> None:
    """Check the inventory's integrity, then take a rolling backup when one is due. A damaged
    inventory raises :class:`InventoryDamaged`; a backup that cannot be written is logged, not
    fatal (the inventory itself is fine)."""
    backups.check_integrity(db_path)  # ~40 ms for 10,000 artifacts (backups.integrity_problem)
    try:
        taken = backups.take_backup_if_due(db_path)
    except InventoryDamaged:
        raise
    except UserError as error:
        log.warning("no backup of the inventory today: %s", error)
        return
    if taken is not None:
        log.info("inventory backed up to %s", taken)


def _repair_inventory(error: InventoryDamaged, choice: DamagedInventoryChoice) -> str:
    """Carry out the user's choice for a damaged inventory; return what was done, for the
    status bar (in the interface language).

    Raises:
        UserError: no usable backup, or the files cannot be moved or copied.
    """
    if choice is DamagedInventoryChoice.RESTORE:
        result = backups.restore_latest_backup(error.db_path)
        taken = f"{result.backup.taken_at:%Y-%m-%d %H:%M}"
        if result.damaged:
            return QCoreApplication.translate(
                "App", "Inventory restored from the backup taken {taken} UTC; the damaged file is kept as {name}."
            ).format(taken=taken, name=result.damaged.name)
        return QCoreApplication.translate("App", "Inventory restored from the backup taken {taken} UTC.").format(
            taken=taken)
    aside = backups.move_aside(error.db_path)
    return QCoreApplication.translate(
        "App", "Started with an empty inventory; the damaged one is kept as {name}.").format(name=aside.name)


def _cannot_start(text: str) -> None:
    """Tell the user, in a modal box, why slmdesk cannot start."""
    QMessageBox.critical(None, QCoreApplication.translate("App", "slmdesk cannot start"), text)


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
                None, QCoreApplication.translate("App", "slmdesk: unexpected error"),
                QCoreApplication.translate("App", "{kind}: {error}\n\nDetails are in the log.").format(
                    kind=kind.__name__, error=value),
            )

    def qt_message(self, kind: QtMsgType, _context: object, message: str) -> None:
        if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            self.failures.append(f"Qt: {message}")
        log.log(logging.WARNING if kind != QtMsgType.QtDebugMsg else logging.DEBUG, "Qt: %s", message)


def run_gui(smoke_test: bool = False) -> int:
    """Open the main window and run the Qt + asyncio loop until it closes; return the exit code.

    With ``smoke_test``, every pane and the About dialog are shown briefly, the window closes
    by itself, and the exit code is 1 if any uncaught exception or Qt critical message occurred.
    A modal dialog (a damaged inventory, an error box) would wait for a click no one gives: in
    a smoke test its title and text go to stderr and the process ends at once with status 1.

    A damaged inventory (:class:`InventoryDamaged`) is not fatal: the user is offered to restore
    the latest backup or start with an empty inventory (the damaged file is kept either way).
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
    # Before any widget is built: widgets read the language when they are created.
    # load_settings never fails: an unreadable or invalid file gives the defaults (logged).
    settings = load_settings(paths.resolve().settings_file)
    shown = f"language {install_language(settings.language)}, {apply_theme(app, settings.theme)} theme"
    if smoke_test:
        # Nobody clicks in a smoke test: a modal dialog is a failure, reported at once.
        app.installEventFilter(ModalTrap(_fail_on_modal, app))
    collector = GuiThreadCollector(app)  # cyclic GC on the GUI thread only (see gc_guard)
    collector.start()

    notice = ""
    while True:
        try:
            context = build_context(settings)
            break
        except OSError as error:
            collector.stop()
            _cannot_start(QCoreApplication.translate("App", "Cannot create its folders: {error}").format(error=error))
            return 2
        except InventoryDamaged as error:
            log.error("%s", error)
            choice = ask_about_damaged_inventory(error)
            if choice is DamagedInventoryChoice.QUIT:
                collector.stop()
                return 2
            try:
                notice = _repair_inventory(error, choice)
            except UserError as failure:
                collector.stop()
                _cannot_start(str(failure))
                return 2
            log.warning("%s", notice)
        except UserError as error:
            collector.stop()
            _cannot_start(str(error))
            return 2
    window = MainWindow(context)
    window.show()
    if notice:
        window.statusBar().showMessage(notice, NOTICE_MS)
    ready: list[float] = []
    if smoke_test:
        # The first timer runs once the shown window's first events (and paint) are processed.
        QTimer.singleShot(0, window, lambda: ready.append(_seconds_since_process_start()))
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
        print(f"slmdesk {__version__}: smoke test passed, {shown}{startup}")
    return 0


def _fail_on_modal(_window: QWidget, description: str) -> None:
    """The smoke test's answer to a modal dialog: print its text and exit with status 1 now.

    ``os._exit``: the code that opened the dialog waits in its ``exec()`` for an answer that
    no one will give, and closing the dialog would send that code down a path the user never
    chose; ending the process is the only safe way out.
    """
    message = f"slmdesk: smoke test failed: a modal dialog opened and would wait for a click:\n{description}"
    log.error("%s", message)
    print(message, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(1)


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
