"""The typed, versioned settings object, its JSON file, and the migrations between file versions."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.files import write_json_atomic
from slmdesk.core.load_plan import DEFAULT_N_CTX
from slmdesk.core.serial import from_builtins_lenient, to_builtins

log = logging.getLogger(__name__)

SETTINGS_VERSION = 2
"""Version of the settings file this slmdesk writes (its ``"version"`` key). History:

1. ``offline_mode``, ``extra_model_dirs``, ``default_n_ctx``, ``n_threads`` (0 = physical cores).
2. ``n_threads`` null = physical cores, as in ``LoadPlan`` and ``LoadSettings``;
   ``extra_model_dirs`` removed: the folders the Library scans have one home, the inventory's
   scan roots, edited in the Settings pane's "Model folders scanned by the Library".
   Later, without a step (new keys with defaults: a file without them reads as before, and
   an older slmdesk ignores them): ``api_enabled``, ``api_host``, ``api_port``,
   ``api_allowed_origins``, ``api_max_loaded_models`` for the local API server;
   ``enter_sends`` for Chat's message box; ``language``, ``theme`` and ``models_dir``
   (the Settings pane).
"""

LANGUAGE_CHOICES: tuple[str, ...] = ("system", "en", "sv")
"""``language`` values: follow the system's locale, English, Swedish."""

THEME_CHOICES: tuple[str, ...] = ("system", "light", "dark")
"""``theme`` values: follow the system's colours, light, dark."""

MIN_N_CTX = 256
"""Smallest default context (tokens): llama.cpp pads ``n_ctx`` up to a multiple of 256
(research/field-notes.md section 0, item 3), so a smaller one allocates 256 anyway."""

MAX_N_CTX = 1 << 20
"""Largest default context (tokens), 1,048,576: a guard against typing errors. A model is
loaded with at most its own training context, so a large default means "the model's own"."""

DEFAULT_API_HOST = "127.0.0.1"
"""The local API server's default address: loopback, so only this machine can connect unless
the user chooses another address (``slmdesk serve`` and the Settings switch)."""

DEFAULT_API_PORT = 8765
"""The local API server's default TCP port."""

MAX_API_LOADED_MODELS = 16
"""Most models the local API server may keep loaded at once: a guard against typing errors
(each holds its weights and KV cache in memory)."""


@dataclass(frozen=True)
class Settings:
    """User settings. Unknown keys in the file are ignored; missing or invalid keys take these
    defaults.

    Attributes:
        offline_mode: when True, no connection leaves this computer, from slmdesk or its child
            processes (:mod:`slmdesk.core.offline`; ``--offline`` and ``SLMDESK_OFFLINE=1`` turn it
            on for one run whatever this says).
        default_n_ctx: context length (tokens) a model is loaded with until the user chooses one
            in its Fit panel (capped at the model's training context), :data:`MIN_N_CTX` to
            :data:`MAX_N_CTX`.
        n_threads: generation threads for models whose load plan does not set them; None means
            the physical cores.
        api_enabled: the GUI runs the local OpenAI-compatible server (Settings, "Local API
            server"); off by default.
        api_host: the address it listens on; :data:`DEFAULT_API_HOST` (loopback) by default.
        api_port: its TCP port, 0 to 65535 (0 picks a free one at each start).
        api_allowed_origins: web origins allowed to call it from a browser (CORS), such as
            ``"http://localhost:3000"``; none by default. Set in the file only.
        api_max_loaded_models: models the server keeps loaded at once, one engine process each,
            1 to :data:`MAX_API_LOADED_MODELS`; a request for another model loads it and, at the
            limit, evicts the least recently used idle one (1, the default: the one engine swaps
            models). Set in the file only; ``slmdesk serve --max-models`` overrides it.
        enter_sends: in Chat's message box, Enter sends and Shift+Enter starts a new line; when
            False, Enter starts a new line. Ctrl+Enter sends either way.
        language: the interface language, one of :data:`LANGUAGE_CHOICES` (``"system"``: Swedish
            on a Swedish system, English elsewhere); applied at the next start.
        theme: the colours, one of :data:`THEME_CHOICES`; applied at once.
        models_dir: the folder downloads, quantized files and the starter models go to (an
            absolute path), None for the default (``AppPaths.models``); applied at the next
            start (the Library scans it).

    Raises:
        UserError: a value out of range (the message says which and what is allowed).
    """

    offline_mode: bool = False
    default_n_ctx: int = DEFAULT_N_CTX
    n_threads: int | None = None
    api_enabled: bool = False
    api_host: str = DEFAULT_API_HOST
    api_port: int = DEFAULT_API_PORT
    api_allowed_origins: tuple[str, ...] = ()
    api_max_loaded_models: int = 1
    enter_sends: bool = True
    language: str = "system"
    theme: str = "system"
    models_dir: str | None = None

    def __post_init__(self) -> None:
        if not MIN_N_CTX <= self.default_n_ctx <= MAX_N_CTX:
            raise UserError(
                f"A default context of {self.default_n_ctx} tokens is out of range.",
                f"Use {MIN_N_CTX} to {MAX_N_CTX:,} tokens, for example {DEFAULT_N_CTX}.",
            )
        if self.n_threads is not None and self.n_threads < 1:
            raise UserError("The thread count must be at least 1.", "Or leave it automatic (the physical cores).")
        if not self.api_host or self.api_host != self.api_host.strip() or " " in self.api_host:
            raise UserError(f"{self.api_host!r} is not an address to listen on.",
                            f"Use {DEFAULT_API_HOST} (this computer only), or an address of this computer.")
        if not 0 <= self.api_port <= 65535:
            raise UserError(f"Port {self.api_port} is out of range.",
                            "Use a port from 1024 to 65535 (0: any free port).")
        if not 1 <= self.api_max_loaded_models <= MAX_API_LOADED_MODELS:
            raise UserError(f"{self.api_max_loaded_models} models loaded at once is out of range.",
                            f"Use 1 to {MAX_API_LOADED_MODELS} (each loaded model holds its memory).")
        if self.language not in LANGUAGE_CHOICES:
            raise UserError(f"{self.language!r} is not a language slmdesk has.",
                            f"Use one of {', '.join(LANGUAGE_CHOICES)}.")
        if self.theme not in THEME_CHOICES:
            raise UserError(f"{self.theme!r} is not a theme.", f"Use one of {', '.join(THEME_CHOICES)}.")
        if self.models_dir is not None and not Path(self.models_dir).expanduser().is_absolute():
            raise UserError(f"The models folder {self.models_dir!r} is not an absolute path.",
                            "Choose a folder with the Browse button, or leave it empty for the default.")
        if any(not origin.strip() for origin in self.api_allowed_origins):
            raise UserError("An allowed web origin is empty.", "Write origins as http://localhost:3000, or *.")


