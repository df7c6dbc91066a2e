"""The main window: a sidebar of panes, a stacked pane area, a live status bar, and the local API server."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QProcess, QSettings, QSize, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from slmdesk.core import offline
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.settings import Settings
from slmdesk.engine.types import LoadSettings
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.jobs.api_service import ApiService, ApiStatus, ServerState
from slmdesk.ui.about import AboutDialog
from slmdesk.ui.artifacts import ArtifactSourceModel
from slmdesk.ui.bench.pane import BenchmarkPane
from slmdesk.ui.catalog.pane import CatalogPane
from slmdesk.ui.chat.pane import ChatPane
from slmdesk.ui.context import AppContext
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP
from slmdesk.ui.jobs.pane import JobsPane
from slmdesk.ui.library.pane import LibraryPane
from slmdesk.ui.network_log import open_network_log
from slmdesk.ui.quantize.pane import QuantizePane
from slmdesk.ui.settings.pane import SettingsPane
from slmdesk.ui.startup import relaunch_command
from slmdesk.ui.statusbar import UsageLabel
from slmdesk.ui.theme import apply_theme

if TYPE_CHECKING:
    from slmdesk.api.models import ServedModel
    from slmdesk.api.server import ApiServer, ServerConfig

log = logging.getLogger(__name__)

PANE_NAMES: tuple[str, ...] = (
    QT_TRANSLATE_NOOP("MainWindow", "Library"),
    QT_TRANSLATE_NOOP("MainWindow", "Catalog"),
    QT_TRANSLATE_NOOP("MainWindow", "Quantize"),
    QT_TRANSLATE_NOOP("MainWindow", "Chat"),
    QT_TRANSLATE_NOOP("MainWindow", "Benchmark"),
    QT_TRANSLATE_NOOP("MainWindow", "Jobs"),
    QT_TRANSLATE_NOOP("MainWindow", "Settings"),
)
"""The panes in sidebar order: English ids used in code and the window-state file; shown
through :func:`pane_title`."""


def pane_title(name: str) -> str:
    """The pane ``name`` (a :data:`PANE_NAMES` id) in the interface language."""
    return QCoreApplication.translate("MainWindow", name)


class MainWindow(QMainWindow):
    """Sidebar (Ctrl+1..7) over the panes; remembers size, position and the last pane. Owns the
    local API server (:attr:`api`): started at launch when Settings say so, stopped on quit."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._state = QSettings(str(context.paths.window_state_file), QSettings.Format.IniFormat)
        self.artifacts = ArtifactSourceModel(context.inventory, context.runner, self)
        """The one source model of artifacts every pane views (loaded by the Library's refresh)."""
        self.api = ApiService(context.runner, self._build_api_server, self)
        """The local OpenAI-compatible server, switched in Settings (its own engine processes, and
        Chat's engine for the model Chat has loaded)."""
        self.api.status_changed.connect(self._on_api_status)
        self.setWindowTitle("slmdesk")
        self.setMinimumSize(QSize(720, 480))

        self.sidebar = QListWidget(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(150)
        self.sidebar.setAccessibleName(self.tr("Panes"))
        self.stack = QStackedWidget(self)
        self.panes: dict[str, QWidget] = {}
        for index, name in enumerate(PANE_NAMES):
            pane = self._build_pane(name)
            self.panes[name] = pane
            self.stack.addWidget(pane)
            item = QListWidgetItem(pane_title(name), self.sidebar)
            item.setToolTip(self.tr("{pane} (Ctrl+{number})").format(pane=pane_title(name), number=index + 1))
            item.setSizeHint(QSize(140, 36))
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.library: LibraryPane = self.panes["Library"]  # type: ignore[assignment]
        self.chat: ChatPane = self.panes["Chat"]  # type: ignore[assignment]
        self.library.open_in_chat_requested.connect(self._on_open_in_chat)
        self.bench: BenchmarkPane = self.panes["Benchmark"]  # type: ignore[assignment]
        self.library.open_in_bench_requested.connect(self._on_open_in_bench)
        self.quantize: QuantizePane = self.panes["Quantize"]  # type: ignore[assignment]
        self.library.quantize_requested.connect(self._on_quantize_requested)
        self.library.compare_requested.connect(self._on_compare_requested)
        self.library.fit_panel.defaults_saved.connect(self._on_defaults_saved)
        settings_pane: SettingsPane = self.panes["Settings"]  # type: ignore[assignment]
        settings_pane.remotes_box.connections_changed.connect(self.chat.refresh_remotes)
        settings_pane.restart_requested.connect(self.restart)
        self.sidebar.currentRowChanged.connect(self._on_pane_changed)

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.usage_label = UsageLabel(context.sampler, self)
        self.statusBar().addPermanentWidget(self.usage_label)
        self._build_menus()
        self._restore_state()
        if context.settings.api_enabled:
            self.api.apply(context.settings)

    # -- construction ---------------------------------------------------------------------
    def _build_pane(self, name: str) -> QWidget:
        if name == "Library":
            return LibraryPane(self._context.inventory, self._context.runner, self._context.paths, self,
                               plans=self._context.plans, artifacts=self.artifacts, state=self._state)
        if name == "Chat":
            return ChatPane(
                self._context.inventory, self._context.engine, self._context.runner, self.load_settings_for, self,
                verdict_for=self._verdict_text, artifacts=self.artifacts,
                enter_sends=self._context.settings.enter_sends, state=self._state,
            )
        if name == "Benchmark":
            return BenchmarkPane(self._context.inventory, self._context.runner, self._context.paths, parent=self,
                                 plans=self._context.plans, artifacts=self.artifacts,
                                 local_endpoint=self._local_api_endpoint, state=self._state)
        if name == "Catalog":
            return CatalogPane(self._context.runner, self._context.paths, self._context.inventory,
                               artifacts=self.artifacts, state=self._state, parent=self)
        if name == "Quantize":
            return QuantizePane(self._context.inventory, self._context.runner, self._context.paths, self,
                                artifacts=self.artifacts, state=self._state)
        if name == "Jobs":
            return JobsPane(self._context.runner, self)
        if name == "Settings":
            return SettingsPane(self._context.paths, self._context.inventory, self, settings=self._context.settings,
                                on_saved=self._apply_settings, api=self.api)
        raise ValueError(f"no pane is called {name!r}")

    def _local_api_endpoint(self) -> tuple[str, str] | None:
        """The local API server as ``(base URL, key)`` while it runs (the Benchmark pane's serving
        benchmark offers it), else None."""
        status = self.api.status
        if status.state is not ServerState.RUNNING or not status.key:
            return None
        return status.address, status.key

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu(self.tr("&View"))
        for index, name in enumerate(PANE_NAMES):
            action = QAction(pane_title(name), self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.setData(name)
            action.triggered.connect(self._on_view_action)
            view_menu.addAction(action)
            self.addAction(action)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        network_action = QAction(self.tr("&Network log…"), self)
        network_action.setToolTip(self.tr("The connections slmdesk attempted beyond this computer (blocked in "
                                          "offline mode)"))
        network_action.triggered.connect(self.show_network_log)
        help_menu.addAction(network_action)
        self.network_log_action = network_action
        about_action = QAction(self.tr("&About slmdesk"), self)
        about_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        about_action.triggered.connect(self.show_about)
        help_menu.addAction(about_action)

    def _restore_state(self) -> None:
        geometry = self._state.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 760)
        last = str(self._state.value("window/pane", "Library"))
        self.show_pane(last if last in PANE_NAMES else "Library")

    # -- commands -------------------------------------------------------------------------
    def current_pane_name(self) -> str:
        """The name of the pane on screen."""
        return PANE_NAMES[self.stack.currentIndex()]

    def show_pane(self, name: str) -> None:
        """Switch to the pane called ``name``. Raises ValueError for an unknown name."""
        self.sidebar.setCurrentRow(PANE_NAMES.index(name))

    def load_settings_for(self, artifact: ArtifactRecord) -> LoadSettings:
        """The settings a model is loaded with: its load plan (chosen in its Fit panel, else the
        default context from Settings capped at the trained context, f16 KV cache, CPU only);
        "automatic" GPU layers takes the Library's estimate for this machine."""
        plan = self._context.plans.plan_for(artifact.id, artifact.context_length)
        library = self.panes.get("Library")
        estimate = library.estimate_for(artifact.id) if isinstance(library, LibraryPane) else None
        return LoadSettings.from_plan(
            plan,
            estimated_gpu_layers=estimate.gpu_layers if estimate is not None else None,
            n_threads=plan.n_threads or self._context.settings.n_threads or None,
        )

    def _build_api_server(self, config: ServerConfig) -> ApiServer:
        """The API server for ``config``: every loadable model of the inventory, each loaded with
        its load plan as in Chat (threads from Settings, "automatic" GPU layers from the
        Library's estimate), in engine processes of its own, except that requests for the model
        Chat has loaded run on Chat's engine (no second copy of its weights; Chat's load
        settings); the key in the keyring or the config folder."""
        from slmdesk.api.server import ApiServer

        return ApiServer.for_inventory(
            config, self._context.inventory, self._context.plans, self._context.paths,
            default_threads=self._context.settings.n_threads, gpu_layers=self._api_gpu_layers,
            shared_engine=self._context.engine.loaded_client,
        )

    def _api_gpu_layers(self, model: ServedModel, _plan: LoadPlan) -> int | None:
        """The Library's GPU-layer estimate for a served model (None: none yet, load on the CPU).
        Called on the server's engine thread: reads the Library's estimates, a plain dict, and
        touches no widget."""
        library = self.panes.get("Library")
        if model.artifact_id is None or not isinstance(library, LibraryPane):
            return None
        estimate = library.estimate_for(model.artifact_id)
        return estimate.gpu_layers if estimate is not None else None

    @Slot(object)
    def _on_api_status(self, status: ApiStatus) -> None:
        if status.state is ServerState.FAILED:
            self.statusBar().showMessage(self.tr("Local API server: {error}").format(error=status.error), 10_000)

    def _verdict_text(self, artifact_id: int) -> str | None:
        """The Library's fit verdict for an artifact on this machine, as text."""
        library = self.panes.get("Library")
        verdict = library.model.verdict(artifact_id) if isinstance(library, LibraryPane) else None
        return verdict.text if verdict else None

    @Slot(int)
    def _on_pane_changed(self, row: int) -> None:
        self.setWindowTitle(self.tr("{pane} — slmdesk").format(pane=pane_title(PANE_NAMES[row])))
        if PANE_NAMES[row] == "Chat" and not self._context.engine.busy:
            self.chat.refresh_artifacts()  # picks up new verdicts and load settings

    def _apply_settings(self, settings: Settings) -> None:
        """Saved settings take effect now: new models' default context, threads, offline mode (the
        environment of later children and this process's network guard), and the local API server
        (started, restarted on a new address, or stopped)."""
        self._context.settings = settings  # load_settings_for reads n_threads from here
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)
        self._context.plans.default_n_ctx = settings.default_n_ctx
        state = offline.update_setting(settings.offline_mode)
        if state.forced and not settings.offline_mode:
            self.statusBar().showMessage(self.tr("Offline mode stays on until slmdesk restarts: it was started with "
                                                 "--offline or SLMDESK_OFFLINE=1."), 10_000)
        self.api.apply(settings)
        self.chat.refresh_artifacts()  # the picker shows each model's context
        self.chat.set_enter_sends(settings.enter_sends)

    @Slot(int)
    def _on_defaults_saved(self, _artifact_id: int) -> None:
        self.chat.refresh_artifacts()
        self.statusBar().showMessage(self.tr("Load settings saved: Chat and Benchmark will use them."), 5000)

    @Slot(int)
    def _on_open_in_bench(self, artifact_id: int) -> None:
        self.bench.select_artifacts([artifact_id])  # re-reads the list itself when the id is new
        self.show_pane("Benchmark")

    @Slot(int)
    def _on_quantize_requested(self, artifact_id: int) -> None:
        self.quantize.set_source(artifact_id)
        self.show_pane("Quantize")

    @Slot(int, int)
    def _on_compare_requested(self, base_id: int, variant_id: int) -> None:
        self.quantize.open_comparison(base_id, variant_id)
        self.show_pane("Quantize")

    @Slot(int)
    def _on_open_in_chat(self, artifact_id: int) -> None:
        self.show_pane("Chat")
        self.chat.open_artifact(artifact_id)

    @Slot()
    def _on_view_action(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.show_pane(str(action.data()))

    @Slot()
    def show_about(self) -> None:
        """Open the About dialog (modal)."""
        dialog = AboutDialog(self, self._context.paths.cache / "hardware")
        dialog.exec()
        dialog.deleteLater()

    @Slot()
    def show_network_log(self) -> QWidget:
        """Open the Network log (not modal; closed with its own button) and return it."""
        return open_network_log(self._context.paths, self)

    def show_about_modeless(self) -> AboutDialog:
        """Show the About dialog without blocking (the smoke test closes it by itself)."""
        dialog = AboutDialog(self, self._context.paths.cache / "hardware")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    @Slot()
    def restart(self) -> bool:
        """Close the window (asking first when jobs run) and start slmdesk again, for a new
        language or models folder; False when the user chose to stay (nothing is started)."""
        if not self.close():
            return False
        program, arguments = relaunch_command()
        if not QProcess.startDetached(program, arguments)[0]:
            log.warning("could not start slmdesk again: %s %s", program, arguments)
        return True

    def save_state(self) -> None:
        """Persist geometry and the current pane to the window-state file."""
        self._state.setValue("window/geometry", self.saveGeometry())
        self._state.setValue("window/pane", self.current_pane_name())
        self._state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        active = [job for job in self._context.runner.jobs() if not job.state.is_final and not job.background]
        if active:
            answer = QMessageBox.question(
                self,
                self.tr("Quit slmdesk?"),
                self.tr("%n job(s) are still running or queued. Quit and cancel them?", "", len(active)),
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.save_state()
        self._context.runner.shutdown()
        self.api.shutdown()  # after the runner: no start is still under way
        self._context.engine.shutdown()
        event.accept()
