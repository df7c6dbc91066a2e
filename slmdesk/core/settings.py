"""The typed, versioned settings object and its JSON file."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from slmdesk.core.files import write_json_atomic

log = logging.getLogger(__name__)

SETTINGS_VERSION = 1


@dataclass(frozen=True)
class Settings:
    """User settings. Unknown keys in the file are ignored; missing keys take these defaults.

    Attributes:
        offline_mode: when True, slmdesk opens no network connection at all.
        extra_model_dirs: folders the user added to be scanned for models (absolute paths).
        default_n_ctx: context length (tokens) proposed when a model is first loaded.
        n_threads: generation threads; 0 means "physical cores".
    """

    version: int = SETTINGS_VERSION
    offline_mode: bool = False
    extra_model_dirs: tuple[str, ...] = field(default_factory=tuple)
    default_n_ctx: int = 4096
    n_threads: int = 0


def settings_from_dict(raw: dict[str, Any]) -> Settings:
    """Build :class:`Settings` from a decoded JSON object, dropping unknown or mistyped keys."""
    defaults = Settings()
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        if spec.name not in raw or spec.name == "version":
            continue
        value = raw[spec.name]
        default = getattr(defaults, spec.name)
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(str(item) for item in value)
        if type(value) is not type(default):
            log.warning("settings: ignoring %s=%r (expected %s)", spec.name, value, type(default).__name__)
            continue
        values[spec.name] = value
    return replace(defaults, **values)


def load_settings(path: Path) -> Settings:
    """Read settings from ``path``; a missing or unreadable file gives the defaults (logged)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as error:
        log.warning("settings: cannot read %s (%s); using defaults", path, error)
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    return settings_from_dict(raw)


def save_settings(settings: Settings, path: Path) -> None:
    """Write settings atomically (temporary file, then rename). Raises OSError on failure."""
    write_json_atomic(path, asdict(settings), indent=2, sort_keys=True)
