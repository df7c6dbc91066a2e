"""Every directory slmdesk touches: config, data, cache, models, logs.

Resolved with platformdirs; ``SLMDESK_HOME=<dir>`` puts all of them under one folder
(portable mode, and what the tests use so that they never touch the real home directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "slmdesk"
HOME_ENV = "SLMDESK_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The directories of one slmdesk installation; none of them is created until asked."""

    config: Path
    data: Path
    cache: Path
    models: Path
    logs: Path
    portable: bool

    @property
    def database(self) -> Path:
        """The SQLite inventory file."""
        return self.data / "inventory.sqlite3"

    @property
    def settings_file(self) -> Path:
        """The typed settings (JSON) file."""
        return self.config / "settings.json"

    @property
    def load_defaults_file(self) -> Path:
        """Where slmdesk kept the Fit panel's per-artifact load settings (JSON) before load plans
        moved into the inventory; imported once (``slmdesk.inventory.load_plans.import_legacy_file``)."""
        return self.config / "load_defaults.json"

    @property
    def window_state_file(self) -> Path:
        """Qt's window geometry and last pane (an INI file written through QSettings)."""
        return self.config / "window.ini"

    def ensure(self) -> AppPaths:
        """Create every directory (parents included) and return ``self``.

        Raises:
            OSError: a directory cannot be created (read-only medium, permissions).
        """
        for directory in (self.config, self.data, self.cache, self.models, self.logs):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def resolve(environ: Mapping[str, str] | None = None) -> AppPaths:
    """Return the directories for this process.

    With ``SLMDESK_HOME`` set (non-empty), everything lives below that folder:
    ``config/``, ``data/``, ``cache/``, ``data/models/``, ``logs/``. Otherwise the
    per-user locations of platformdirs are used (for example ``~/.config/slmdesk`` and
    ``~/.local/share/slmdesk`` on Linux).
    """
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(
            config=root / "config",
            data=root / "data",
            cache=root / "cache",
            models=_chosen_models_dir(root / "config") or root / "data" / "models",
            logs=root / "logs",
            portable=True,
        )
    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    data = Path(dirs.user_data_dir)
    return AppPaths(
        config=Path(dirs.user_config_dir),
        data=data,
        cache=Path(dirs.user_cache_dir),
        models=_chosen_models_dir(Path(dirs.user_config_dir)) or data / "models",
        logs=Path(dirs.user_log_dir),
        portable=False,
    )


def _chosen_models_dir(config: Path) -> Path | None:
    """The settings file's ``models_dir`` when it is an absolute path, else None (no file, an
    unreadable one, or no choice: :mod:`slmdesk.core.settings` reports bad files; this module
    sits below it and only peeks at the one key)."""
    try:
        raw = json.loads((config / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    chosen = raw.get("models_dir") if isinstance(raw, dict) else None
    if not isinstance(chosen, str) or not chosen.strip():
        return None
    path = Path(chosen).expanduser()
    return path if path.is_absolute() else None
