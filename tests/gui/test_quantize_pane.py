"""The Quantize pane on a real SQLite inventory: synthetic GGUF files for the form and a quick
real quantization, the SmolLM2 F16 GGUF for the quality check and cancel."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from slmdesk.bench.settings import BenchSettings
from slmdesk.core.units import format_bytes
from slmdesk.formats.gguf import read_header
from slmdesk.inventory.lineage import lineage_of
from slmdesk.inventory.repository import Inventory
from slmdesk.inventory.scanners import add_paths
from slmdesk.jobs.runner import JobRunner, JobState
from slmdesk.paths import AppPaths
from slmdesk.quantize.quality import evaluation_text
from slmdesk.quantize.types import predicted_size
from slmdesk.ui.quantize.form import TARGET_GGUF, TARGET_ONNX
from slmdesk.ui.quantize.models import QualityTableModel, QuantTypeModel, VariantQuality
from slmdesk.ui.quantize.pane import RESOURCE, QuantizePane
from tests.gguf_factory import write_gguf


@pytest.fixture
def quantize(qtbot, app_paths: AppPaths, inventory: Inventory,
             quick_machine_probe: list[float]) -> Iterator[tuple[QuantizePane, Inventory, JobRunner]]:
    """A shown Quantize pane (with a Library pane on the same artifacts) over a throw-away
    inventory; the machine probe is the quick, fixed one."""
    from slmdesk.ui.library.pane import LibraryPane

    runner = JobRunner()
    library = LibraryPane(inventory, runner, app_paths)
    pane = QuantizePane(inventory, runner, app_paths, artifacts=library.artifacts)
    pane.library = library  # type: ignore[attr-defined]  # the tests read its Lineage tab
    for widget in (library, pane):
        qtbot.addWidget(widget)
    pane.resize(1300, 800)
    pane.show()
    yield pane, inventory, runner
    assert runner.shutdown(15_000)


def _toy(folder: Path) -> Path:
    """A tiny F32 llama GGUF whose rows are multiples of 256 (so every K/IQ type applies)."""
    [path] = write_gguf(folder / "toy-F32.gguf", name="Toy", n_embd=256, n_ff=512, n_vocab=64, file_type=0)
    return path


def _add(qtbot, pane: QuantizePane, inventory: Inventory, paths: list[Path]) -> list[int]:
    ids = [r.id for r in add_paths(inventory, paths)]
    with qtbot.waitSignal(pane.artifacts.records_changed):
        pane.artifacts.refresh()
    return ids


def _settled(qtbot, pane: QuantizePane) -> None:
    qtbot.waitUntil(lambda: not pane.is_validating(), timeout=10_000)


def test_type_list_form_checks_and_models(qtbot, qtmodeltester, quantize, tmp_path: Path) -> None:
    pane, inventory, _runner = quantize
    source = _toy(tmp_path)
    [source_id] = _add(qtbot, pane, inventory, [source])
    assert pane.set_source(source_id)
    qtbot.waitUntil(lambda: pane.type_model.row("Q4_K_M").fit is not None, timeout=10_000)
    for model in (pane.type_model, pane.form.type_proxy, pane.form.sources):
        qtmodeltester.check(model)

    header = read_header(source)
    rows = {r.name: r for r in pane.type_model.rows()}
    assert rows["Q8_0"].predicted_bytes == predicted_size(header, "Q8_0")
    q8 = pane.type_model.index(list(rows).index("Q8_0"), QuantTypeModel.COL_SIZE)
    assert q8.data() == format_bytes(predicted_size(header, "Q8_0"))
    iq2 = list(rows).index("IQ2_XS")
    assert pane.type_model.index(iq2, QuantTypeModel.COL_IMATRIX).data() == "required"
    assert pane.type_model.index(list(rows).index("Q4_K_M"), QuantTypeModel.COL_IMATRIX).data() == "optional"
    assert rows["Q4_K_M"].fit is not None and rows["Q4_K_M"].fit.text == "CPU only"  # the fixed machine: no GPU
    assert "F32 GGUF: the right source" in pane.form.source_note.text()

    # The default output sits beside the source; Q4_K_M passes.
    assert pane.form.select_type("Q4_K_M")
    _settled(qtbot, pane)
    assert pane.form.output_path() == tmp_path / "toy-Q4_K_M.gguf"
    assert pane.problem() is None and pane.run_button.isEnabled()
    # Output == input is refused in the form.
    pane.form.set_output_path(source)
    _settled(qtbot, pane)
    assert "would replace the source" in pane.problem().message
    assert not pane.run_button.isEnabled() and pane.start() is None
    assert "would replace the source" in pane.status_label.text()
    pane.form.set_output_path(tmp_path / "toy-IQ2_XS.gguf")
    # A type that needs an importance matrix cannot run without one.
    assert pane.form.select_type("IQ2_XS")
    pane.form.set_imatrix_choice("none")
    _settled(qtbot, pane)
    assert "needs an importance matrix" in pane.problem().message and not pane.run_button.isEnabled()
    pane.form.set_imatrix_choice("file")
    _settled(qtbot, pane)
    assert "Choose an importance matrix file" in pane.problem().message
    pane.form.set_imatrix_choice("calibration")
    _settled(qtbot, pane)
    assert pane.problem() is None and pane.run_button.isEnabled()

    # The type and importance-matrix choice are remembered in the window state.
    from PySide6.QtCore import QSettings

    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    remembering = QuantizePane(inventory, _runner, pane._paths, artifacts=pane.artifacts, state=state)
    qtbot.addWidget(remembering)
    remembering.form.select_type("Q5_K_M")
    remembering.form.set_imatrix_choice("calibration")
    again = QuantizePane(inventory, _runner, pane._paths, artifacts=pane.artifacts, state=state)
    qtbot.addWidget(again)
    assert (again.form.type_name(), again.form.imatrix_choice()) == ("Q5_K_M", "calibration")

    # ONNX: a plan, or how to get the onnx-build extra.
    pane.form.target_tabs.setCurrentIndex(TARGET_ONNX)
    _settled(qtbot, pane)
    note = pane.form.onnx_note.text()
    assert 'pip install "slmdesk[onnx-build]"' in note or "Builds int4" in note or "llama model" in note, note
    pane.form.target_tabs.setCurrentIndex(TARGET_GGUF)


def test_quality_model_sorts_sizes_as_ints_and_charts_measured_only(qtbot, qtmodeltester) -> None:
    from slmdesk.ui.quantize.chart import QualityChartView

    model = QualityTableModel()
    rows = [VariantQuality(1, "Big F16", "F16", 5 * 2**31, is_source=True, perplexity=10.0),
            VariantQuality(2, "Big Q4_K_M", "Q4_K_M", 2**31 + 1, perplexity=10.6, kld_mean=0.03,
                           top1_agreement=0.91, tg_tokens_per_s=40.0),
            VariantQuality(3, "Big Q8_0", "Q8_0", 2**32)]
    model.set_variants(rows)
    qtmodeltester.check(model)
    keys = [model.index(r, QualityTableModel.COL_SIZE).data(Qt.ItemDataRole.UserRole + 1) for r in range(3)]
    assert keys == [5 * 2**31, 2**31 + 1, 2**32]  # Python ints, exact above 2**31
    assert model.index(2, QualityTableModel.COL_PPL).data() == "–"  # not measured: never 0
    assert model.index(1, QualityTableModel.COL_TOP1).data() == "91.0%"
    chart = QualityChartView()
    qtbot.addWidget(chart)
    chart.set_variants(rows)
    assert [(p.artifact_id, p.y) for p in chart.points] == [(1, 10.0), (2, 10.6)]
    assert "tg 40.0 t/s" in chart.points[1].tooltip


def test_a_quantization_lands_in_the_library_with_lineage(qtbot, quantize, tmp_path: Path) -> None:
    pane, inventory, runner = quantize
    source = _toy(tmp_path)
    [source_id] = _add(qtbot, pane, inventory, [source])
    pane.set_source(source_id)
    pane.form.select_type("Q8_0")
    pane.form.set_imatrix_choice("none")
    _settled(qtbot, pane)
    with qtbot.waitSignal(pane.build_finished, timeout=60_000) as finished:
        qtbot.keyClick(pane.type_view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    result = finished.args[0]
    job = next(j for j in runner.jobs() if j.resource == RESOURCE)
    assert job.state is JobState.SUCCEEDED and not job.background  # listed in the Jobs pane
    assert result.path == tmp_path / "toy-Q8_0.gguf" and result.path.is_file()
    assert result.size_bytes == result.path.stat().st_size
    assert not list(tmp_path.glob(".*.part"))
    assert "Done: toy-Q8_0.gguf" in pane.status_label.text()

    [made] = lineage_of(inventory, result.artifact_id)
    assert made.source_artifact_id == source_id and made.parameters["type"] == "Q8_0"
    assert made.parameters["imatrix"] is None
    qtbot.waitUntil(lambda: pane.artifacts.find(result.artifact_id) is not None, timeout=10_000)
    assert pane.artifacts.find(result.artifact_id).quantization == "Q8_0"

    library = pane.library
    qtbot.waitUntil(lambda: library.select(result.artifact_id), timeout=10_000)
    qtbot.waitUntil(lambda: "Made from" in library.details.lineage.made_label.text(), timeout=10_000)
    assert "<b>Q8_0</b>" in library.details.lineage.made_label.text()
    assert "Toy 1M (F32)" in library.details.lineage.made_label.text()
    # The same plan again is refused now: the output exists.
    _settled(qtbot, pane)
    assert "already exists" in pane.problem().message


@pytest.mark.slow
def test_real_model_quality_export_and_cancel(qtbot, quantize, smollm2_f16_gguf: Path, tmp_path: Path) -> None:
    pane, inventory, runner = quantize
    [source_id] = _add(qtbot, pane, inventory, [smollm2_f16_gguf])
    pane.set_source(source_id)
    pane.form.select_type("Q8_0")
    pane.form.set_output_path(tmp_path / "smollm2-Q8_0.gguf")
    _settled(qtbot, pane)
    with qtbot.waitSignal(pane.build_finished, timeout=180_000):
        assert pane.start() is not None
    variant_id = pane._last_result.artifact_id

    # Quality on a short held-out text at a small context.
    short = tmp_path / "held-out.txt"
    short.write_text(evaluation_text().read_text(encoding="utf-8")[:6000], encoding="utf-8")
    pane.quality_text = short
    pane.quality.ctx_spin.setValue(128)
    pane.quality.speed_check.setChecked(True)  # and a tiny benchmark of both for pp/tg
    pane.speed_settings = BenchSettings(n_prompt=16, n_gen=4, repetitions=1, threads=(1,), ttft=False)
    qtbot.waitUntil(lambda: pane.quality.set_pair(source_id, variant_id), timeout=10_000)
    with qtbot.waitSignal(pane.comparison_finished, timeout=240_000) as compared:
        pane.quality.compare_button.click()
    result = compared.args[0]
    assert result.n_ctx == 128 and result.n_tokens > 0 and 0.5 < result.top1_agreement <= 1.0
    qtbot.waitUntil(lambda: pane.quality.table_model.variant(variant_id) is not None
                    and pane.quality.table_model.variant(variant_id).perplexity is not None, timeout=10_000)
    row = pane.quality.table_model.variant(variant_id)
    assert row.perplexity == pytest.approx(result.variant_ppl) and row.kld_mean == pytest.approx(result.kld_mean)
    assert pane.quality.table_model.variant(source_id).perplexity == pytest.approx(result.base_ppl)
    assert len(pane.quality.chart.points) == 2
    qtbot.waitUntil(lambda: all(v.tg_tokens_per_s for v in pane.quality.table_model.variants()), timeout=120_000)
    assert "t/s" in pane.quality.chart.points[0].tooltip
    written = pane.export_to(tmp_path / "variants.csv")
    assert written is not None
    with written.open(encoding="utf-8", newline="") as handle:
        exported = {r["name"]: r for r in csv.DictReader(handle)}
    assert float(exported[f"{row.name} (Q8_0)"]["perplexity"]) == pytest.approx(result.variant_ppl), exported

    # An importance matrix computed from a chosen text, then cancel while tensors are being
    # quantized: the partial output (and the matrix made for it) is removed.
    out = tmp_path / "smollm2-Q4_K_M.gguf"
    pane.form.select_type("Q4_K_M")
    pane.form.set_output_path(out)
    pane.form.set_imatrix_choice("text")
    pane.form.set_imatrix_path(short)
    _settled(qtbot, pane)
    job_id = pane.start()
    assert job_id is not None and pane.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: runner.job(job_id).progress.message.startswith("["), timeout=120_000)
    assert (tmp_path / "smollm2-Q4_K_M.imatrix").is_file()  # computed first
    qtbot.keyClick(pane.type_view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: runner.job(job_id).state.is_final, timeout=15_000)
    assert runner.job(job_id).state is JobState.CANCELLED
    assert not out.exists() and not list(tmp_path.glob(".*.part")) and not list(tmp_path.glob("*.imatrix"))
    assert "Cancelled" in pane.status_label.text() and not pane.is_running()


def test_main_window_opens_the_quantize_pane_from_the_library(qtbot, make_window, tmp_path: Path) -> None:
    window = make_window()
    assert isinstance(window.panes["Quantize"], QuantizePane)
    source = _toy(tmp_path)
    [variant_path] = write_gguf(tmp_path / "toy-Q8_0.gguf", name="Toy", n_embd=256, n_ff=512, n_vocab=64,
                                tensor_type="Q8_0", file_type=7)
    library = window.library
    library.scan([source, variant_path])
    qtbot.waitUntil(lambda: len(library.model.all_records()) == 2, timeout=10_000)
    records = {r.quantization: r for r in library.model.all_records()}
    assert library.select(records["F32"].id) and library.quantize_button.isEnabled()
    library.quantize_button.click()
    assert window.current_pane_name() == "Quantize"
    assert window.quantize.form.source_record().id == records["F32"].id
    library.compare_requested.emit(records["F32"].id, records["Q8_0"].id)  # the Lineage tab's "Compare with source"
    assert window.current_pane_name() == "Quantize"
    assert (window.quantize.quality.base_id(), window.quantize.quality.variant_id()) == (
        records["F32"].id, records["Q8_0"].id)
    qtbot.waitUntil(lambda: window.quantize.quality.table_model.rowCount() >= 1, timeout=10_000)
    qtbot.waitUntil(lambda: all(j.state.is_final for j in window._context.runner.jobs()), timeout=10_000)
