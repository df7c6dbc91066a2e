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
