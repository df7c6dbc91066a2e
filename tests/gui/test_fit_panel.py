"""The Fit panel in the Library on the real starter models, on a fixed machine (16 GiB of RAM with
6 GiB available, no GPU: ``quick_machine_probe``), so every verdict is known in advance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slmdesk.core.fit import TIGHT_FRACTION, Verdict
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.tasks import run_inline
from slmdesk.core.units import format_bytes
from slmdesk.hardware import bandwidth
from slmdesk.hardware.profile import THIS_MACHINE
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.library.model import ArtifactTableModel
from slmdesk.ui.library.pane import LibraryPane
from tests.gui.fixed_machine import MACHINE_RAM_AVAILABLE, MEASURED_BANDWIDTHS


@pytest.fixture
def library(qtbot, app_paths: AppPaths, smollm2_gguf: Path, gemma3_gguf: Path, quick_machine_probe: list[float]):
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
    # SmolLM2 135M needs a few hundred MiB, far below the 90% of the 6 GiB available where
    # "tight" starts, and there is no GPU: CPU only, said in words with both figures.
    assert first.host_available_bytes == MACHINE_RAM_AVAILABLE
    assert first.total_host_bytes < MACHINE_RAM_AVAILABLE * (1 - TIGHT_FRACTION)
    assert first.verdict is Verdict.CPU_ONLY and first.gpu_layers == 0
    assert fit.verdict_label.text().endswith(
        f">CPU only</b> on {THIS_MACHINE}: {format_bytes(first.total_host_bytes)} of 6.0 GiB RAM available"
    )
    assert "Largest context that fits" in fit.facts_label.text()
    assert "GPU layers: none (no GPU)" in fit.facts_label.text()
    assert first.tg_tokens_per_s_bound is not None  # from the measured 20 GB/s
    assert f"Generation speed bound: {first.tg_tokens_per_s_bound:.0f} tokens/s" in fit.facts_label.text()
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
    # Both starter models at their default settings need well under 1 GiB of the 6 GiB
    # available, and there is no GPU: each badge says "CPU only".
    badges = {
        record.architecture: pane.model.index(pane.model.row_of(record.id), ArtifactTableModel.COL_FIT).data()
        for record in pane.model.all_records()
    }
    assert badges == {"llama": Verdict.CPU_ONLY.label, "gemma3": Verdict.CPU_ONLY.label}


def test_measure_again_replaces_the_cached_bandwidth(
    qtbot, library, app_paths: AppPaths, quick_machine_probe: list[float]
) -> None:
    pane, _ = library
    fit = pane.fit_panel
    qtbot.waitUntil(lambda: fit.machine_profile() is not None, timeout=60_000)
    cache = app_paths.cache / "hardware" / bandwidth.CACHE_FILE
    first, then = MEASURED_BANDWIDTHS
    assert fit.machine_profile().memory_bandwidth_bytes_per_s == first
    assert list(json.loads(cache.read_text()).values()) == [first]  # measured once and cached
    cache.write_text(json.dumps(dict.fromkeys(json.loads(cache.read_text()), 1.0)))  # a "busy machine" value
    with qtbot.waitSignal(fit.machine_probed, timeout=60_000) as probed:
        fit.remeasure_machine()
        assert not fit.remeasure_button.isEnabled()  # one probe at a time
    assert probed.args[0].memory_bandwidth_bytes_per_s == then  # measured again, not read from the cache
    assert list(json.loads(cache.read_text()).values()) == [then]
    assert quick_machine_probe == [first, then]
    assert fit.remeasure_button.isEnabled()


def test_a_theme_switch_recolours_the_verdict_and_chart_without_estimating_again(qtbot, qapp, library) -> None:
    from slmdesk.ui.palette import colour_hex
    from slmdesk.ui.theme import apply_theme

    pane, _ = library
    fit = pane.fit_panel
    _select(qtbot, pane, "llama")
    estimates: list[object] = []
    fit.estimated.connect(lambda _artifact_id, result: estimates.append(result))
    try:
        for theme, dark in (("dark", True), ("light", False)):
            apply_theme(qapp, theme)
            qapp.processEvents()
            assert f"color:{colour_hex('verdict.good', dark)}" in fit.verdict_label.text()
            assert fit.chart.backgroundBrush().color().name() == colour_hex("ui.base", dark)
            assert fit.chart.series()[0].barSets()[0].label() == "Weights"  # still drawn
        fit.verdict_label.setText("Measuring this machine (CPU, memory, bandwidth)…")  # a message, not the verdict
        apply_theme(qapp, "dark")
        qapp.processEvents()
        assert fit.verdict_label.text() == "Measuring this machine (CPU, memory, bandwidth)…"  # left as it is
    finally:
        apply_theme(qapp, "system")
    assert estimates == []  # only the colours changed: no estimate, no database read
