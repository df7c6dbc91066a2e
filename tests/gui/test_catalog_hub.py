"""The Catalog's Hub tab, repo view and downloads against a real local Hub on 127.0.0.1
(tests/fake_hub.py): paging on scroll, stale answers dropped, offline mode, split sets, and a
download that lands in the inventory while the GUI thread stays responsive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from slmdesk.core import offline
from slmdesk.hub import search
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.ui.catalog.downloads import DONE
from slmdesk.ui.catalog.models import RepoItemsModel
from slmdesk.ui.catalog.pane import CatalogPane
from tests.fake_hub import FakeFile, FakeHub, FakeRepo, gguf_repo
from tests.gguf_factory import write_gguf

if TYPE_CHECKING:
    from pytestqt.modeltest import ModelTester
    from pytestqt.qtbot import QtBot

PaneAndRunner = tuple[CatalogPane, JobRunner]


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Offline mode off here (the test rig exports HF_HUB_OFFLINE=1 for every test)."""
    from huggingface_hub import constants

    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


@pytest.fixture
def hub(online: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """A started fake Hub that huggingface_hub (and slmdesk's Hub code) talks to; no token; the
    HF cache in tmp_path."""
    from huggingface_hub import close_session

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.setattr(online, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    monkeypatch.setattr(online, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    fake = FakeHub().start()
    monkeypatch.setattr(online, "ENDPOINT", fake.endpoint)
    monkeypatch.setattr(online, "HUGGINGFACE_CO_URL_TEMPLATE",
                        fake.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
    yield fake
    close_session()  # kept-alive connections end, and with them the server's handler threads
    fake.stop()


@pytest.fixture
def pane(qtbot: QtBot, app_paths: AppPaths, inventory: Inventory,
         quick_machine_probe: list[float]) -> Iterator[tuple[CatalogPane, JobRunner]]:
    runner = JobRunner()
    widget = CatalogPane(runner, app_paths, inventory)
    qtbot.addWidget(widget)
    widget.resize(1290, 840)
    widget.show()
    widget.show_tab("Hub")
    qtbot.waitUntil(lambda: "verdicts" in widget.timings_ms, timeout=20_000)
    yield widget, runner
    assert runner.shutdown(10_000)


def _repos(hub: FakeHub, count: int) -> None:
    for i in range(count):
        hub.add(FakeRepo(f"org{i % 3}/tiny-{i:02d}-GGUF", files=[FakeFile("tiny.Q8_0.gguf", data=b"GGUF")],
                         tags=["gguf"], library_name="gguf", downloads=1000 - i))


def test_search_loads_the_next_page_when_scrolled_to_the_end(qtbot: QtBot, qtmodeltester: ModelTester, hub: FakeHub,
                                                             pane: PaneAndRunner) -> None:
    widget, _runner = pane
    _repos(hub, 45)
    view = widget.hub
    view.page_size = 20
    view.query_edit.setText("tiny")  # debounced: one request for the whole word
    qtbot.waitUntil(lambda: view.model.rowCount() == 20, timeout=10_000)
    # One request for the first page (showing the tab may also browse, with no search); the
    # table may already ask for the next page (cursor=) when 20 rows fit without a scroll bar.
    assert len([r for r in hub.asked("GET", "search=tiny") if "cursor=" not in r.path]) == 1
    assert view.model.index(0, 0).data() == "org0/tiny-00-GGUF"  # most downloaded first
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() == 40, timeout=10_000)
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.model.rowCount() == 45, timeout=10_000)
    assert not view.model.canFetchMore(view.model.index(-1, -1))
    assert len({view.model.hub_model(row).repo_id for row in range(45)}) == 45
    qtmodeltester.check(view.model)  # type: ignore[no-untyped-call]  # pytest-qt is untyped


def test_an_answer_to_a_changed_query_is_dropped(qtbot: QtBot, hub: FakeHub, pane: PaneAndRunner,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    widget, _runner = pane
    _repos(hub, 6)
    hub.add(FakeRepo("other/model-GGUF", tags=["gguf"], library_name="gguf"))
    real = search.search_page
    started = threading.Event()

    def slow_for_tiny(query: str, **options: Any) -> search.SearchPage:
        if query == "tiny":
            started.set()
            time.sleep(0.5)  # still running when the query changes
        return real(query, **options)

    monkeypatch.setattr(search, "search_page", slow_for_tiny)
    view = widget.hub
    view.query_edit.setText("tiny")
    first = view.search_now()
    assert started.wait(10)
    view.query_edit.setText("other")
    second = view.search_now()
    assert first is not None and second is not None and first != second
    qtbot.waitUntil(lambda: view.dropped_answers == 1, timeout=10_000)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=10_000)
    assert view.model.hub_model(0).repo_id == "other/model-GGUF"
    # A third query while the second page is queued cancels the queued request outright.
    view.query_edit.setText("tiny")
    view.search_now()
    queued = view.search_now()
    assert queued is not None
    qtbot.waitUntil(lambda: view.model.rowCount() == 6, timeout=10_000)


def test_offline_mode_says_the_hub_is_off_and_asks_nothing(qtbot: QtBot, hub: FakeHub, pane: PaneAndRunner,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    widget, _runner = pane
    monkeypatch.setenv(offline.OFFLINE_ENV, "1")
    widget.show_tab("Curated")
    widget.show_tab("Hub")
    view = widget.hub
    assert "The Hub is off." in view.notice_label.text() and "SLMDESK_OFFLINE" in view.notice_label.text()
    view.query_edit.setText("tiny")
    assert view.search_now() is None
    qtbot.wait(400)  # the debounce would have fired by now
    assert hub.requests == [] and view.model.rowCount() == 0
    assert view.notice_label.isVisible()
    assert not view.query_edit.isVisible() and not view.table.isVisible()  # the Hub itself is hidden

    monkeypatch.delenv(offline.OFFLINE_ENV)
    widget.show_tab("Curated")
    widget.show_tab("Hub")  # offline mode off again: the search comes back, the notice goes
    assert view.query_edit.isVisible() and view.table.isVisible() and not view.notice_label.isVisible()


def test_repo_view_groups_a_split_set_and_reads_the_fit(qtbot: QtBot, hub: FakeHub, pane: PaneAndRunner,
                                                        tmp_path: Path) -> None:
    widget, _runner = pane
    parts = write_gguf(tmp_path / "toy-Q8_0.gguf", split=3, n_layer=3)
    single = write_gguf(tmp_path / "toy-F32.gguf")[0]
    files = [FakeFile(part.name, source=part) for part in parts]
    files += [FakeFile(single.name, source=single), FakeFile("mmproj-toy-f16.gguf", data=b"GGUF" + bytes(60)),
              FakeFile("README.md", data=b"# toy\n", lfs=False)]
    hub.add(FakeRepo("org/toy-GGUF", files=files, tags=["gguf"], library_name="gguf", license="mit", gated=True))
    repo = widget.hub.repo_view
    with qtbot.waitSignal(repo.listing_shown, timeout=10_000):
        repo.open_repo("org/toy-GGUF")
    model = repo.model
    kinds = [model.index(row, RepoItemsModel.COL_KIND).data() for row in range(model.rowCount())]
    assert sorted(kinds) == ["GGUF", "GGUF, 3 parts", "mmproj"]
    split_row = kinds.index("GGUF, 3 parts")
    item = model.item(split_row)
    assert item.is_split and [f.path for f in item.files] == [p.name for p in parts]
    assert item.size_bytes == sum(p.stat().st_size for p in parts)
    assert "License: mit" in repo.facts_label.text() and "gated" in repo.facts_label.text()
    sha_tip = str(model.index(split_row, RepoItemsModel.COL_SHA).data(Qt.ItemDataRole.ToolTipRole))
    assert all(len(line.rsplit(": ", 1)[1]) == 64 for line in sha_tip.splitlines())  # every part's, in full
    single_row = next(r for r in range(model.rowCount()) if model.item(r).first_path == single.name)
    assert model.index(single_row, RepoItemsModel.COL_SHA).data() == str(model.item(single_row).files[0].sha256)[:12]
    repo.table.selectRow(single_row)
    qtbot.waitUntil(lambda: model.index(single_row, RepoItemsModel.COL_FIT).data() not in ("", "Reading header…"),
                    timeout=10_000)
    assert model.index(single_row, RepoItemsModel.COL_FIT).data() == "CPU only"
    assert model.index(single_row, RepoItemsModel.COL_MAX_CTX).data() == "512"  # the toy's trained context
    assert hub.asked("GET", "/resolve/")  # a ranged read of the header, not the file
    assert not widget.downloads.entries


def test_a_download_lands_in_the_library_and_the_gui_stays_responsive(
        qtbot: QtBot, hub: FakeHub, pane: PaneAndRunner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    widget, runner = pane
    [gguf] = write_gguf(tmp_path / "toy-F32.gguf", n_embd=256, n_ff=1024, n_layer=4, n_head=4, n_head_kv=2)
    size = gguf.stat().st_size
    repo = hub.add(gguf_repo("org/toy-GGUF", gguf))
    repo.files[0].rate_bytes_per_s = size / 1.5  # about 1.5 s on the wire
    asked: list[str] = []

    def answer_yes(_parent: object, _title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer_yes)
    view = widget.hub.repo_view
    with qtbot.waitSignal(view.listing_shown, timeout=10_000):
        view.open_repo("org/toy-GGUF")
    view.table.selectRow(0)
    qtbot.waitUntil(lambda: view.model.index(0, RepoItemsModel.COL_FIT).data() == "CPU only", timeout=10_000)

    gaps: list[tuple[float, float]] = []  # (gap, when) in seconds
    last: list[float] = []

    def tick() -> None:
        now = time.perf_counter()
        if last:  # the first tick only starts the clock
            gaps.append((now - last[0], now))
        last[:] = [now]

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    try:
        with qtbot.waitSignal(widget.download_finished, timeout=30_000) as finished:
            view.download_selected()
            assert len(asked) == 1 and "toy-F32.gguf" in asked[0] and "CPU only" in asked[0]
            [entry] = widget.downloads.entries
            assert entry.job_id is not None and runner.job(entry.job_id).resource == "download"
    finally:
        timer.stop()
    worst = sorted(gaps, reverse=True)[:3]
    start = gaps[0][1]
    print(f"\nGUI thread during a {size / 2**20:.1f} MiB download: longest gap between 10 ms ticks "
          f"{worst[0][0] * 1000:.1f} ms over {len(gaps)} ticks (goal < 50 ms); the three longest: "
          + ", ".join(f"{gap * 1000:.0f} ms at +{when - start:.2f} s" for gap, when in worst))
    record = widget.artifacts.find(finished.args[0])
    assert record is not None and record.path.name == "toy-F32.gguf" and record.size_bytes == size
    assert record.path.read_bytes() == gguf.read_bytes()
    assert entry.state == DONE and runner.job(entry.job_id).state is JobState.SUCCEEDED
    model = widget.downloads_view.model
    assert model.index(0, model.COL_STATE).data() == "Done"


def test_pause_keeps_the_partial_file_and_resume_goes_on_from_it(qtbot: QtBot, hub: FakeHub, pane: PaneAndRunner,
                                                                 tmp_path: Path) -> None:
    widget, runner = pane
    [gguf] = write_gguf(tmp_path / "toy-F32.gguf", n_embd=256, n_ff=1024, n_layer=4, n_head=4, n_head_kv=2)
    size = gguf.stat().st_size
    repo = hub.add(gguf_repo("org/toy-GGUF", gguf))
    repo.files[0].rate_bytes_per_s = size / 2.0
    row = widget.downloads.start("org/toy-GGUF", "toy-F32.gguf")
    entry = widget.downloads.entries[row]
    qtbot.waitUntil(lambda: (entry.progress.bytes_done or 0) > size // 5, timeout=10_000)
    widget.downloads_view.table.selectRow(row)
    assert widget.downloads_view.pause_button.isEnabled()
    widget.downloads_view.pause_selected()
    qtbot.waitUntil(lambda: entry.state == "Paused", timeout=10_000)
    assert widget.downloads_view.resume_button.isEnabled() and not widget.downloads_view.pause_button.isEnabled()
    first_job = entry.job_id
    with qtbot.waitSignal(widget.download_finished, timeout=30_000):
        widget.downloads_view.resume_selected()
    assert entry.job_id is not None and entry.job_id != first_job and entry.state == DONE
    result = runner.job(entry.job_id).result
    assert result.resumed_from_bytes > 0 and result.size_bytes == size
    assert result.path.read_bytes() == gguf.read_bytes()
