"""The About dialog: what slmdesk is and the versions of everything it runs on."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from slmdesk.core.resources import build_info
from slmdesk.engine.types import RuntimeInfo
from slmdesk.hardware.backends import cached_backends
from slmdesk.hardware.versions import (
    component_versions,
    llama_build_recipe,
    package_version,
)


def about_rows(cache_dir: Path | None = None) -> list[tuple[str, str]]:
    """Component versions including Qt and PySide6 (those need Qt, so they are added here),
    and what llama.cpp runs on here, from the engine probe cached in ``cache_dir`` (the
    hardware cache; the probe runs in a child process when the hardware is first probed, so
    About never loads llama.cpp itself)."""
    rows = component_versions()
    rows.insert(2, ("Qt", f"{qVersion()} (PySide6 {package_version('PySide6') or '?'})"))
    built = build_info()
    rows.insert(1, ("Build", f"packaged {built.get('date', '?')} from commit {built.get('commit', '?')} "
                             f"({built.get('platform', '?')})" if built else "from source"))
    recipe = llama_build_recipe()
    build = (
        "portable (runtime CPU dispatch)"
        if recipe and "-DGGML_BACKEND_DL=ON" in recipe.get("cmake_args", ())
        else ("not built by slmdesk's recipe")
    )
    if recipe:
        build += f", recipe {recipe.get('key', '?')}"
    rows.append(("llama.cpp build", build))
    info = cached_backends(cache_dir) if cache_dir is not None else None
    if info is None or not info.llama_runtime:
        rows.append(("llama.cpp runs on", "not probed yet (open the Library's Fit panel once)"))
    else:
        runtime = RuntimeInfo.from_dict(dict(info.llama_runtime))
        text = RuntimeInfo(cpu_variant=runtime.cpu_variant, cpu_features=runtime.cpu_features, repack=runtime.repack,
                           gpu_backends=runtime.gpu_backends, engine="llama.cpp").summary()
        rows.append(("llama.cpp runs on", text.removeprefix("llama.cpp · ")))
        rows += [("Note", note) for note in runtime.notes]
    return rows


class AboutDialog(QDialog):
    """Versions of slmdesk, Python, Qt, llama.cpp and onnxruntime-genai, selectable for bug reports."""

    def __init__(self, parent: QWidget | None = None, cache_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About slmdesk")
        rows = "".join(
            f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(value)}</td></tr>"
            for name, value in about_rows(cache_dir)
        )
        label = QLabel(
            "<h2>slmdesk</h2><p>Small language models on your own machine: find, fit, download, "
            "quantize, chat and benchmark, offline.</p>"
            f"<table cellspacing='6'>{rows}</table>",
            self,
        )
        label.setTextInteractionFlags(label.textInteractionFlags().TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
