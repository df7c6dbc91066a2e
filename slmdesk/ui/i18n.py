"""The interface language (English or Swedish) and locale-aware number formatting.

Every user-visible string in ``slmdesk/ui`` goes through Qt's translation system
(``self.tr`` in QObject subclasses, ``QCoreApplication.translate`` elsewhere,
``QT_TRANSLATE_NOOP`` for module-level tables). The sources are English; the Swedish
translation lives in ``resources/i18n/slmdesk_sv.ts`` (Qt Linguist XML, refreshed with
``pyside6-lupdate``) and is compiled to ``slmdesk_sv.qm`` with ``pyside6-lrelease`` at build
time (``make translations``, run by ``make setup``, ``make setup-test`` and ``make package``).
``slmdesk_en.ts`` holds only the English plural forms (``%n model(s)`` -> "1 model",
"2 models"), as Qt's plural handling asks (Qt Linguist manual, "Handling Plurals").

Numbers shown to people use the chosen language's :class:`QLocale` (a decimal comma in
Swedish) through :func:`format_bytes`, :func:`format_number` and friends.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDateTime, QLibraryInfo, QLocale, QTranslator

from slmdesk.core import units
from slmdesk.core.resources import resource_path

log = logging.getLogger(__name__)

TRANSLATED: tuple[str, ...] = ("en", "sv")
"""Languages slmdesk has a translation for; a system locale outside these gets English."""

CATALOG = "slmdesk"
"""The base name of the compiled translations: ``slmdesk_<lang>.qm``."""

QT_CATALOGS: tuple[str, ...] = ("qtbase",)
"""Qt's own translations loaded with ours (standard dialogs and buttons: QFileDialog,
QMessageBox's Yes/No, QLineEdit's context menu)."""

_installed: list[QTranslator] = []

_LOCALES = {
    "en": lambda: QLocale(QLocale.Language.English, QLocale.Country.UnitedStates),
    "sv": lambda: QLocale(QLocale.Language.Swedish, QLocale.Country.Sweden),
}
"""The locale of each translation (numbers and dates follow the interface language)."""


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name pyside6-lupdate looks for)
    """``text``, marked for translation in ``context`` and returned unchanged, as Qt's own does;
    translate it where it is shown (``QCoreApplication.translate(context, text)``). Typed, unlike
    PySide6's (its stub returns ``object``), so tables of marked texts are ``str`` tables."""
    return text


def translations_dir() -> Path:
    """Where the compiled ``.qm`` files lie (``resources/i18n``)."""
    return resource_path("i18n")


def resolve_language(language: str, system: QLocale | None = None) -> str:
    """The translation to use for a ``language`` setting: ``"en"`` or ``"sv"``. ``"system"``
    follows ``system`` (default: :meth:`QLocale.system`), English unless it is Swedish."""
    if language in TRANSLATED:
        return language
    locale = QLocale.system() if system is None else system
    return "sv" if locale.language() == QLocale.Language.Swedish else "en"


def install_language(language: str, directory: Path | None = None) -> str:
    """Install the translators for ``language`` (a
    :data:`~slmdesk.core.settings.LANGUAGE_CHOICES` value) into the running application,
    replacing earlier ones, and make its locale :meth:`QLocale.setDefault`.
    Widgets built afterwards show the language; existing ones keep theirs until rebuilt
    (slmdesk applies a new language at the next start).

    Args:
        language: ``"system"``, ``"en"`` or ``"sv"``; an unknown value counts as ``"system"``.
        directory: the folder of ``slmdesk_<lang>.qm`` (default: :func:`translations_dir`;
            tests pass a freshly compiled one).

    Returns:
        The language on screen, ``"en"`` or ``"sv"``: a missing or unreadable ``.qm`` is
        logged and leaves the English sources (and an English locale) on screen.
    """
    app = QCoreApplication.instance()
    chosen = resolve_language(language)
    uninstall_language()
    if app is not None:
        folder = translations_dir() if directory is None else directory
        ours = QTranslator(app)
        if ours.load(_LOCALES[chosen](), CATALOG, "_", str(folder)):
            _installed.append(ours)
        elif chosen != "en":
            log.warning("no %s translation in %s: showing English (run `make translations`)", chosen, folder)
            chosen = "en"
        for catalog in QT_CATALOGS if chosen != "en" else ():
            qt = QTranslator(app)
            if any(qt.load(_LOCALES[chosen](), catalog, "_", qt_folder) for qt_folder in _qt_translation_dirs()):
                _installed.append(qt)
            else:
                log.warning("Qt's %s translation %s is missing: its standard dialogs stay English", chosen, catalog)
        for translator in _installed:
            QCoreApplication.installTranslator(translator)
    QLocale.setDefault(_LOCALES[chosen]())
    return chosen


