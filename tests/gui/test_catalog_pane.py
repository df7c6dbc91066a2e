"""The Catalog pane: the curated catalog and its filters, verdicts per profile, recommendations,
open time, keyboard and remembered state (no network: Hub tests are in test_catalog_hub.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PySide6.QtCore import QSettings, Qt

from slmdesk.core import offline
from slmdesk.core.fit import Verdict
from slmdesk.hub.catalog import load_catalog
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.catalog.models import CuratedModel
from slmdesk.ui.catalog.pane import CatalogPane

if TYPE_CHECKING:
    from pytestqt.modeltest import ModelTester
    from pytestqt.qtbot import QtBot

SMALL, BIG = "rpi-zero2w", "desktop-32gb-gpu-24gb"
PaneAndRunner = tuple[CatalogPane, JobRunner]


@pytest.fixture
def catalog_pane(qtbot: QtBot, app_paths: AppPaths, inventory: Inventory,
                 quick_machine_probe: list[float]) -> Iterator[tuple[CatalogPane, JobRunner]]:
    """A shown Catalog pane on this (quick, fixed) machine, its first verdicts shown."""
    runner = JobRunner()
    pane = CatalogPane(runner, app_paths, inventory)
    qtbot.addWidget(pane)
    pane.resize(1290, 840)
    pane.show()
    qtbot.waitUntil(lambda: "verdicts" in pane.timings_ms, timeout=20_000)
    yield pane, runner
    assert runner.shutdown(10_000)


def _column(pane: CatalogPane, column: int) -> list[str]:
    proxy = pane.curated.proxy
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def test_pane_opens_with_every_quantization_and_its_fit(qtbot: QtBot, qtmodeltester: ModelTester,
                                                         app_paths: AppPaths, inventory: Inventory,
                                                         quick_machine_probe: list[float]) -> None:
    runner = JobRunner()
    pane = CatalogPane(runner, app_paths, inventory)
    qtbot.addWidget(pane)
    pane.resize(1290, 840)
    pane.show()
    qtbot.waitUntil(lambda: "verdicts" in pane.timings_ms, timeout=20_000)
    catalog = load_catalog()
    print(f"\nCatalog pane open time: construction to rows {pane.timings_ms['rows']:.0f} ms, "
          f"to verdicts {pane.timings_ms['verdicts']:.0f} ms "
          f"({len(catalog.models)} models, {pane.curated.model.rowCount()} quantizations; goal < 300 ms)")
    assert pane.curated.model.rowCount() == sum(len(model.quants) for model in catalog.models)
    fits = _column(pane, CuratedModel.COL_FIT)
    assert "…" not in fits and {"CPU only", "Will not fit"} & set(fits)  # 16 GiB, 6 GiB free, no GPU
    for model in (pane.curated.model, pane.curated.proxy, pane.recommend.model, pane.downloads_view.model,
                  pane.hub.model, pane.hub.repo_view.model):
        qtmodeltester.check(model)  # type: ignore[no-untyped-call]  # pytest-qt is untyped
    assert runner.shutdown(10_000)


def test_filters_narrow_the_curated_rows(catalog_pane: PaneAndRunner) -> None:
    pane, _runner = catalog_pane
    total = pane.curated.proxy.rowCount()
    pane.curated.tier_combo.setCurrentIndex(pane.curated.tier_combo.findData("micro"))
    micro = pane.curated.proxy.rowCount()
    assert 0 < micro < total and set(_column(pane, CuratedModel.COL_TIER)) == {"micro"}
    pane.curated.filter_edit.setText("qwen3")
    assert 0 < pane.curated.proxy.rowCount() < micro
    assert all(name.startswith("Qwen3") for name in _column(pane, CuratedModel.COL_NAME))
    pane.curated.filter_edit.clear()
    pane.curated.tier_combo.setCurrentIndex(0)
    pane.curated.license_combo.setCurrentIndex(pane.curated.license_combo.findData("MIT"))
    assert set(_column(pane, CuratedModel.COL_LICENSE)) == {"MIT"}
    pane.curated.license_combo.setCurrentIndex(0)
    pane.curated.task_combo.setCurrentIndex(pane.curated.task_combo.findData("vision"))
    assert 0 < pane.curated.proxy.rowCount() < total
    assert all("vision" in tasks for tasks in _column(pane, CuratedModel.COL_TASKS))
    pane.curated.task_combo.setCurrentIndex(0)
    publisher = pane.curated.publisher_combo.itemData(1)
    pane.curated.publisher_combo.setCurrentIndex(1)
    assert set(_column(pane, CuratedModel.COL_PUBLISHER)) == {publisher}
    pane.curated.publisher_combo.setCurrentIndex(0)
    pane.curated.fits_check.setChecked(True)
    fitting = pane.curated.proxy.rowCount()
    assert 0 < fitting < total and "Will not fit" not in _column(pane, CuratedModel.COL_FIT)
    assert pane.curated.count_label.text() == f"{fitting} of {total}"


def test_a_smaller_profile_changes_the_verdicts(qtbot: QtBot, catalog_pane: PaneAndRunner) -> None:
    pane, _runner = catalog_pane
    with qtbot.waitSignal(pane.assessed, timeout=20_000):
        pane.target.set_target(BIG, 4096)
    big = {row.key: row.assessment for row in pane.curated.model.rows()}
    assert all(a is not None for a in big.values())
    assert Verdict.FITS_GPU in {a.verdict for a in big.values() if a}
    with qtbot.waitSignal(pane.assessed, timeout=20_000):
        pane.target.set_target(SMALL, 4096)
    small = {row.key: row.assessment for row in pane.curated.model.rows()}
    assert Verdict.FITS_GPU not in {a.verdict for a in small.values() if a}
    assert sum(a.fits for a in small.values() if a) < sum(a.fits for a in big.values() if a)
    medium = next(key for key, a in big.items() if a and a.model.tier == "medium" and a.fits)
    after = small[medium]
    assert after is not None and after.verdict is Verdict.WILL_NOT_FIT
    pane.curated.fits_check.setChecked(True)  # the facet follows the new verdicts
    assert pane.curated.proxy.rowCount() == sum(a.fits for a in small.values() if a)
    assert set(_column(pane, CuratedModel.COL_TIER)) <= {"micro"}


def test_recommend_shows_one_row_per_family_that_fits(qtbot: QtBot, catalog_pane: PaneAndRunner) -> None:
    pane, _runner = catalog_pane
    with qtbot.waitSignal(pane.assessed, timeout=20_000):
        pane.target.set_target("laptop-8gb", 8192)
    model = pane.recommend.model
    families = [model.recommendation(row).family for row in range(model.rowCount())]
    assert families and len(families) == len(set(families))
    catalog = pane.catalog
    assert catalog is not None
    fitting_families = {row.assessment.model.family for row in pane.curated.model.rows()
                        if row.assessment and row.assessment.fits and row.quant.runs_on_llama_cpp
                        and (row.assessment.tg_bound_tps or 99) >= 1}
    assert set(families) <= fitting_families
    assert [model.index(row, model.COL_RANK).data() for row in range(model.rowCount())] == [
        str(rank) for rank in range(1, len(families) + 1)]
    assert all(model.recommendation(row).assessment.fits for row in range(model.rowCount()))
    why = pane.recommend.why_text(0)
    assert model.recommendation(0).assessment.model.family in why
    pane.recommend.table.selectRow(0)
    assert why in pane.recommend.why_label.text()


def test_ctrl_f_focuses_the_box_of_the_tab_on_screen(qtbot: QtBot, catalog_pane: PaneAndRunner,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS):
        monkeypatch.delenv(name, raising=False)  # the rig's HF_HUB_OFFLINE=1 hides the Hub's search box
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    pane, _runner = catalog_pane
    pane.activateWindow()
    for name, box in (("Curated", pane.curated.filter_edit), ("Recommend", pane.recommend.filter_edit),
                      ("Hub", pane.hub.query_edit)):
        pane.show_tab(name)
        pane.focus_filter()
        assert pane.focusWidget() is box


def test_tab_profile_and_context_are_remembered(qtbot: QtBot, app_paths: AppPaths, inventory: Inventory,
                                                quick_machine_probe: list[float]) -> None:
    state = QSettings(str(app_paths.config / "window-state.ini"), QSettings.Format.IniFormat)
    runner = JobRunner()
    first = CatalogPane(runner, app_paths, inventory, state=state)
    qtbot.addWidget(first)
    first.show_tab("Recommend")
    first.target.set_target("rpi5-8gb", 16384)
    second = CatalogPane(runner, app_paths, inventory, state=state)
    qtbot.addWidget(second)
    assert second.tabs.tabText(second.tabs.currentIndex()) == "Recommend"
    assert (second.target.profile_key(), second.target.n_ctx()) == ("rpi5-8gb", 16384)
    assert not runner.jobs()  # neither pane was shown: nothing assessed, this machine not probed
    assert runner.shutdown(10_000)


def test_the_main_window_shows_the_catalog_with_the_shared_artifacts(qtbot: QtBot, make_window: Any) -> None:
    window = make_window()
    window.show_pane("Catalog")
    pane = window.panes["Catalog"]
    assert isinstance(pane, CatalogPane) and pane.artifacts is window.artifacts
    qtbot.waitUntil(lambda: "verdicts" in pane.timings_ms, timeout=20_000)
    assert pane.curated.model.rowCount() > 100


def test_models_in_the_library_are_marked(qtbot: QtBot, catalog_pane: PaneAndRunner, inventory: Inventory,
                                          tmp_path: Path) -> None:
    from tests.gguf_factory import write_gguf

    pane, _runner = catalog_pane
    row = pane.curated.model.row(0)
    [path] = write_gguf(tmp_path / row.file_names[0])
    from slmdesk.inventory.scanners import add_paths

    add_paths(inventory, [path])
    with qtbot.waitSignal(pane.artifacts.records_changed, timeout=10_000):
        pane.artifacts.refresh()
    model = pane.curated.model
    assert model.index(0, CuratedModel.COL_OWNED).data() == "✓ in library"
    assert model.index(1, CuratedModel.COL_OWNED).data() == ""


def test_enter_on_a_curated_row_asks_before_downloading(qtbot: QtBot, catalog_pane: PaneAndRunner,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    pane, _runner = catalog_pane
    with qtbot.waitSignal(pane.assessed, timeout=20_000):
        pane.target.set_target(SMALL, 4096)
    asked: list[tuple[str, str]] = []

    def answer(_parent: object, title: str, text: str, *_args: object) -> QMessageBox.StandardButton:
        asked.append((title, text))
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "warning", answer)
    monkeypatch.setattr(QMessageBox, "question", answer)
    big = next(r for r in range(pane.curated.proxy.rowCount())
               if (a := pane.curated.proxy.row(r).assessment) is not None and a.verdict is Verdict.WILL_NOT_FIT)
    pane.curated.table.setCurrentIndex(pane.curated.proxy.index(big, 0))
    pane.curated.table.setFocus()
    qtbot.keyClick(pane.curated.table, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]  # pytest-qt is untyped
    assert len(asked) == 1
    title, text = asked[0]
    assert title == "This model will not fit" and "Will not fit on Raspberry Pi Zero 2 W" in text
    row = pane.curated.proxy.row(big)
    assert row.quant.name in text and "Download anyway?" in text
    assert not pane.downloads.entries  # declined: nothing started
