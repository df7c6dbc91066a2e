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


@dataclass(frozen=True)
class LoadDefaults:
    """The load settings a user chose for one artifact in the Fit panel (used by Chat and
    Benchmark). ``n_gpu_layers`` None means "choose automatically"."""

    n_ctx: int
    kv_type: str = "f16"
    flash_attn: bool = False
    n_gpu_layers: int | None = 0
    profile: str = "this machine"

    @property
    def flash_attn_on(self) -> bool:
        """Flash attention as loaded: chosen, or forced by a quantized KV cache (llama.cpp
        refuses a quantized V cache without it)."""
        return self.flash_attn or self.kv_type != "f16"


_DEFAULTS_CACHE: dict[Path, tuple[tuple[int, int, int], dict[int, LoadDefaults]]] = {}
"""Parsed load-defaults files by path, with the ``(st_ino, st_mtime_ns, st_size)`` they were
read at (:func:`save_load_defaults` replaces the file, so each save is a new inode):
Chat asks for every model's settings each time its picker refreshes."""


def load_defaults_map(path: Path) -> dict[int, LoadDefaults]:
    """Read ``{artifact id: LoadDefaults}``; a missing or broken file gives an empty map. The
    parsed file is reused while its inode, modification time and size stay the same."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as error:
        log.warning("load defaults: cannot read %s (%s)", path, error)
        return {}
    stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    cached = _DEFAULTS_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return dict(cached[1])
    result = _read_defaults(path)
    _DEFAULTS_CACHE[path] = (stamp, result)
    return dict(result)


def _read_defaults(path: Path) -> dict[int, LoadDefaults]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("load defaults: cannot read %s (%s)", path, error)
        return {}
    result: dict[int, LoadDefaults] = {}
    for key, value in (raw.items() if isinstance(raw, dict) else ()):
        try:
            result[int(key)] = LoadDefaults(**value)
        except (TypeError, ValueError):
            log.warning("load defaults: ignoring entry %r", key)
    return result


def save_load_defaults(path: Path, artifact_id: int, defaults: LoadDefaults) -> None:
    """Store one artifact's load defaults (atomic rewrite of the file). Raises OSError."""
    current = load_defaults_map(path)
    current[artifact_id] = defaults
    write_json_atomic(path, {str(k): asdict(v) for k, v in sorted(current.items())}, indent=2)
