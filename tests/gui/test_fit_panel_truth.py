"""The Fit panel tells the truth: two memory figures (at load / short prompt, with the context
full), a measured peak compared with the figure it should match, two speed bounds, and a chart
with the memory available as a line and MiB on its segments. Real starter models, the fixed
machine of ``quick_machine_probe`` (6 GiB available, no GPU, 20 GB/s)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QLineSeries
from PySide6.QtCore import Qt

from slmdesk.core.profiles import PRESETS
from slmdesk.core.tasks import run_inline
from slmdesk.core.units import MIB, format_bytes
from slmdesk.engine.types import LoadSettings
from slmdesk.inventory import fit_records
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.i18n import format_number
from slmdesk.ui.library.fit_panel import FitPanel
from slmdesk.ui.library.pane import LibraryPane


@pytest.fixture
def panel(qtbot, app_paths: AppPaths, smollm2_gguf: Path, quick_machine_probe: list[float]):
    """The Library's Fit panel with SmolLM2 selected at n_ctx 2048, f16; and the inventory."""
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    run_inline(scan_task(inventory, [smollm2_gguf], mark_missing=False))
    runner = JobRunner()
    pane = LibraryPane(inventory, runner, app_paths)
    qtbot.addWidget(pane)
    pane.resize(1400, 800)
    pane.show()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=20_000)
    record = pane.model.all_records()[0]
    pane.select(record.id)
    fit = pane.fit_panel
    qtbot.waitUntil(lambda: fit.result is not None and fit.machine_profile() is not None, timeout=30_000)
    fit.ctx_slider.setValue(2048 // 256)
    assert fit.result.n_ctx == 2048 and fit.result.kv_type == "f16"
    yield fit, inventory, record.id
    assert runner.shutdown(10_000)
    inventory.close()


def _line_series(fit: FitPanel) -> list[QLineSeries]:
    return [series for series in fit.chart.series() if isinstance(series, QLineSeries)]


def test_two_figures_in_words_and_on_the_chart(qtbot, panel) -> None:
    fit, _, _ = panel
    result = fit.result
    at_load, full = result.total_host_at_load_bytes, result.total_host_context_full_bytes
    assert at_load < full
    facts = fit.facts_label.text()
    assert f"RAM at load / short prompt (up to 256 tokens): {format_bytes(at_load)}" in facts
    assert f"with the context full ({format_number(2048)} tokens): {format_bytes(full)}" in facts
    # Both speed bounds: an empty context (the ceiling), then the context full.
    assert (
        f"Generation speed bound: {result.tg_tokens_per_s_bound:.0f} tokens/s with a short context, "
        f"{result.tg_tokens_per_s_bound_context_full:.0f} tokens/s with the context full"
    ) in facts
    assert result.tg_tokens_per_s_bound == pytest.approx(20e9 / result.bytes_per_token)

    # One bar per figure, the first on top (QtCharts counts categories from the bottom).
    axis = next(a for a in fit.chart.axes(Qt.Orientation.Vertical) if isinstance(a, QBarCategoryAxis))
    assert axis.categories() == ["RAM, with the context full", "RAM, at load / short prompt"]
    bars = {bar.label(): bar for bar in fit.chart.series()[0].barSets()}
    assert bars["Compute buffers"].at(1) * MIB == pytest.approx(result.compute_host_at_load_bytes, rel=1e-6)
    assert bars["Compute buffers"].at(0) * MIB == pytest.approx(result.compute_host_context_full_bytes, rel=1e-6)
    assert bars["KV cache"].at(0) == bars["KV cache"].at(1) == pytest.approx(result.kv_cache_host_bytes / MIB)

    # MiB written on each segment, row by row from the top; those too narrow for their number hidden.
    labels = fit.chart_view.segment_labels()
    expected = [f"{size / MIB:.0f}" for size in (
        result.weights_host_bytes, result.kv_cache_host_bytes, result.compute_host_at_load_bytes,
        result.overhead_bytes,
    )]  # fmt: skip
    assert [text for text, _ in labels[:4]] == expected
    assert labels[0] == (expected[0], True)  # the weights' segment is the widest

    # 6 GiB available is beyond 4x the need: no line, the figure is in the title instead.
    assert _line_series(fit) == []
    assert "available: RAM 6.0 GiB (beyond this scale)" in fit.chart.title()


def test_the_memory_available_is_a_line_across_its_rows(qtbot, panel) -> None:
    fit, _, _ = panel
    pi = PRESETS["rpi-zero2w"]
    fit.profile_combo.setCurrentIndex(fit.profile_combo.findData("rpi-zero2w"))
    result = fit.result
    assert result.host_available_bytes == pi.ram_available_bytes
    (line,) = _line_series(fit)
    assert line.name() == f"RAM available: {format_bytes(pi.ram_available_bytes)}"
    points = line.points()
    assert [p.x() for p in points] == [pytest.approx(pi.ram_available_bytes / MIB)] * 2
    assert points[0].y() < 0 and points[1].y() > 1  # spans both RAM rows (categories 0 and 1)
    value_axis = next(a for a in fit.chart.axes(Qt.Orientation.Horizontal))
    assert value_axis.max() >= pi.ram_available_bytes / MIB


def test_a_measured_peak_is_compared_with_the_figure_it_should_match(qtbot, panel) -> None:
    fit, inventory, artifact_id = panel
    result = fit.result
    settings = asdict(LoadSettings(n_ctx=2048))
    # A load (or a reply early in a conversation) peaks near the "at load" figure.
    peak = int(result.total_host_at_load_bytes * 1.02)
    fit_records.add_measurement(inventory, artifact_id, settings, peak)
    fit.recompute()
    error = (result.total_host_at_load_bytes - peak) / peak * 100
    facts = fit.facts_label.text()
    assert (
        f"Measured peak at the last load (n_ctx 2048, KV f16): {format_bytes(peak)}; "
        f"estimate at load / short prompt {format_bytes(result.total_host_at_load_bytes)} ({error:+.1f}%), "
        f"with the context full {format_bytes(result.total_host_context_full_bytes)}."
    ) in facts
    assert "partly filled" not in facts

    # A peak far above it after a long conversation is not an estimation error: it says so.
    fit_records.add_measurement(inventory, artifact_id, settings, int(result.total_host_context_full_bytes * 0.95))
    fit.recompute()
    assert "the context was partly filled" in fit.facts_label.text()

    # When the measurement says how full the KV cache was, that scenario is the reference.
    filled = dict(settings, tokens_in_context=2000)
    fit_records.add_measurement(inventory, artifact_id, filled, result.total_host_context_full_bytes)
    fit.recompute()
    assert f"estimate with {format_number(2000)} tokens in the context" in fit.facts_label.text()