# --- migrations ----------------------------------------------------------------------------------

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """n_threads 0 -> null; extra_model_dirs dropped (the inventory's scan roots hold them)."""
    data = dict(raw)
    if type(data.get("n_threads")) is int and data["n_threads"] == 0:
        data["n_threads"] = None
    folders = data.pop("extra_model_dirs", None)
    if folders:
        # save_settings was never called before version 2, so only a hand-written file has them.
        log.warning("settings: extra_model_dirs is no longer read; add %s in Settings, 'Model folders"
                    " scanned by the Library'", folders)
    return data


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}
"""The step from file version N to N + 1, by N; :func:`migrate_settings` runs them in order."""


def migrate_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """A decoded settings file brought to :data:`SETTINGS_VERSION` (a new dict, ``"version"``
    set). A file without a version is version 1; a newer file than this slmdesk knows is read
    as it is (its unknown keys are then ignored, with a logged warning)."""
    version = raw.get("version", 1)
    if type(version) is not int or version < 1:
        log.warning("settings: unknown version %r, reading the file as version 1", version)
        version = 1
    data = dict(raw)
    if version > SETTINGS_VERSION:
        log.warning("settings: the file is version %d, newer than this slmdesk's %d; keys it does not"
                    " know are ignored, and saving writes version %d", version, SETTINGS_VERSION, SETTINGS_VERSION)
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    data["version"] = version
    return data


# --- the file -----------------------------------------------------------------------------------


def settings_from_dict(raw: dict[str, Any]) -> Settings:
    """Build :class:`Settings` from a decoded settings file of any version: migrated
    (:func:`migrate_settings`), unknown keys ignored, a mistyped or out-of-range value replaced by
    its default with a logged warning."""
    data = migrate_settings(raw)
    data.pop("version")
    return from_builtins_lenient(Settings, data, "settings")


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """The file's JSON object: ``{"version": SETTINGS_VERSION, <every field>}``."""
    return {"version": SETTINGS_VERSION, **to_builtins(settings)}


def load_settings(path: Path) -> Settings:
    """Read settings from ``path``, migrated to the current version in memory (the file is
    rewritten only by :func:`save_settings`); a missing or unreadable file gives the defaults
    (logged)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as error:
        log.warning("settings: cannot read %s (%s); using defaults", path, error)
        return Settings()
    if not isinstance(raw, dict):
        log.warning("settings: %s does not hold a JSON object; using defaults", path)
        return Settings()
    return settings_from_dict(raw)


def save_settings(settings: Settings, path: Path) -> None:
    """Write settings as version :data:`SETTINGS_VERSION`, atomically (temporary file, then
    rename). Raises OSError on failure (the old file is then untouched)."""
    write_json_atomic(path, settings_to_dict(settings), indent=2, sort_keys=True)
