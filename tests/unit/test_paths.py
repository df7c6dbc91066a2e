from pathlib import Path

from slmdesk import paths


def test_slmdesk_home_puts_every_directory_under_one_folder(tmp_path: Path) -> None:
    resolved = paths.resolve({"SLMDESK_HOME": str(tmp_path / "portable")})
    root = (tmp_path / "portable").resolve()
    assert resolved.portable
    for directory in (resolved.config, resolved.data, resolved.cache, resolved.models, resolved.logs):
        assert directory.is_relative_to(root)
    assert resolved.database == root / "data" / "inventory.sqlite3"
    assert not root.exists(), "resolve() must not create folders"
    resolved.ensure()
    assert resolved.models.is_dir() and resolved.config.is_dir()


def test_without_slmdesk_home_platformdirs_decides(tmp_path: Path) -> None:
    resolved = paths.resolve({"SLMDESK_HOME": "  "})
    assert not resolved.portable
    assert resolved.config.name == "slmdesk" or "slmdesk" in resolved.config.parts
    assert resolved.models == resolved.data / "models"


def test_tests_never_see_the_real_home(app_paths: paths.AppPaths, tmp_path: Path) -> None:
    assert app_paths.portable
    assert app_paths.data.is_relative_to(tmp_path)
    assert paths.resolve() == app_paths
