"""Render the application icon (resources/icons/slmdesk.svg) to PNG sizes, .ico and .icns.

Qt's own SVG renderer (QtSvg, part of PySide6) draws the PNGs; Pillow writes the Windows .ico
(16-256 px) and the macOS .icns (16-1024 px) from them. The outputs are committed beside the
SVG; run this again after editing it:

    .venv/bin/python packaging/make_icons.py     # needs Pillow (pip install pillow)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
"""The hicolor theme sizes a desktop uses (freedesktop Icon Theme Specification); 1024 only
goes into the .icns."""


def render(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "slmdesk.svg"))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import io

    from PIL import Image

    images = {}
    for size in (*PNG_SIZES, 1024):
        data = render(size)
        images[size] = Image.open(io.BytesIO(data)).convert("RGBA")
        if size in PNG_SIZES:
            (ICONS / f"slmdesk-{size}.png").write_bytes(data)
    images[256].save(ICONS / "slmdesk.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    images[1024].save(ICONS / "slmdesk.icns")
    print(f"wrote {len(PNG_SIZES)} PNGs, slmdesk.ico and slmdesk.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
