"""The interface language: Swedish from the compiled translation, English plurals, QLocale
numbers and dates, and English when a translation is missing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QApplication

from slmdesk.ui import i18n


@pytest.fixture
def language(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.uninstall_language()


def test_swedish_translates_texts_plurals_and_numbers(language, swedish_qm: Path) -> None:
    assert i18n.install_language("sv", swedish_qm) == "sv"
    assert QCoreApplication.translate("MainWindow", "&Quit") == "&Avsluta"
    assert QLocale().language() == QLocale.Language.Swedish
    assert i18n.format_bytes(1536) == "1,5 KiB"
    assert i18n.format_number(12345.6, 1) == "12\N{NO-BREAK SPACE}345,6"
    assert i18n.format_datetime(datetime(2026, 12, 2, 4, 21)) == "2026-12-02 04:21"
    assert i18n.format_percent(91.0, 1) == "91,0 %"
    assert i18n.format_percent(25, 1, signed=True) == "+25,0 %"
    assert i18n.format_percent(-3.04, 1, signed=True) == "\N{MINUS SIGN}3,0 %"  # Swedish's minus, not "+−"
    assert i18n.localize_decimals("4.25 bpw, v1.") == "4,25 bpw, v1."


def test_english_has_real_plurals(language, swedish_qm: Path) -> None:
    assert i18n.install_language("en", swedish_qm) == "en"
    translate = QCoreApplication.translate
    assert translate("LibraryPane", "%Ln model(s)", "", 1) == "1 model"
    assert translate("LibraryPane", "%Ln model(s)", "", 3) == "3 models"
    assert i18n.format_bytes(1536) == "1.5 KiB"
    assert i18n.format_number(12345) == "12,345"
    assert i18n.format_percent(91.0, 1) == "91.0%"
    assert i18n.format_percent(12.4) == "12%"
    assert i18n.format_percent(25, 1, signed=True) == "+25.0%"
    assert i18n.format_percent(0, 1, signed=True) == "0.0%"


def test_a_missing_translation_leaves_english(language, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert i18n.install_language("sv", tmp_path) == "en"
    assert QCoreApplication.translate("MainWindow", "&Quit") == "&Quit"
    assert QLocale().language() == QLocale.Language.English
    assert "no sv translation" in caplog.text


def test_the_system_language_picks_swedish_only_on_a_swedish_system() -> None:
    swedish = QLocale(QLocale.Language.Swedish, QLocale.Country.Finland)
    german = QLocale(QLocale.Language.German, QLocale.Country.Germany)
    assert i18n.resolve_language("system", swedish) == "sv"
    assert i18n.resolve_language("system", german) == "en"
    assert i18n.resolve_language("sv", german) == "sv"
