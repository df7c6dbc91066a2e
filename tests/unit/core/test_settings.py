import json
import logging
import os
import sys
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.settings import (
    MIGRATIONS,
    OFFLINE_ENV,
    OFFLINE_MARK_ENV,
    SETTINGS_VERSION,
    Settings,
    apply_offline_mode,
    load_settings,
    migrate_settings,
    save_settings,
)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings(offline_mode=True, default_n_ctx=8192, n_threads=6)
    save_settings(settings, path)
    assert load_settings(path) == settings
    assert json.loads(path.read_text()) == {"version": SETTINGS_VERSION, "offline_mode": True,
                                            "default_n_ctx": 8192, "n_threads": 6, "api_enabled": False,
                                            "api_host": "127.0.0.1", "api_port": 8765, "api_allowed_origins": []}
    save_settings(Settings(), path)
    assert json.loads(path.read_text())["n_threads"] is None  # automatic: the physical cores


def test_the_api_server_settings_round_trip_and_bad_values_keep_their_defaults(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    served = Settings(api_enabled=True, api_host="0.0.0.0", api_port=9000, api_allowed_origins=("http://localhost:3000",))
    save_settings(served, path)
    assert load_settings(path) == served
    assert json.loads(path.read_text())["api_allowed_origins"] == ["http://localhost:3000"]
    # A version 2 file from before these keys: the server is off, on loopback, port 8765.
    assert load_settings_from({"version": 2, "default_n_ctx": 2048}, tmp_path) == Settings(default_n_ctx=2048)
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.serial"):
        loaded = load_settings_from({"version": 2, "api_enabled": True, "api_host": "my host", "api_port": 70000,
                                     "api_allowed_origins": [""]}, tmp_path)
    assert loaded == Settings(api_enabled=True)
    assert "ignoring api_host='my host' ('my host' is not an address to listen on." in caplog.text
    assert "ignoring api_port=70000 (Port 70000 is out of range." in caplog.text
    assert "ignoring api_allowed_origins=[''] (An allowed web origin is empty." in caplog.text
    assert Settings(api_port=0).api_port == 0  # any free port


def test_missing_corrupt_and_mistyped_files_give_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.json") == Settings()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert load_settings(broken) == Settings()
    mistyped = tmp_path / "mistyped.json"
    mistyped.write_text(json.dumps({"offline_mode": "yes", "default_n_ctx": 2048, "future_key": 1}))
    loaded = load_settings(mistyped)
    assert loaded.offline_mode is False  # wrong type ignored, default kept
    assert loaded.default_n_ctx == 2048


def test_out_of_range_values_fall_back_to_their_default_with_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "default_n_ctx": 100, "n_threads": -2, "offline_mode": True}))
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.serial"):
        loaded = load_settings(path)
    assert loaded == Settings(offline_mode=True)
    assert (
        "settings: ignoring default_n_ctx=100 (A default context of 100 tokens is out of range. Use 256" in caplog.text
    )
    assert "settings: ignoring n_threads=-2" in caplog.text
    with pytest.raises(UserError, match="out of range") as error:
        Settings(default_n_ctx=2_000_000)
    assert error.value.hint == "Use 256 to 1,048,576 tokens, for example 4096."
    with pytest.raises(UserError, match="at least 1"):
        Settings(n_threads=0)


def test_a_version_1_file_is_migrated_on_load_and_rewritten_only_on_save(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    v1 = {"version": 1, "offline_mode": True, "extra_model_dirs": ["/models/a"], "default_n_ctx": 8192, "n_threads": 0}
    path.write_text(json.dumps(v1))
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.settings"):
        loaded = load_settings(path)
    assert loaded == Settings(offline_mode=True, default_n_ctx=8192, n_threads=None)
    assert "extra_model_dirs is no longer read; add ['/models/a'] in Settings" in caplog.text
    assert json.loads(path.read_text()) == v1  # loading never writes
    assert migrate_settings(v1) == {"version": SETTINGS_VERSION, "offline_mode": True, "default_n_ctx": 8192,
                                    "n_threads": None}
    assert v1["version"] == 1  # the caller's dict is left alone
    save_settings(loaded, path)
    assert json.loads(path.read_text()) == {"version": SETTINGS_VERSION, "offline_mode": True, "default_n_ctx": 8192,
                                            "n_threads": None}
    # v1 thread counts other than 0 stay; a file without a version is version 1.
    assert load_settings_from({"n_threads": 8}, tmp_path).n_threads == 8
    assert load_settings_from({"n_threads": 0}, tmp_path).n_threads is None


def load_settings_from(raw: dict, folder: Path) -> Settings:
    path = folder / "raw.json"
    path.write_text(json.dumps(raw))
    return load_settings(path)


def test_every_older_version_has_a_migration_step() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SETTINGS_VERSION))


