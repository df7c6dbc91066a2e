"""Every user-visible string in slmdesk/ui goes through Qt's translation functions.

A static scan (Python's ast) for the calls that put text on screen (widget constructors such
as ``QLabel("...")``, setters such as ``setText``/``setToolTip``, message boxes, status-bar
messages, header labels, combo items) whose text argument is a bare string literal or an
f-string instead of ``self.tr(...)``/``QCoreApplication.translate(...)``. A literal without a
letter (``"-"``, ``"…"``, ``"%"``) is not text, and nor is one that is only a field term or a
name (see :data:`NOT_WORDS`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "slmdesk" / "ui"

TEXT_SETTERS = {
    "setText": 0, "setToolTip": 0, "setStatusTip": 0, "setWhatsThis": 0, "setPlaceholderText": 0,
    "setWindowTitle": 0, "setAccessibleName": 0, "setAccessibleDescription": 0, "setTitle": 0,
    "setSpecialValueText": 0, "setSuffix": 0, "setPrefix": 0, "showMessage": 0, "setLabelText": 0,
    "setTabText": 1, "setTabToolTip": 1, "setItemText": 1, "addItem": 0, "addItems": 0, "insertItem": 1,
    "addTab": 1, "insertTab": 2, "addRow": 0, "addMenu": 0, "addAction": 0, "setHorizontalHeaderLabels": 0,
    "setVerticalHeaderLabels": 0, "setHeaderLabels": 0, "setTitleText": 0, "setLabelFormat": -1,
    "setInformativeText": 0, "setDetailedText": 0, "setButtonText": 1, "setChecked": -1,
}
"""Method name -> index of its text argument (-1: never text)."""

TEXT_CONSTRUCTORS = {
    "QLabel", "QPushButton", "QToolButton", "QCheckBox", "QRadioButton", "QGroupBox", "QAction",
    "QMenu", "QListWidgetItem", "QMessageBox", "QCommandLinkButton",
}

MESSAGE_BOXES = {"information", "warning", "critical", "question", "about"}
"""``QMessageBox.<name>(parent, title, text)``: the title and text are shown."""

NOT_WORDS = re.compile(
    r"^(?:[^A-Za-zÅÄÖåäö]*|GGUF|ONNX|slmdesk|Hugging Face|OK|pp|tg|TTFT|KLD|imatrix|[A-Z]\d?_[A-Z0-9_]+|https?://\S*|"
    r"<[^>]*>|[&]?[A-Za-z]?)$"
)
"""Literals that are not words to translate: no letters, a field term or name, a URL, a lone
tag, a single letter."""


def _is_plain_text(node: ast.AST) -> str | None:
    """The source text when ``node`` is an untranslated literal or f-string worth translating."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value.strip()
        return None if NOT_WORDS.match(text) else node.value
    if isinstance(node, ast.JoinedStr):
        literal = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return None if NOT_WORDS.match(literal.strip()) else f"f{literal!r}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_plain_text(node.left) or _is_plain_text(node.right)
    if isinstance(node, (ast.List, ast.Tuple)):
        for item in node.elts:
            found = _is_plain_text(item)
            if found:
                return found
    return None


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def untranslated(path: Path) -> list[str]:
    """``"file:line: text"`` for each untranslated user-visible literal in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    problems: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        candidates: list[ast.AST] = []
        if name in TEXT_CONSTRUCTORS:
            candidates = list(node.args[:1]) + [kw.value for kw in node.keywords if kw.arg in {"text", "title"}]
            if name == "QMessageBox":
                candidates = list(node.args[1:3])
        elif name in MESSAGE_BOXES and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "QMessageBox":
            candidates = list(node.args[1:3])
        elif name in TEXT_SETTERS and TEXT_SETTERS[name] >= 0 and len(node.args) > TEXT_SETTERS[name]:
            candidates = [node.args[TEXT_SETTERS[name]]]
        for candidate in candidates:
            text = _is_plain_text(candidate)
            if text:
                problems.append(f"{path.name}:{node.lineno}: {text[:70]}")
    return problems


AREAS = [*sorted({p.parent.name if p.parent != UI else p.stem for p in UI.rglob("*.py")}), "app"]
"""One case per pane package or top-level module of slmdesk/ui, and the GUI's ``slmdesk/app.py``."""


@pytest.mark.parametrize("area", AREAS)
def test_user_visible_strings_are_translatable(area: str) -> None:
    if area == "app":
        files = [UI.parent / "app.py"]
    else:
        files = sorted((UI / area).rglob("*.py")) if (UI / area).is_dir() else [UI / f"{area}.py"]
    problems = [f"{path.parent.name}/{problem}" for path in files for problem in untranslated(path)]
    assert not problems, "wrap these in self.tr() / QCoreApplication.translate():\n" + "\n".join(problems)


def test_the_scan_finds_untranslated_text(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from PySide6.QtWidgets import QLabel, QMessageBox\n"
        "def f(w, n):\n"
        "    QLabel('Hello there')\n"
        "    w.setToolTip(f'{n} models')\n"
        "    QMessageBox.warning(w, 'Oops', w.tr('Fine'))\n"
        "    w.setText(w.tr('Translated'))\n"
        "    w.setText('GGUF')\n"
        "    w.setText('…')\n",
        encoding="utf-8",
    )
    found = untranslated(sample)
    assert [line.split(": ", 1)[1] for line in found] == ["Hello there", "f' models'", "Oops"]
