"""Qt Linguist files of slmdesk's interface: refresh the sources, compile them, check them.

    python packaging/translations.py update    # lupdate: slmdesk/ui -> resources/i18n/*.ts
    python packaging/translations.py release   # lrelease: *.ts -> *.qm (make translations)
    python packaging/translations.py merge PART.ts ...   # take finished translations from PART files

``slmdesk_sv.ts`` is the complete Swedish translation; ``slmdesk_en.ts`` holds only the English
plural forms (lupdate ``-pluralonly``; the Qt Linguist manual, "Handling Plurals", asks for an
English file for ``%n`` texts). The ``.ts`` files carry no source locations (``-locations none``)
so that an edit elsewhere in a file does not rewrite them. The ``.qm`` files are build outputs
(ignored by git) that ``make setup``, ``make setup-test`` and ``make package`` write.

The tools are PySide6's own ``pyside6-lupdate`` and ``pyside6-lrelease`` beside this Python.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "slmdesk" / "ui"
I18N = ROOT / "resources" / "i18n"
SWEDISH = I18N / "slmdesk_sv.ts"
ENGLISH = I18N / "slmdesk_en.ts"


def tool(name: str) -> str:
    """The path of ``pyside6-<name>`` beside this interpreter (a venv's bin/ or Scripts/)."""
    folder = Path(sys.executable).parent
    for candidate in (folder / f"pyside6-{name}", folder / f"pyside6-{name}.exe"):
        if candidate.is_file():
            return str(candidate)
    return f"pyside6-{name}"  # on PATH


GUI_ENTRY = ROOT / "slmdesk" / "app.py"
"""The GUI's composition root: its start-up error boxes are interface texts too."""


def source_files() -> list[str]:
    """Every Python file of the interface, sorted (lupdate reads them all): slmdesk/ui and the
    GUI's composition root."""
    return [str(path) for path in [GUI_ENTRY, *sorted(SOURCES.rglob("*.py"))]]


def lupdate(ts: Path, *extra: str) -> None:
    """Refresh ``ts`` from the sources (new texts added unfinished, vanished ones dropped)."""
    subprocess.run([tool("lupdate"), *source_files(), "-source-language", "en", "-locations", "none",
                    "-no-obsolete", *extra, "-ts", str(ts)], check=True)


def update() -> None:
    """``lupdate`` into both files."""
    lupdate(SWEDISH, "-target-language", "sv_SE")
    lupdate(ENGLISH, "-target-language", "en", "-pluralonly")


def release(directory: Path = I18N) -> list[Path]:
    """Compile every ``.ts`` of ``resources/i18n`` into a ``.qm`` in ``directory``; returns the
    ``.qm`` paths. Raises CalledProcessError when lrelease fails."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for ts in sorted(I18N.glob("slmdesk_*.ts")):
        qm = directory / ts.with_suffix(".qm").name
        subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        written.append(qm)
    return written


def _key(message: ET.Element, context: str) -> tuple[str, str, str]:
    return context, message.findtext("source") or "", message.findtext("comment") or ""


def merge(parts: list[Path], target: Path = SWEDISH) -> int:
    """Copy the finished translations of ``parts`` into ``target`` where the context, source
    and comment match; returns how many messages were filled."""
    found: dict[tuple[str, str, str], ET.Element] = {}
    for part in parts:
        for context in ET.parse(part).getroot().iter("context"):
            name = context.findtext("name") or ""
            for message in context.iter("message"):
                translation = message.find("translation")
                if translation is not None and translation.get("type") is None:
                    found[_key(message, name)] = translation
    tree = ET.parse(target)
    filled = 0
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = found.get(_key(message, name))
            translation = message.find("translation")
            if source is None or translation is None:
                continue
            message.remove(translation)
            message.append(source)
            filled += 1
    ET.indent(tree)
    with target.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(out, encoding="utf-8", xml_declaration=False)
    return filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("update", "release", "merge"))
    parser.add_argument("parts", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
    elif args.command == "release":
        for qm in release():
            print(f"wrote {qm.relative_to(ROOT)}")
    else:
        print(f"filled {merge(args.parts)} translations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
