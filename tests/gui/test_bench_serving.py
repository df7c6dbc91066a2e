"""The Benchmark pane's Serving tab: its item model, a real run against slmdesk's server over the real
engine (SmolLM2), the charts, and the CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slmdesk.api.models import ModelCatalog, model_for_path
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.bench import serving
from slmdesk.bench.serving import ServingRun, ServingSettings
from slmdesk.bench.serving_stats import RequestOutcome, calculate_metrics
from slmdesk.engine.types import LoadSettings
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import JobRunner
from slmdesk.ui.bench.serving_view import ServingBenchView, parse_levels

KEY = "sk-gui-serving-0123"


@pytest.fixture
def server(smollm2_gguf: Path) -> Iterator[ApiServer]:
    catalog = ModelCatalog(fixed=[model_for_path(smollm2_gguf)])
    api = ApiServer(ServerConfig(port=0, api_key=KEY), catalog, lambda model: LoadSettings(n_ctx=1024, n_threads=1))
    api.start()
    api.preload(catalog.models()[0])
    yield api
    api.stop()


@pytest.fixture
def view(qtbot: Any, inventory: Inventory, request: pytest.FixtureRequest) -> Iterator[ServingBenchView]:
    """The tab alone; its "Local server" is the ``server`` fixture when the test asks for one."""
    runner = JobRunner()
    api: ApiServer | None = request.getfixturevalue("server") if "server" in request.fixturenames else None
    widget = ServingBenchView(inventory, runner, (lambda: (api.address, KEY)) if api is not None else None)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: not widget.is_refreshing())
    yield widget
    runner.shutdown()


def _outcome(tokens: int) -> RequestOutcome:
    return RequestOutcome(True, ttft_s=0.05, itl_s=(0.01,) * (tokens - 1), latency_s=0.05 + 0.01 * (tokens - 1),
                          output_tokens=tokens, prompt_tokens=20, usage_reported=True)


def test_the_runs_model_passes_qtmodeltester(qtbot: Any, qtmodeltester: Any, view: ServingBenchView,
                                             inventory: Inventory) -> None:
    settings = ServingSettings("http://127.0.0.1:9/v1", "m", concurrency=(1, 2))
    for level in (1, 2):
        serving.save_run(inventory, ServingRun(settings, level, calculate_metrics([_outcome(4)] * 2, 1.0)))
    qtmodeltester.check(view.runs_model)  # watches the model while it is reset below
    view.refresh()
    qtbot.waitUntil(lambda: view.runs_model.rowCount() == 2)
    assert view.runs_model.index(0, view.runs_model.COL_OUT).data() == "8.0"  # 2 x 4 tokens in 1 s
    assert view.latency_chart.categories == ["c1 · inf", "c2 · inf"]
    assert parse_levels("1, 2,4") == (1, 2, 4)


def test_a_real_run_against_the_local_server_is_stored_charted_and_exported(
        qtbot: Any, server: ApiServer, view: ServingBenchView, tmp_path: Path) -> None:
    assert view.use_local_server()
    qtbot.waitUntil(lambda: view.model_combo.count() == 1, timeout=30_000)
    assert view.model_combo.currentText() == "SmolLM2-135M-Instruct.Q4_1" and view.key_edit.text() == KEY
    view.levels_edit.setText("1,2")
    view.requests_spin.setValue(2)
    view.input_spin.setValue(16)
    view.output_spin.setValue(6)
    with qtbot.waitSignal(view.run_finished, timeout=240_000) as finished:
        assert view.start_run() is not None
        assert view.cancel_button.isEnabled()
    runs: tuple[ServingRun, ...] = finished.args[0]
    assert [r.concurrency for r in runs] == [1, 2] and all(r.metrics.failed == 0 for r in runs)
    assert all(r.metrics.ttft is not None and r.metrics.ttft.p50 > 0 for r in runs)
    assert view.runs_model.rowCount() == 2 and view.progress.value() == 1000
    assert sorted(view.throughput_chart.lines[next(iter(view.throughput_chart.lines))]) == [
        (1, pytest.approx(runs[0].metrics.output_throughput)), (2, pytest.approx(runs[1].metrics.output_throughput))]
    assert view.latency_chart.categories == ["c1 · inf", "c2 · inf"]
    path = view.export_to(tmp_path / "serving.csv")
    assert path is not None
    rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    assert [int(r["concurrency"]) for r in rows] == [2, 1] and rows[0]["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert float(rows[1]["output_throughput"]) == pytest.approx(runs[0].metrics.output_throughput)
    assert KEY not in path.read_text(encoding="utf-8")
