import json
import logging
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.core.settings import (
    MIGRATIONS,
    SETTINGS_VERSION,
    Settings,
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
                                            "api_host": "127.0.0.1", "api_port": 8765, "api_allowed_origins": [],
                                            "api_max_loaded_models": 1, "enter_sends": True,
                                                "language": "system", "theme": "system", "models_dir": None}
    save_settings(Settings(), path)
    assert json.loads(path.read_text())["n_threads"] is None  # automatic: the physical cores


def test_the_api_server_settings_round_trip_and_bad_values_keep_their_defaults(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    served = Settings(api_enabled=True, api_host="0.0.0.0", api_port=9000, api_allowed_origins=("http://localhost:3000",),
                      api_max_loaded_models=3)
    save_settings(served, path)
    assert load_settings(path) == served
    assert json.loads(path.read_text())["api_allowed_origins"] == ["http://localhost:3000"]
    # A version 2 file from before these keys: the server is off, on loopback, port 8765.
    assert load_settings_from({"version": 2, "default_n_ctx": 2048}, tmp_path) == Settings(default_n_ctx=2048)
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.serial"):
        loaded = load_settings_from({"version": 2, "api_enabled": True, "api_host": "my host", "api_port": 70000,
                                     "api_allowed_origins": [""], "api_max_loaded_models": 0}, tmp_path)
    assert loaded == Settings(api_enabled=True)
    assert "ignoring api_host='my host' ('my host' is not an address to listen on." in caplog.text
    assert "ignoring api_port=70000 (Port 70000 is out of range." in caplog.text
    assert "ignoring api_allowed_origins=[''] (An allowed web origin is empty." in caplog.text
    assert "ignoring api_max_loaded_models=0 (0 models loaded at once is out of range." in caplog.text
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
        loaded = load_settings_from({"version": 99, "default_n_ctx": 16384, "colour_scheme": "dark"}, tmp_path)
    assert loaded == Settings(default_n_ctx=16384)
    assert "the file is version 99, newer than this slmdesk's" in caplog.text
    assert load_settings_from({"version": "two", "default_n_ctx": 2048}, tmp_path).default_n_ctx == 2048
    assert load_settings_from([1, 2], tmp_path) == Settings()  # type: ignore[arg-type]


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


def test_enter_sends_is_on_unless_the_file_turns_it_off(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": SETTINGS_VERSION, "default_n_ctx": 4096}))
    assert load_settings(path).enter_sends is True  # a file from before the key
    save_settings(Settings(enter_sends=False), path)
    assert json.loads(path.read_text())["enter_sends"] is False and load_settings(path).enter_sends is False
    path.write_text(json.dumps({"version": SETTINGS_VERSION, "enter_sends": "no"}))
    assert load_settings(path).enter_sends is True
    assert "enter_sends" in caplog.text


def test_language_theme_and_models_dir_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a language"):
        Settings(language="fr")
    with pytest.raises(UserError, match="not a theme"):
        Settings(theme="sepia")
    with pytest.raises(UserError, match="absolute path"):
        Settings(models_dir="relative/models")
    # A bad value in the file falls back to the default instead of failing the start.
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": SETTINGS_VERSION, "language": "fr", "theme": "dark"}))
    loaded = load_settings(path)
    assert (loaded.language, loaded.theme) == ("system", "dark")


def test_chosen_models_dir_moves_the_models_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from slmdesk import paths

    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    assert paths.resolve().models == tmp_path / "data" / "models"
    chosen = tmp_path / "elsewhere"
    save_settings(Settings(models_dir=str(chosen)), paths.resolve().settings_file)
    assert paths.resolve().models == chosen
    paths.resolve().settings_file.write_text("{broken")
    assert paths.resolve().models == tmp_path / "data" / "models"
