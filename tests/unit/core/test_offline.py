"""Offline mode, the one switch: Settings, overridden on by SLMDESK_OFFLINE=1 (or --offline) for a
run; applied to the environment children inherit, to huggingface_hub and to the network guard."""

from __future__ import annotations

import os
import sys

import pytest

from slmdesk.core import netguard, offline
from slmdesk.core.network_log import LOG_ENV
from slmdesk.core.offline import (
    ADDED_ENV,
    OFFLINE_ENV,
    TELEMETRY_OFF,
    OfflineState,
    apply_network_policy,
    apply_offline_mode,
    resolve,
)
from slmdesk.core.settings import Settings, save_settings
from slmdesk.paths import AppPaths

ME = os.getpid()


@pytest.fixture
def hub_constants(monkeypatch: pytest.MonkeyPatch):
    """huggingface_hub's constants and the environment with offline mode off (the test rig exports
    HF_HUB_OFFLINE=1 for every test); both restored after (tests/conftest.py)."""
    from huggingface_hub import constants

    for name in (OFFLINE_ENV, ADDED_ENV, *offline.HUB_OFFLINE_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


def test_settings_decide_unless_the_environment_turns_it_on() -> None:
    assert resolve(False, {}) == OfflineState(on=False, setting=False, forced=False)
    assert resolve(True, {}) == OfflineState(on=True, setting=True, forced=False)
    for value in ("1", "true", "YES", "on"):
        assert resolve(False, {OFFLINE_ENV: value}) == OfflineState(on=True, setting=False, forced=True)
    assert resolve(False, {OFFLINE_ENV: "0"}).on is False
    # Set by this very process for its setting: not an override (Settings can turn it off again)...
    assert resolve(False, {OFFLINE_ENV: "1", ADDED_ENV: f"{ME}:{OFFLINE_ENV}"}).on is False
    # ...but a child that inherits it from its parent is offline whatever its own reading of Settings.
    assert resolve(False, {OFFLINE_ENV: "1", ADDED_ENV: f"{ME + 1}:{OFFLINE_ENV}"}).forced is True


def test_states_say_what_turned_it_on_and_how_to_turn_it_off() -> None:
    assert OfflineState(on=False, setting=False, forced=False).describe() == "Offline mode is off."
    assert OfflineState(on=False, setting=False, forced=False).how_to_turn_off() == ""
    by_settings = OfflineState(on=True, setting=True, forced=False)
    assert by_settings.describe() == "Offline mode is on (Settings)."
    assert by_settings.how_to_turn_off() == ('To connect, clear Settings > Offline mode (or set "offline_mode": false '
                                             "in the settings file).")
    both = OfflineState(on=True, setting=True, forced=True)
    assert both.describe() == "Offline mode is on (Settings and --offline or SLMDESK_OFFLINE=1)."
    assert both.how_to_turn_off().startswith(
        "To connect, run without --offline and with SLMDESK_OFFLINE unset and clear Settings > Offline mode")


def test_on_sets_what_children_inherit_and_off_removes_only_that() -> None:
    env = {"HF_HUB_OFFLINE": "1", "DO_NOT_TRACK": "0"}  # the user exported these
    apply_offline_mode(True, env)
    assert env == {
        "HF_HUB_OFFLINE": "1", OFFLINE_ENV: "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        ADDED_ENV: f"{ME}:{OFFLINE_ENV},TRANSFORMERS_OFFLINE,HF_DATASETS_OFFLINE", **TELEMETRY_OFF,
    }
    assert env["DO_NOT_TRACK"] == "1"  # offline: every dependency's telemetry off, whatever was chosen
    apply_offline_mode(True, env)  # again: nothing more is added
    assert env[ADDED_ENV] == f"{ME}:{OFFLINE_ENV},TRANSFORMERS_OFFLINE,HF_DATASETS_OFFLINE"
    apply_offline_mode(False, env)
    assert env == {"HF_HUB_OFFLINE": "1", **TELEMETRY_OFF}  # the user's HF_HUB_OFFLINE stays; telemetry stays off
    online = {"DO_NOT_TRACK": "0"}
    apply_offline_mode(False, online)
    assert online == {**TELEMETRY_OFF, "DO_NOT_TRACK": "0"}  # online, the user's choice is kept


def test_a_child_never_removes_what_its_parent_set() -> None:
    inherited = {OFFLINE_ENV: "1", "HF_HUB_OFFLINE": "1", ADDED_ENV: f"{ME + 1}:{OFFLINE_ENV},HF_HUB_OFFLINE"}
    apply_offline_mode(False, inherited)
    assert inherited[OFFLINE_ENV] == "1" and inherited["HF_HUB_OFFLINE"] == "1"
    assert inherited[ADDED_ENV] == f"{ME + 1}:{OFFLINE_ENV},HF_HUB_OFFLINE"


def test_an_imported_hub_refuses_before_connecting(hub_constants) -> None:
    from huggingface_hub.errors import OfflineModeIsEnabled
    from huggingface_hub.utils import get_session

    apply_offline_mode(True)
    assert os.environ[OFFLINE_ENV] == "1" and os.environ["HF_HUB_OFFLINE"] == "1"
    assert hub_constants.HF_HUB_OFFLINE is True and hub_constants.HF_HUB_DISABLE_TELEMETRY is True
    with pytest.raises(OfflineModeIsEnabled, match=r"^Cannot reach https://huggingface\.co/api/models: offline mode"):
        get_session().get("https://huggingface.co/api/models")
    apply_offline_mode(False)
    assert OFFLINE_ENV not in os.environ and ADDED_ENV not in os.environ and hub_constants.HF_HUB_OFFLINE is False


def test_the_policy_guards_this_process_and_follows_settings(hub_constants, app_paths: AppPaths, tmp_path,
                                                             monkeypatch) -> None:
    monkeypatch.setenv(LOG_ENV, str(tmp_path / "attempts.jsonl"))
    state = apply_network_policy(True, process="slmdesk test", app_paths=app_paths)
    assert state == offline.current() == OfflineState(on=True, setting=True, forced=False)
    assert netguard.current() == netguard.NetGuard(offline=True, process="slmdesk test",
                                                   log_file=tmp_path / "attempts.jsonl")
    assert offline.update_setting(False) == OfflineState(on=False, setting=False, forced=False)
    assert netguard.current().offline is False and OFFLINE_ENV not in os.environ
    apply_network_policy(False)  # a second call keeps the process's name
    assert netguard.current().process == "slmdesk test"
    monkeypatch.setenv(OFFLINE_ENV, "1")  # as --offline does
    assert offline.update_setting(False).on is True and netguard.current().offline is True


def test_cli_commands_apply_the_offline_setting(hub_constants, app_paths: AppPaths) -> None:
    from slmdesk.cli import common

    save_settings(Settings(offline_mode=True), app_paths.settings_file)
    with common.open_inventory() as inventory:
        assert inventory.list_artifacts() == []
    assert os.environ[OFFLINE_ENV] == "1" and hub_constants.HF_HUB_OFFLINE is True
    assert "huggingface_hub.constants" in sys.modules
    guard = netguard.current()
    assert guard is not None and guard.offline and guard.log_file == app_paths.data / "network-log.jsonl"
