"""The load plan: its rules, its conversions, its storage in the inventory and the one-time
import of the JSON file older versions kept."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import DEFAULT_N_CTX, LoadPlan, flash_attn_required
from slmdesk.engine.types import LoadSettings
from slmdesk.inventory import db
from slmdesk.inventory.load_plans import LoadPlanStore, import_legacy_file, read_plans
from slmdesk.inventory.repository import Inventory, open_inventory
from tests.inventory_factory import insert_artifacts


def test_a_quantized_v_cache_forces_flash_attention_and_only_that() -> None:
    assert flash_attn_required("q8_0") and flash_attn_required("f16", "q4_0")
    assert not flash_attn_required("f16") and not flash_attn_required("q8_0", "f16")  # quantized K alone is fine
    plan = LoadPlan(kv_type="q8_0")
    assert plan.flash_attn is False and plan.flash_attn_on and plan.flash_attn_forced
    assert LoadPlan(flash_attn=True).flash_attn_on and not LoadPlan(flash_attn=True).flash_attn_forced
    assert not LoadPlan().flash_attn_on


def test_the_default_context_is_the_users_capped_at_the_models() -> None:
    assert LoadPlan.default_for(None).n_ctx == DEFAULT_N_CTX == 4096
    assert LoadPlan.default_for(2048).n_ctx == 2048  # a model trained on less
    assert LoadPlan.default_for(131072, default_n_ctx=8192).n_ctx == 8192
    assert LoadPlan.default_for(8192).n_gpu_layers == 0  # CPU only until the user chooses


def test_automatic_gpu_layers_follow_the_estimate_never_all() -> None:
    auto = LoadPlan(n_gpu_layers=None)
    assert auto.gpu_layers_for(12) == 12  # a partial-offload estimate loads partially
    assert auto.gpu_layers_for(None) == 0  # no estimate: the CPU, not "all"
    assert LoadPlan(n_gpu_layers=-1).gpu_layers_for(12) == -1
    assert LoadPlan(n_gpu_layers=5).gpu_layers_for(12) == 5


def test_conversions_to_fit_options_and_engine_settings() -> None:
    plan = LoadPlan(n_ctx=8192, kv_type="q4_0", n_gpu_layers=None, n_threads=3)
    options = plan.fit_options(tokens_in_context=100)
    assert (options.n_ctx, options.kv_type, options.flash_attn, options.n_gpu_layers) == (8192, "q4_0", True, None)
    assert options.tokens_in_context == 100
    settings = LoadSettings.from_plan(plan, estimated_gpu_layers=9, seed=7)
    assert (settings.n_ctx, settings.type_k, settings.type_v, settings.flash_attn) == (8192, "q4_0", "q4_0", True)
    assert (settings.n_gpu_layers, settings.n_threads, settings.seed) == (9, 3, 7)


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"kv_type": "q2_k"}, "Unknown KV cache type"), ({"n_ctx": 0}, "A context of 0 tokens"),
     ({"n_gpu_layers": -2}, "GPU layers must be"), ({"n_threads": 0}, "thread count")],
)
def test_invalid_plans_are_refused(changes: dict[str, object], match: str) -> None:
    with pytest.raises(UserError, match=match):
        replace(LoadPlan(), **changes)


def test_json_round_trip_and_a_damaged_entry() -> None:
    plan = LoadPlan(n_ctx=2048, kv_type="q8_0", flash_attn=True, n_gpu_layers=None, profile="rpi5-8gb")
    assert LoadPlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
    assert LoadPlan.from_json({"n_ctx": 1024, "future": 1}) == LoadPlan(n_ctx=1024)
    with pytest.raises(UserError, match="damaged"):
        LoadPlan.from_json({"n_ctx": None})  # a None where a number belongs


def _inventory_with_two_artifacts(tmp_path: Path) -> tuple[Inventory, list[int]]:
    inventory = open_inventory(tmp_path / "inventory.sqlite3")
    insert_artifacts(inventory, 2)
    return inventory, [1, 2]


def test_the_store_writes_through_and_plans_go_with_their_artifact(tmp_path: Path) -> None:
    inventory, (first, second) = _inventory_with_two_artifacts(tmp_path)
    with inventory:
        store = LoadPlanStore(inventory, default_n_ctx=2048)
        assert store.get(first) is None
        assert store.plan_for(first, context_length=8192).n_ctx == 2048  # Settings' default context
        store.save(first, LoadPlan(n_ctx=8192, kv_type="q8_0"))
        assert LoadPlanStore(inventory).get(first) == LoadPlan(n_ctx=8192, kv_type="q8_0")  # in the database
        assert store.plan_for(first, context_length=4096).n_ctx == 8192  # the saved plan wins
        inventory.remove_artifact(first)
        assert read_plans(inventory) == {}  # deleted with the artifact (ON DELETE CASCADE)
        with pytest.raises(UserError, match="no longer in the inventory"):
            store.save(first, LoadPlan())
        store.save(second, LoadPlan(n_ctx=1024))
        assert set(read_plans(inventory)) == {second}


def test_the_legacy_json_file_is_imported_once(tmp_path: Path) -> None:
    inventory, (first, second) = _inventory_with_two_artifacts(tmp_path)
    legacy = tmp_path / "load_defaults.json"
    legacy.write_text(json.dumps({
        str(first): {"n_ctx": 8192, "kv_type": "q8_0", "flash_attn": False, "n_gpu_layers": None,
                     "profile": "rpi5-8gb"},
        str(second): {"n_ctx": 0, "kv_type": "f16"},  # damaged: skipped
        "999": {"n_ctx": 2048},  # an artifact removed long ago: skipped
    }))
    with inventory:
        assert import_legacy_file(inventory, legacy) == 1
        assert read_plans(inventory) == {first: LoadPlan(n_ctx=8192, kv_type="q8_0", n_gpu_layers=None,
                                                         profile="rpi5-8gb")}
        assert not legacy.exists() and legacy.with_name("load_defaults.json.imported").is_file()
        assert import_legacy_file(inventory, legacy) == 0  # once


def test_the_load_plan_table_is_migration_0005(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db.migrate(path, "0004")
    result = db.migrate(path, "0005")
    assert (result.before, result.after) == ("0004", "0005") and result.backup is not None
    with open_inventory(path) as inventory:
        assert read_plans(inventory) == {}