def test_a_newer_file_is_read_for_the_keys_this_version_knows(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.settings"):
        loaded = load_settings_from({"version": 99, "default_n_ctx": 16384, "theme": "dark"}, tmp_path)
    assert loaded == Settings(default_n_ctx=16384)
    assert "the file is version 99, newer than this slmdesk's" in caplog.text
    assert load_settings_from({"version": "two", "default_n_ctx": 2048}, tmp_path).default_n_ctx == 2048
    assert load_settings_from([1, 2], tmp_path) == Settings()  # type: ignore[arg-type]


@pytest.fixture
def hub_constants(monkeypatch: pytest.MonkeyPatch):
    """huggingface_hub's constants with offline mode off, and neither variable set; restored after."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv(OFFLINE_ENV, raising=False)
    monkeypatch.delenv(OFFLINE_MARK_ENV, raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    return constants


def test_offline_mode_reaches_the_environment_and_the_imported_hub(hub_constants) -> None:
    from huggingface_hub.errors import OfflineModeIsEnabled
    from huggingface_hub.utils import get_session

    apply_offline_mode(True)
    assert os.environ[OFFLINE_ENV] == "1" and hub_constants.HF_HUB_OFFLINE is True
    assert hub_constants.is_offline_mode()
    # Refused before any connection is attempted.
    with pytest.raises(OfflineModeIsEnabled, match=r"^Cannot reach https://huggingface\.co/api/models: offline mode"):
        get_session().get("https://huggingface.co/api/models")
    apply_offline_mode(False)
    assert OFFLINE_ENV not in os.environ and hub_constants.HF_HUB_OFFLINE is False


def test_turning_offline_mode_off_keeps_what_the_user_exported(hub_constants, monkeypatch) -> None:
    monkeypatch.setenv(OFFLINE_ENV, "1")
    apply_offline_mode(True)
    apply_offline_mode(False)
    assert os.environ[OFFLINE_ENV] == "1" and hub_constants.HF_HUB_OFFLINE is True
    env: dict[str, str] = {}
    apply_offline_mode(True, env)
    assert env == {OFFLINE_ENV: "1", OFFLINE_MARK_ENV: "1"}
    apply_offline_mode(False, env)
    assert env == {}


def test_cli_commands_apply_the_offline_setting(hub_constants, app_paths) -> None:
    from slmdesk.cli import common

    save_settings(Settings(offline_mode=True), app_paths.settings_file)
    with common.open_inventory() as inventory:
        assert inventory.list_artifacts() == []
    assert os.environ[OFFLINE_ENV] == "1" and hub_constants.HF_HUB_OFFLINE is True
    assert "huggingface_hub.constants" in sys.modules


def test_atomic_writes_replace_the_file_and_leave_no_temporary(tmp_path) -> None:
    import pytest

    from slmdesk.core.files import write_json_atomic, write_text_atomic

    target = tmp_path / "sub" / "data.json"
    write_json_atomic(target, {"a": (1, 2)})
    assert json.loads(target.read_text()) == {"a": [1, 2]}
    (tmp_path / "sub" / "data.json.tmp").mkdir()  # the temporary name is taken: the write fails
    with pytest.raises(OSError, match=r"data\.json\.tmp"):  # the error names the file it could not write
        write_text_atomic(target, "new")
    assert json.loads(target.read_text()) == {"a": [1, 2]}  # the old file is untouched
