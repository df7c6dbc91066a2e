"""The Benchmark pane on a real inventory with the real engine and SmolLM2 (tiny sizes)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from slmdesk.bench.results import load_results, save_result
from slmdesk.bench.settings import BenchSettings
from slmdesk.bench.stats import seconds, tokens_per_s
from slmdesk.core.load_plan import LoadPlan
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import add_paths
from slmdesk.jobs.runner import JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.ui.bench.charts import SpeedChartView
from slmdesk.ui.bench.pane import RESOURCE, BenchmarkPane
from slmdesk.ui.bench.queue import MIN_VISIBLE_ROWS
from slmdesk.ui.i18n import format_number

pytestmark = pytest.mark.slow

TINY = BenchSettings(n_prompt=32, n_gen=8, repetitions=2, threads=(1,))


@pytest.fixture
def setup(qtbot, app_paths: AppPaths, smollm2_gguf: Path):
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    artifact = add_paths(inventory, [smollm2_gguf])[0]
    runner = JobRunner()
    pane = BenchmarkPane(inventory, runner, app_paths)
    qtbot.addWidget(pane)
    pane.resize(1300, 800)
    pane.show()
    qtbot.waitUntil(lambda: not pane.is_refreshing(), timeout=10_000)
    yield pane, inventory, runner, artifact
    assert runner.shutdown(30_000)
    inventory.close()


def _wait_runs(qtbot, pane: BenchmarkPane, timeout: int = 120_000) -> None:
    qtbot.waitUntil(lambda: not pane.pending_jobs(), timeout=timeout)


def test_quick_run_on_smollm2_fills_table_charts_and_fit(qtbot, qtmodeltester, setup, app_paths: AppPaths) -> None:
    pane, inventory, runner, artifact = setup
    assert pane.artifact_model.rowCount() == 1
    assert not pane.run_button.isEnabled()  # nothing checked yet
    pane.select_artifacts([artifact.id])
    assert pane.checked_artifact_ids() == [artifact.id] and pane.run_button.isEnabled()
    pane.set_custom(TINY)
    assert pane.settings() == TINY
    # The load settings chosen in the Fit panel (a q8_0 KV cache) are used unless unchecked.
    pane._plans.save(artifact.id, LoadPlan(n_ctx=2048, kv_type="q8_0"))
    assert pane.fit_check.isChecked()
    pane.fit_check.setChecked(False)
    assert pane.settings_for(artifact, TINY) == TINY
    pane.fit_check.setChecked(True)
    with qtbot.waitSignal(pane.run_finished, timeout=120_000) as finished:
        job_ids = pane.start_runs()
        assert len(job_ids) == 1 and runner.job(job_ids[0]).resource == RESOURCE
        assert pane.queue_model.rowCount() == 1  # the queue shows the run
    job = runner.job(job_ids[0])
    assert job.state is JobState.SUCCEEDED, (job.error, job.hint, job.details)
    (result,) = finished.args[0]
    assert result.backend == "llama.cpp" and result.n_threads == 1 and result.quantization == "Q4_1"
    assert result.pp is not None and result.pp.mean > 0 and len(result.pp.samples) == 2
    assert result.tg is not None and result.tg.mean > 0 and result.tg.stdev >= 0
    assert result.ttft is not None and result.ttft.mean > 0
    assert result.peak_rss_bytes > 50 * 2**20 and result.artifact_id == artifact.id
    assert (result.settings.kv_type, result.flash_attn) == ("q8_0", "on") and "KV q8_0" in job.title

    qtmodeltester.check(pane.results_model)
    assert pane.results_model.rowCount() == 1
    columns = pane.results_model.COLUMNS
    row = {columns[c]: pane.results_model.index(0, c).data() for c in range(len(columns))}
    assert row["Test"] == "pp32 / tg8 · KV q8_0 ×2"
    # What the engine ran on is shown and stored (the CPU variant chosen at run time).
    assert result.runtime["cpu_variant"] and row["Runs on"] == f"CPU {result.runtime['cpu_variant']}, repack on"
    assert row["pp t/s"] == f"{format_number(result.pp.mean, 1)} ± {format_number(result.pp.stdev, 1)}"
    assert row["Energy J/token"] == "not available"  # no RAPL here: never shown as 0
    assert row["tg bound (fit)"] == f"≤ {format_number(result.fit_tg_bound, 1)}"
    assert "fit estimate bound" in pane.fit_label.text() and f"{result.tg.mean:.1f}" in pane.fit_label.text()

    chart: SpeedChartView = pane.speed_chart
    assert len(chart.categories) == 1 and chart.bar_values["tg"] == [pytest.approx(result.tg.mean)]
    for bar in chart.error_bars:  # stems sit on the bar centres: -w/2 + (j + 0.5) * w / 2, w = 0.5
        assert bar.x == pytest.approx(-0.125 if bar.kind == "pp" else 0.125)
        stat = result.pp if bar.kind == "pp" else result.tg
        assert bar.high == pytest.approx(stat.mean + stat.stdev)
    assert pane.history_chart.lines
    assert next(iter(pane.history_chart.lines.values()))[0][1] == pytest.approx(result.tg.mean)

    # Stored: a second pane (an app restart) reads the same run back.
    again = BenchmarkPane(inventory, runner, app_paths)
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: not again.is_refreshing(), timeout=10_000)
    assert again.results_model.rowCount() == 1 and again.results_model.result(0).id == result.id
    assert again.results_model.result(0).runtime == result.runtime
    assert load_results(inventory, artifact.id)[0].tg == result.tg


def test_compare_export_delete_and_cancel(qtbot, qtmodeltester, setup, tmp_path: Path) -> None:
    pane, inventory, runner, artifact = setup
    older = _stored(inventory, artifact.id, tg_rate=40.0, days_ago=2)
    newer = _stored(inventory, artifact.id, tg_rate=50.0, days_ago=1)
    pane.refresh()
    qtbot.waitUntil(lambda: not pane.is_refreshing(), timeout=10_000)
    assert pane.results_model.rowCount() == 2

    pane.select_results([older.id, newer.id])
    assert pane.compare_button.isEnabled() and pane.tabs.currentIndex() == 2  # two selected: compared at once
    qtmodeltester.check(pane.compare_model)
    deltas = {d.metric: d for d in pane.compare_model.deltas()}
    assert deltas["tg tokens/s"].before == pytest.approx(40.0) and deltas["tg tokens/s"].after == pytest.approx(50.0)
    assert pane.compare_model.index(1, 3).data() == "+25.0%"
    assert pane.compare_model.index(5, 1).data() == "not available"
    assert len(pane.speed_chart.categories) == 2  # the selection is charted

    written = pane.export_to(tmp_path / "runs.csv")
    assert written is not None
    with written.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(float(r["tg_tokens_per_s"]) for r in rows) == pytest.approx([40.0, 50.0])
    data = json.loads(pane.export_to(tmp_path / "runs.json").read_text(encoding="utf-8"))
    assert {d["run_id"] for d in data} == {older.id, newer.id}
    assert "| tg t/s |" in pane.export_to(tmp_path / "runs.md").read_text(encoding="utf-8").splitlines()[0] + "|"
    assert pane.export_to(tmp_path / "runs.pdf") is None and "unknown file type" in pane.status_label.text()

    pane.delete_runs([older.id])
    assert pane.results_model.rowCount() == 1 and [r.id for r in load_results(inventory)] == [newer.id]

    # A long run (pp128 x 50, about a minute) cancelled while it runs: no result is stored.
    pane.select_artifacts([artifact.id])
    pane.set_custom(BenchSettings(n_prompt=128, n_gen=128, repetitions=50, threads=(1,)))
    (job_id,) = pane.start_runs()
    qtbot.waitUntil(lambda: "pp128" in runner.job(job_id).progress.message, timeout=60_000)
    pane.cancel_selected()
    _wait_runs(qtbot, pane, timeout=30_000)
    assert runner.job(job_id).state is JobState.CANCELLED
    assert "Cancelled" in pane.status_label.text()
    assert [r.id for r in load_results(inventory)] == [newer.id]


def _stored(inventory, artifact_id: int, tg_rate: float, days_ago: int, name: str = "SmolLM2", quant: str = "Q4_1"):
    from slmdesk.bench.results import BenchResult

    result = BenchResult(
        model_path="/models/smollm2.gguf", model_name=name, model_format="gguf", model_sha256=None,
        quantization=quant, backend="llama.cpp", backend_version="0.3.36", n_threads=1, n_ctx=256, n_batch=40,
        n_ubatch=40, flash_attn="auto", settings=TINY, pp=tokens_per_s(32, [320_000_000, 330_000_000]),
        tg=tokens_per_s(8, [int(8e9 / tg_rate)] * 2), ttft=seconds([0.5, 0.5]), load_s=0.2,
        peak_rss_bytes=190 << 20, artifact_id=artifact_id, created_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    return save_result(inventory, result)


def test_a_gguf_and_an_onnx_build_of_one_model_compared(qtbot, setup, smollm2_onnx: Path) -> None:
    pane, inventory, runner, gguf = setup
    onnx = add_paths(inventory, [smollm2_onnx])[0]
    assert onnx.format == "onnx"
    pane.artifacts.refresh()  # the Library reloads the shared list after a scan; alone, the pane does
    qtbot.waitUntil(lambda: not pane.is_refreshing(), timeout=10_000)
    pane.select_artifacts([gguf.id, onnx.id])
    pane.set_custom(BenchSettings(n_prompt=32, n_gen=8, repetitions=2, threads=(1,), ttft=False))
    job_ids = pane.start_runs()
    assert len(job_ids) == 2
    assert [runner.job(j).state for j in job_ids][1] is JobState.QUEUED  # one benchmark at a time
    _wait_runs(qtbot, pane)
    failed = [
        (runner.job(j).error, runner.job(j).details) for j in job_ids if runner.job(j).state is not JobState.SUCCEEDED
    ]
    assert not failed
    by_backend = {r.backend: r for r in pane.results_model.results()}
    assert set(by_backend) == {"llama.cpp", "onnxruntime-genai"}
    assert by_backend["onnxruntime-genai"].quantization == "int4" and by_backend["llama.cpp"].quantization == "Q4_1"
    assert len(pane.speed_chart.categories) == 2  # newest run per model, side by side

    pane.select_results([r.id for r in by_backend.values()])
    deltas = {d.metric: d for d in pane.compare_model.deltas()}
    before, after = sorted(by_backend.values(), key=lambda r: r.created_at)
    assert deltas["tg tokens/s"].before == pytest.approx(before.tg.mean)
    assert deltas["tg tokens/s"].delta_pct == pytest.approx((after.tg.mean - before.tg.mean) / before.tg.mean * 100)
    assert pane.compare_model.index(2, 1).data() == "–"  # TTFT skipped in both runs


def test_the_compare_view_names_both_models_and_quantizations(qtbot, setup) -> None:
    pane, inventory, _runner, artifact = setup
    older = _stored(inventory, artifact.id, tg_rate=40.0, days_ago=2, name="SmolLM2 135M Instruct", quant="Q4_1")
    newer = _stored(inventory, artifact.id, tg_rate=50.0, days_ago=1, name="Qwen2.5 0.5B Instruct", quant="Q8_0")
    pane.refresh()
    qtbot.waitUntil(lambda: not pane.is_refreshing(), timeout=10_000)
    pane.select_results([older.id, newer.id])
    assert pane.tabs.currentIndex() == 2
    headers = [pane.compare_model.headerData(c, Qt.Orientation.Horizontal) for c in (1, 2)]
    assert headers == ["A: SmolLM2 135M Instruct Q4_1", "B: Qwen2.5 0.5B Instruct Q8_0"]  # older run is A
    tooltip = pane.compare_model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "SmolLM2 135M Instruct Q4_1" in tooltip and "llama.cpp" in tooltip and f"run {older.id}" in tooltip
    caption = pane.results.compare_caption.text()
    assert "A: SmolLM2 135M Instruct Q4_1" in caption and "B: Qwen2.5 0.5B Instruct Q8_0" in caption
    # The memory row says what it shows: a size, not a byte count under a "bytes" name.
    rows = {pane.compare_model.index(r, 0).data(): r for r in range(pane.compare_model.rowCount())}
    assert "Peak memory" in rows and pane.compare_model.index(rows["Peak memory"], 1).data() == "190.0 MiB"
    # The speed chart numbers its bar groups and names them in full in the key below it.
    assert pane.speed_chart.key.entries == [  # the selection in view order, newest first
        ("1", "Qwen2.5 0.5B Instruct Q8_0 · llama.cpp · 1 t"), ("2", "SmolLM2 135M Instruct Q4_1 · llama.cpp · 1 t")]


def test_a_long_status_never_squeezes_the_queue(qtbot, setup) -> None:
    pane = setup[0]
    pane.resize(870, 600)  # a 1024x640 window less the sidebar
    qtbot.waitUntil(lambda: pane.queue_view.height() > 0)
    before = pane.queue_view.height()
    message = "SmolLM2 135M Instruct: the engine could not start because the model file is unreadable. " * 8
    pane.set_status(message)
    qtbot.wait(50)
    rows = pane.queue_view.verticalHeader().defaultSectionSize()
    assert pane.queue_view.height() >= pane.queue_view.horizontalHeader().height() + MIN_VISIBLE_ROWS * rows
    assert pane.queue_view.height() == before
    assert pane.status_label.height() < 3 * pane.status_label.fontMetrics().height()  # one elided line
    assert pane.status_label.text() == message and pane.status_label.toolTip() == message
    assert pane.status_label.is_elided()
