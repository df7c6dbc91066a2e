"""GUI test rig: nothing a test creates (widgets, threads, timers) may outlive it; a quick,
fixed hardware probe for the panes that probe this machine."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import psutil
import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QThread, QTimer
from PySide6.QtWidgets import QApplication

from slmdesk.hardware import backends, bandwidth, gpu
from slmdesk.hardware import profile as hardware_profile
from slmdesk.ui.startup import ModalTrap
from tests.gui.fixed_machine import (
    CPU_ONLY_ENGINES,
    MACHINE_RAM_AVAILABLE,
    MACHINE_RAM_TOTAL,
    MEASURED_BANDWIDTHS,
)

if TYPE_CHECKING:
    from slmdesk.core.settings import Settings
    from slmdesk.inventory.repository import Inventory
    from slmdesk.jobs.engine_session import EngineSession
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.paths import AppPaths
    from slmdesk.ui.chat.pane import ChatPane
    from slmdesk.ui.chat.preview import FakeEngineClient
    from slmdesk.ui.library.pane import LibraryPane
    from slmdesk.ui.main_window import MainWindow


def _flush_deletes(app: QApplication) -> None:
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


def _alive(objects_of: type) -> list:
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, objects_of) and shiboken6.isValid(obj):
            found.append(obj)
    return found


@pytest.fixture(scope="session", autouse=True)
def cyclic_gc_on_the_gui_thread_only():
    """As in the app (``slmdesk.jobs.gc_guard``): no automatic collection, which would run in
    whichever thread allocates, job threads included, and destroy QObjects there (each test's
    window, JobRunner and EngineSession end in one reference cycle). ``no_leftovers``
    collects on the GUI thread after each test, once its threads have ended."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def no_unanswered_modal(request: pytest.FixtureRequest, qapp: QApplication):
    """A modal dialog the test did not answer (by patching QMessageBox or driving it) fails
    the test instead of hanging the run: it is closed at once (its Escape answer) and its text
    reported. Tests that drive real modal dialogs carry the ``modal_dialogs`` marker."""
    if request.node.get_closest_marker("modal_dialogs"):
        yield
        return
    seen: list[str] = []

    def on_modal(window, description: str) -> None:
        seen.append(description)
        QTimer.singleShot(0, window.close)

    trap = ModalTrap(on_modal)
    qapp.installEventFilter(trap)
    yield
    qapp.removeEventFilter(trap)
    if seen:
        pytest.fail("a modal dialog opened that the test did not answer:\n" + "\n".join(seen))