def uninstall_language() -> None:
    """Remove (and delete) the translators :func:`install_language` installed and give the
    default locale back to the system: the English sources, as before any install."""
    for translator in _installed:
        QCoreApplication.removeTranslator(translator)
        translator.deleteLater()
    _installed.clear()
    QLocale.setDefault(QLocale.system())


def _qt_translation_dirs() -> list[str]:
    """Where Qt's own ``.qm`` files may lie: Qt's configured folder, then PySide6's package
    folder (a frozen app's Qt may report a build-time path)."""
    import PySide6

    return [QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
            str(Path(PySide6.__file__).resolve().parent / "Qt" / "translations")]


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
"""A decimal point: a full stop between two digits (not the end of a sentence, not "…")."""


def localize_decimals(text: str) -> str:
    """``text`` with its ASCII decimal points (a full stop between digits) as the default locale
    writes them (``"4.25 bpw" -> "4,25 bpw"`` in Swedish; "v1.2." keeps its last full stop)."""
    point = QLocale().decimalPoint()
    return text if point == "." else _DECIMAL_POINT.sub(point, text)


def format_bytes(n: int | float | None) -> str:
    """:func:`slmdesk.core.units.format_bytes` in the default locale (``"1,5 GiB"`` in Swedish)."""
    return localize_decimals(units.format_bytes(n))


def format_rate(bytes_per_s: float | None) -> str:
    """:func:`slmdesk.core.units.format_rate` in the default locale."""
    return localize_decimals(units.format_rate(bytes_per_s))


def format_params(n: int | None) -> str:
    """:func:`slmdesk.core.units.format_params` in the default locale (``"1,7B"``)."""
    return localize_decimals(units.format_params(n))


def format_duration(seconds: float | None) -> str:
    """:func:`slmdesk.core.units.format_duration` (``m:ss``; the same in every locale)."""
    return units.format_duration(seconds)


def format_number(value: float | int, decimals: int = 0) -> str:
    """``value`` with ``decimals`` decimals and the locale's group separator
    (``12345.6 -> "12,345.6"``, Swedish ``"12 345,6"``)."""
    locale = QLocale()
    if isinstance(value, int) and decimals == 0:
        return locale.toString(value)
    return locale.toString(float(value), "f", decimals)


_SPACED_PERCENT = frozenset({QLocale.Language.Swedish})
"""Languages that write a space between a number and its percent sign ("91,0 %"; CLDR's
percent pattern, which QLocale does not expose: it gives the sign only)."""


def format_percent(value: float, decimals: int = 0, signed: bool = False) -> str:
    """``value`` (a percentage: 91.0 for 91 %) with ``decimals`` decimals as the default locale
    writes it: ``"91.0%"``, Swedish ``"91,0 %"``; ``signed`` puts the locale's plus sign before
    a positive value (``"+25.0%"``; a negative one has its minus sign either way)."""
    locale = QLocale()
    number = format_number(value, decimals)
    if signed and value > 0:
        number = locale.positiveSign() + number
    space = " " if locale.language() in _SPACED_PERCENT else ""
    return f"{number}{space}{locale.percent()}"


def format_datetime(moment: datetime, seconds: bool = False) -> str:
    """A local date and time in the locale's short format (``"12/2/26, 4:21 AM"``,
    ``"2026-12-02 04:21"``); a naive ``moment`` is taken as local time."""
    local = moment.astimezone() if moment.tzinfo is not None else moment
    text = local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
    if QLocale().language() != QLocale.Language.English:
        return text  # Swedish writes dates the ISO way; so does the C locale (tests, servers)
    fmt = QLocale().dateTimeFormat(QLocale.FormatType.ShortFormat)
    if seconds and ":ss" not in fmt:
        fmt = fmt.replace(":mm", ":mm:ss")
    naive = local.replace(tzinfo=None)
    shown = QDateTime(naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second)
    return QLocale().toString(shown, fmt)
