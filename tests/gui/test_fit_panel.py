"""The Fit panel in the Library on the real starter models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmdesk.core.fit import Verdict
from slmdesk.core.load_plan import LoadPlan
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.core.tasks import run_inline
from slmdesk.hardware import bandwidth
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.library.model import ArtifactTableModel
from slmdesk.ui.library.pane import LibraryPane


@pytest.fixture
def library(qtbot, app_paths: AppPaths, smollm2_gguf: Path, gemma3_gguf: Path):
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    run_inline(scan_task(inventory, [smollm2_gguf, gemma3_gguf], mark_missing=False))
    runner = JobRunner()
    pane = LibraryPane(inventory, runner, app_paths)
    qtbot.addWidget(pane)
    pane.resize(1400, 800)
    pane.show()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=20_000)
    yield pane, inventory
    assert runner.shutdown(10_000)
    inventory.close()


def _select(qtbot, pane: LibraryPane, architecture: str) -> None:
    record = next(r for r in pane.model.all_records() if r.architecture == architecture)
    pane.select(record.id)
    qtbot.waitUntil(lambda: pane.fit_panel.result is not None and pane.fit_panel._record.id == record.id,
                    timeout=30_000)


def test_breakdown_slider_profile_and_defaults(qtbot, library, app_paths: AppPaths) -> None:
    pane, _ = library
    fit = pane.fit_panel
    _select(qtbot, pane, "llama")
    first = fit.result
    assert first.verdict in (Verdict.CPU_ONLY, Verdict.TIGHT)
    assert "on This machine" in fit.verdict_label.text() or "on this machine" in fit.verdict_label.text().lower()
    assert "Largest context that fits" in fit.facts_label.text()
    bars = fit.chart.series()[0].barSets()
    assert [b.label() for b in bars] == ["Weights", "KV cache", "Compute buffers", "Runtime overhead"]
    assert bars[0].at(0) * 2**20 == pytest.approx(first.weights_host_bytes, rel=1e-6)

    # Moving the context slider grows the KV cache; q8_0 shrinks it again.
    fit.ctx_slider.setValue(8192 // 256)
    bigger = fit.result
    assert bigger.n_ctx == 8192 and bigger.kv_cache_host_bytes > first.kv_cache_host_bytes
    assert not fit.flash_check.isChecked() and fit.flash_check.isEnabled()
    fit.kv_combo.setCurrentText("q8_0")
    assert fit.result.kv_cache_host_bytes < bigger.kv_cache_host_bytes
    assert fit.result.flash_attn  # quantized V needs flash attention
    # The box shows the flash attention that will be used: forced on, disabled, with the reason.
    assert fit.flash_check.isChecked() and not fit.flash_check.isEnabled()
    assert "needs flash attention" in fit.flash_check.toolTip()

    # The library badge says the same thing as the panel, in words.
    row = pane.model.row_of(fit._record.id)
    badge = pane.model.index(row, ArtifactTableModel.COL_FIT).data()
    assert badge == fit.result.verdict.label

    # The chosen settings become the artifact's load plan, stored in the inventory.
    fit.ctx_slider.setValue(2048 // 256)
    with qtbot.waitSignal(fit.defaults_saved) as saved_signal:
        fit.save_defaults()
    assert saved_signal.args == [fit._record.id]
    saved = LoadPlanStore(pane._inventory).get(fit._record.id)  # a fresh store reads the database
    assert saved == LoadPlan(n_ctx=2048, kv_type="q8_0", flash_attn=False, n_gpu_layers=0)
    assert saved.flash_attn_on  # not chosen, forced by the quantized cache
    # Back to f16: the user's own choice (off) comes back.
    fit.kv_combo.setCurrentText("f16")
    assert not fit.flash_check.isChecked() and fit.flash_check.isEnabled() and not fit.result.flash_attn

    # Gemma 3 (262k vocabulary) at its full 32k context on a 512 MB board will not fit.
    _select(qtbot, pane, "gemma3")
    fit.kv_combo.setCurrentText("f16")
    fit.ctx_slider.setValue(fit.ctx_slider.maximum())
    assert fit.result.n_ctx == 32768
    fit.profile_combo.setCurrentIndex(fit.profile_combo.findData("rpi-zero2w"))
    assert fit.result.verdict is Verdict.WILL_NOT_FIT
    assert "Will not fit" in fit.verdict_label.text()
    assert "Raspberry Pi Zero" in fit.verdict_label.text()


def test_library_badges_for_every_model(qtbot, library) -> None:
    pane, _ = library
    qtbot.waitUntil(
        lambda: all(pane.model.verdict(r.id) is not None for r in pane.model.all_records()), timeout=60_000
    )
    for row in range(pane.model.rowCount()):
        text = pane.model.index(row, ArtifactTableModel.COL_FIT).data()
        assert text in {v.label for v in Verdict}


def test_measure_again_replaces_the_cached_bandwidth(qtbot, library, app_paths: AppPaths) -> None:
    pane, _ = library
    fit = pane.fit_panel
    qtbot.waitUntil(lambda: fit.machine_profile() is not None, timeout=60_000)
    cache = app_paths.cache / "hardware" / bandwidth.CACHE_FILE
    first = fit.machine_profile().memory_bandwidth_bytes_per_s
    assert first and json.loads(cache.read_text())  # measured once and cached
    cache.write_text(json.dumps({key: 1.0 for key in json.loads(cache.read_text())}))  # a "busy machine" value
    with qtbot.waitSignal(fit.machine_probed, timeout=60_000) as probed:
        fit.remeasure_machine()
        assert not fit.remeasure_button.isEnabled()  # one probe at a time
    again = probed.args[0].memory_bandwidth_bytes_per_s
    assert again > 1e8 and list(json.loads(cache.read_text()).values()) == [again]
    assert fit.remeasure_button.isEnabled()
