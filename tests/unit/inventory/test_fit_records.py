"""Fit estimates and measurements stored in the real SQLite inventory."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from slmdesk.core.fit import FitOptions, estimate
from slmdesk.core.profiles import PRESETS
from slmdesk.core.tasks import run_inline
from slmdesk.formats.detect import read_spec
from slmdesk.inventory import fit_records
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import scan_task
from slmdesk.paths import AppPaths
from tests.gguf_factory import write_gguf


def test_estimates_are_stored_per_profile_and_options(app_paths: AppPaths, tmp_path: Path) -> None:
    app_paths.ensure()
    path = tmp_path / "toy.gguf"
    write_gguf(path, n_layer=2, context_length=4096)
    with open_inventory(app_paths.database) as inventory:
        summary = run_inline(scan_task(inventory, [path], mark_missing=False))
        artifact_id = summary.artifact_ids[0]
        spec = read_spec(path)
        laptop = PRESETS["laptop-8gb"]
        laptop_id = fit_records.save_hardware_profile(inventory, laptop)
        assert fit_records.save_hardware_profile(inventory, laptop) == laptop_id  # same fingerprint
        upgraded = replace(laptop, ram_total_bytes=laptop.ram_total_bytes * 2)
        upgraded_id = fit_records.save_hardware_profile(inventory, upgraded)
        assert upgraded_id != laptop_id  # a RAM upgrade is a new profile

        small = estimate(spec, FitOptions(n_ctx=1024), laptop)
        fit_records.save_fit_estimate(inventory, artifact_id, laptop_id, small)
        fit_records.save_fit_estimate(inventory, artifact_id, laptop_id, small)  # upsert, not duplicate
        fit_records.save_fit_estimate(inventory, artifact_id, laptop_id, estimate(spec, FitOptions(n_ctx=4096), laptop))
        stored = fit_records.list_fit_estimates(inventory, artifact_id)
        assert sorted(e.n_ctx for e in stored) == [1024, 4096]
        assert {e.verdict for e in stored} == {small.verdict.value}
        assert stored[0].total_host_bytes > 0

        assert fit_records.latest_measurement(inventory, artifact_id) is None
        fit_records.add_measurement(
            inventory, artifact_id, {"n_ctx": 1024}, 123_456_789, load_s=0.1, backend="llama.cpp"
        )
        fit_records.add_measurement(inventory, artifact_id, {"n_ctx": 2048}, 223_456_789, backend="llama.cpp")
        latest = fit_records.latest_measurement(inventory, artifact_id)
        assert latest.peak_rss_bytes == 223_456_789 and latest.load_settings["n_ctx"] == 2048
