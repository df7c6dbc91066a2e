"""The header's column chooser: hide a column, remember it, keep one column visible."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QTableView

from slmdesk.ui.widgets.columns import column_chooser, install_column_chooser

HEADERS = ["Name", "Size", "Format"]


def _view(qtbot, settings: QSettings | None, default_hidden: set[int]) -> QTableView:
    model = QStandardItemModel(2, len(HEADERS))
    model.setHorizontalHeaderLabels(HEADERS)
    view = QTableView()
    model.setParent(view)
    view.setModel(model)
    qtbot.addWidget(view)
    install_column_chooser(view, settings, "test/hidden", default_hidden)
    return view


def _hidden(view: QTableView) -> list[int]:
    return [c for c in range(len(HEADERS)) if view.isColumnHidden(c)]


def test_hiding_a_column_is_remembered_for_a_new_view(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    view = _view(qtbot, settings, default_hidden={2})
    assert _hidden(view) == [2]
    chooser = column_chooser(view)
    assert chooser is not None
    actions = chooser.actions()
    assert [a.text() for a in actions] == HEADERS
    assert [a.isChecked() for a in actions] == [True, True, False]

    actions[1].setChecked(False)  # hide "Size"
    actions[2].setChecked(True)  # show "Format"
    assert _hidden(view) == [1]

    settings.sync()
    again = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    assert _hidden(_view(qtbot, again, default_hidden={2})) == [1]


def test_the_last_visible_column_cannot_be_hidden(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    view = _view(qtbot, settings, default_hidden={1, 2})
    chooser = column_chooser(view)
    assert chooser is not None
    actions = chooser.actions()
    assert not actions[0].isEnabled()  # "Name" is the only column shown
    actions[0].setChecked(False)
    assert _hidden(view) == [1, 2] and actions[0].isChecked()
    assert not chooser.set_visible(0, False)


def test_the_choice_survives_a_model_reset(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    view = _view(qtbot, settings, default_hidden={2})
    model = view.model()
    assert isinstance(model, QStandardItemModel)
    model.clear()
    model.setHorizontalHeaderLabels(HEADERS)
    assert _hidden(view) == [2]


def test_without_settings_the_choice_lives_in_memory_and_the_header_says_how(qtbot) -> None:
    view = _view(qtbot, None, default_hidden={2})
    assert _hidden(view) == [2]
    assert view.horizontalHeader().toolTip() == "Right-click to choose the columns"
    chooser = column_chooser(view)
    assert chooser is not None
    assert chooser.set_visible(2, True) and chooser.set_visible(0, False)
    chooser.apply()  # re-read from its in-memory settings
    assert _hidden(view) == [0]
