"""Data files installed with slmdesk (``resources/``, the ``slmdesk.resources`` package), from
source and frozen alike (:mod:`importlib.resources`; PyInstaller's reader serves them frozen)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """The path of ``resources/<parts...>`` (it may not exist: check before use)."""
    return Path(str(resources.files("slmdesk.resources").joinpath(*parts)))


def app_icon_path() -> Path:
    """The application icon's SVG source (PNG sizes, .ico and .icns lie beside it)."""
    return resource_path("icons", "slmdesk.svg")


BUILD_INFO = "build_info.json"
"""Written into the resources by ``packaging/slmdesk.spec`` when the app is packaged: the git
commit, the build date and platform. Absent when slmdesk runs from source."""


def build_info() -> dict[str, str] | None:
    """What the packaged app was built from (``{"commit", "date", "platform", "llama_recipe"}``),
    None from source or when the file is unreadable."""
    import json

    try:
        raw = json.loads(resource_path(BUILD_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else None