@pytest.fixture(autouse=True)
def no_leftovers(qapp: QApplication):
    """Fail a test that leaves top-level widgets, running QThreads/threads or active timers."""
    threads_before = set(threading.enumerate())
    yield
    _flush_deletes(qapp)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        running = [t for t in _alive(QThread) if t.isRunning() and t is not qapp.thread()]
        # _DummyThread entries stand for foreign (Qt) threads and are never removed by Python;
        # those are covered by the QThread check.
        threads = [
            t
            for t in threading.enumerate()
            if t not in threads_before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        if not running and not threads:
            break
        qapp.processEvents()
        time.sleep(0.02)
    _flush_deletes(qapp)
    widgets = [w for w in QApplication.topLevelWidgets() if shiboken6.isValid(w)]
    timers = [t for t in _alive(QTimer) if t.isActive()]
    problems = []
    if widgets:
        problems.append(f"top-level widgets left: {[type(w).__name__ for w in widgets]}")
        for widget in widgets:
            widget.close()
            widget.deleteLater()
        _flush_deletes(qapp)
    if running:
        problems.append(f"QThreads still running: {running}")
    if threads:
        problems.append(f"threads still running: {threads}")
    if timers:
        problems.append(f"active timers left: {[(t.objectName(), t.interval()) for t in timers]}")
        for timer in timers:
            timer.stop()
    if not running and not threads:
        gc.collect()  # on the GUI thread, with no job thread left to race it
        _flush_deletes(qapp)
    assert not problems, "; ".join(problems)


@pytest.fixture
def quick_machine_probe(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """This machine as the hardware probe sees it, in milliseconds and the same everywhere: 16 GiB
    of RAM with 6 GiB available, no GPU, a CPU-only llama.cpp, and a memory-bandwidth benchmark
    that reports 20 GB/s, then 24 GB/s when measured again (:data:`MEASURED_BANDWIDTHS`). The
    real probe starts ``slmdesk probe-engines`` as a child process and copies 256 MiB five times.
    Returns the bandwidths reported so far, one per measurement."""
    reported: list[float] = []

    def measure_bandwidth(buffer_bytes: int = bandwidth.BUFFER_BYTES, runs: int = bandwidth.RUNS) -> float:
        reported.append(MEASURED_BANDWIDTHS[min(len(reported), len(MEASURED_BANDWIDTHS) - 1)])
        return reported[-1]

    memory = SimpleNamespace(total=MACHINE_RAM_TOTAL, available=MACHINE_RAM_AVAILABLE)
    monkeypatch.setattr(bandwidth, "measure_bandwidth", measure_bandwidth)
    monkeypatch.setattr(backends, "probe_backends", lambda cache_dir=None, refresh=False: CPU_ONLY_ENGINES)
    monkeypatch.setattr(gpu, "nvidia_gpus", lambda: ())
    monkeypatch.setattr(gpu, "is_apple_silicon", lambda: False)
    monkeypatch.setattr(hardware_profile, "_cgroup_memory_limit", lambda: None)
    monkeypatch.setattr(hardware_profile, "psutil", SimpleNamespace(
        virtual_memory=lambda: memory, swap_memory=psutil.swap_memory, cpu_count=psutil.cpu_count,
    ))
    return reported


@pytest.fixture
def make_window(qtbot, app_paths: AppPaths, inventory: Inventory,
                quick_machine_probe: list[float]) -> Iterator[Callable[..., MainWindow]]:
    """``make_window(settings=Settings())``: shown main windows over one throw-away inventory; the
    Library's machine probe is the quick, fixed one."""
    # Imported here: the whole window (every pane) loads only for the tests that build one.
    from slmdesk.core.settings import Settings
    from slmdesk.hardware.live import UsageSampler
    from slmdesk.inventory.load_plans import LoadPlanStore
    from slmdesk.jobs.engine_session import EngineSession
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.ui.context import AppContext
    from slmdesk.ui.main_window import MainWindow

    contexts: list[AppContext] = []

    def make(settings: Settings | None = None) -> MainWindow:
        context = AppContext(app_paths, settings or Settings(), JobRunner(), UsageSampler(), inventory,
                             EngineSession(), LoadPlanStore(inventory))
        contexts.append(context)
        window = MainWindow(context)
        qtbot.addWidget(window)
        window.show()
        return window

    yield make
    for context in contexts:  # closeEvent shuts these down; a window never closed needs it here
        context.runner.shutdown()
        context.engine.shutdown()


@pytest.fixture
def library_pane(qtbot, app_paths: AppPaths, inventory: Inventory,
                 quick_machine_probe: list[float]) -> Iterator[tuple[LibraryPane, Inventory, JobRunner]]:
    """A shown Library pane over a throw-away inventory, its first refresh done; its machine probe
    (for the fit badges) is the quick, fixed one. Yields the pane, the inventory and its runner."""
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.ui.library.pane import LibraryPane

    runner = JobRunner()
    pane = LibraryPane(inventory, runner, app_paths)
    qtbot.addWidget(pane)
    pane.resize(1300, 700)
    pane.show()
    qtbot.waitUntil(lambda: not pane.is_refreshing())
    yield pane, inventory, runner
    assert runner.shutdown(10_000)


@pytest.fixture
def fake_chat(qtbot, inventory: Inventory) -> Iterator[
        tuple[ChatPane, Inventory, EngineSession, JobRunner, list[FakeEngineClient]]]:
    """A shown Chat pane with the preview's model loaded and its two stored conversations; the
    engine is a FakeEngineClient streaming a batch (its default size) every 10 ms. Yields the pane,
    the inventory, the session, the runner and every engine client made so far."""
    from slmdesk.engine.types import LoadSettings
    from slmdesk.jobs.engine_session import EngineSession
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.ui.chat.pane import ChatPane
    from slmdesk.ui.chat.preview import FakeEngineClient, add_fake_model, store_fake_conversations

    add_fake_model(inventory)
    store_fake_conversations(inventory)
    clients: list[FakeEngineClient] = []

    def factory() -> FakeEngineClient:
        clients.append(FakeEngineClient(interval_s=0.01))
        return clients[-1]

    runner = JobRunner()
    session = EngineSession(client_factory=factory)
    pane = ChatPane(inventory, session, runner, lambda _artifact: LoadSettings(n_ctx=2048))
    qtbot.addWidget(pane)
    pane.resize(1200, 800)
    pane.show()
    qtbot.waitExposed(pane)
    qtbot.waitUntil(lambda: pane.selected_artifact() is not None)  # the model list is read in a job
    with qtbot.waitSignal(session.loaded, timeout=10_000):
        pane.load_selected()
    yield pane, inventory, session, runner, clients
    session.shutdown()
    assert runner.shutdown(10_000)


@pytest.fixture(scope="session")
def swedish_qm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the translations compiled from the committed .ts files, as ``make
    translations`` does (``slmdesk_sv.qm``, ``slmdesk_en.qm``)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packaging"))
    try:
        import translations
    finally:
        sys.path.pop(0)
    folder = tmp_path_factory.mktemp("i18n")
    translations.release(folder)
    return folder
