import json
from pathlib import Path

from slmdesk.core.settings import SETTINGS_VERSION, Settings, load_settings, save_settings


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings(offline_mode=True, extra_model_dirs=("/models/a", "/models/b"), default_n_ctx=8192)
    save_settings(settings, path)
    assert load_settings(path) == settings
    assert json.loads(path.read_text())["version"] == SETTINGS_VERSION


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


def test_atomic_writes_replace_the_file_and_leave_no_temporary(tmp_path) -> None:
    import pytest

    from slmdesk.core.files import write_json_atomic, write_text_atomic

    target = tmp_path / "sub" / "data.json"
    write_json_atomic(target, {"a": (1, 2)})
    assert json.loads(target.read_text()) == {"a": [1, 2]}
    (tmp_path / "sub" / "data.json.tmp").mkdir()  # the temporary name is taken: the write fails
    with pytest.raises(OSError):
        write_text_atomic(target, "new")
    assert json.loads(target.read_text()) == {"a": [1, 2]}  # the old file is untouched
