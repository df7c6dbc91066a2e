"""The About dialog: what slmdesk is and the versions of everything it runs on."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from slmdesk.core.resources import build_info
from slmdesk.engine.types import RuntimeInfo
from slmdesk.hardware.backends import cached_backends
from slmdesk.hardware.versions import (
    component_versions,
    llama_build_recipe,
    package_version,
)
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP

_CORE_TEXTS: dict[str, str] = {
    "Operating system": QT_TRANSLATE_NOOP("AboutDialog", "Operating system"),
    "not installed": QT_TRANSLATE_NOOP("AboutDialog", "not installed"),
}
"""The words :func:`slmdesk.hardware.versions.component_versions` (Qt-free, English) uses in its rows."""


def _core_text(text: str) -> str:
    """``text`` from the Qt-free core in the interface language when it is one of :data:`_CORE_TEXTS`."""
    return QCoreApplication.translate("AboutDialog", _CORE_TEXTS[text]) if text in _CORE_TEXTS else text


def about_rows(cache_dir: Path | None = None) -> list[tuple[str, str]]:
    """Component versions including Qt and PySide6 (those need Qt, so they are added here),
    and what llama.cpp runs on here, from the engine probe cached in ``cache_dir`` (the
    hardware cache; the probe runs in a child process when the hardware is first probed, so
    About never loads llama.cpp itself)."""
    rows = [(_core_text(name), _core_text(value)) for name, value in component_versions()]
    rows.insert(2, ("Qt", f"{qVersion()} (PySide6 {package_version('PySide6') or '?'})"))
    built = build_info()
    if built:
        how = QCoreApplication.translate("AboutDialog", "packaged {date} from commit {commit} ({platform})").format(
            date=built.get("date", "?"), commit=built.get("commit", "?"), platform=built.get("platform", "?"))
    else:
        how = QCoreApplication.translate("AboutDialog", "from source")
    rows.insert(1, (QCoreApplication.translate("AboutDialog", "Build"), how))
    recipe = llama_build_recipe()
    build = (
        QCoreApplication.translate("AboutDialog", "portable (runtime CPU dispatch)")
        if recipe and "-DGGML_BACKEND_DL=ON" in recipe.get("cmake_args", ())
        else QCoreApplication.translate("AboutDialog", "not built by slmdesk's recipe")
    )
    if recipe:
        build += QCoreApplication.translate("AboutDialog", ", recipe {key}").format(key=recipe.get("key", "?"))
    rows.append((QCoreApplication.translate("AboutDialog", "llama.cpp build"), build))
    runs_on = QCoreApplication.translate("AboutDialog", "llama.cpp runs on")
    info = cached_backends(cache_dir) if cache_dir is not None else None
    if info is None or not info.llama_runtime:
        rows.append((runs_on, QCoreApplication.translate(
            "AboutDialog", "not probed yet (open the Library's Fit panel once)")))
    else:
        runtime = RuntimeInfo.from_dict(dict(info.llama_runtime))
        text = RuntimeInfo(cpu_variant=runtime.cpu_variant, cpu_features=runtime.cpu_features, repack=runtime.repack,
                           gpu_backends=runtime.gpu_backends, engine="llama.cpp").summary()
        rows.append((runs_on, text.removeprefix("llama.cpp · ")))
        note = QCoreApplication.translate("AboutDialog", "Note")
        rows += [(note, line) for line in runtime.notes]
    return rows


class AboutDialog(QDialog):
    """Versions of slmdesk, Python, Qt, llama.cpp and onnxruntime-genai, selectable for bug reports."""

    def __init__(self, parent: QWidget | None = None, cache_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About slmdesk"))
        rows = "".join(
            f"<tr><td><b>{html.escape(name)}</b></td><td>{html.escape(value)}</td></tr>"
            for name, value in about_rows(cache_dir)
        )
        intro = self.tr("Small language models on your own machine: find, fit, download, quantize, chat and "
                        "benchmark, offline.")
        page = f"<h2>slmdesk</h2><p>{html.escape(intro)}</p><table cellspacing='6'>{rows}</table>"
        label = QLabel(page, self)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(buttons)
