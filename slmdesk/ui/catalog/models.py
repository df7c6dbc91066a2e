"""The Catalog's item models: curated model x quantization rows (and their filter), recommendations,
Hub search results (paged with ``canFetchMore``/``fetchMore``) and a repository's items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from slmdesk.core.fit import FitEstimate, Verdict
from slmdesk.hub.catalog import CatalogModel, CatalogQuant, QuantAssessment
from slmdesk.hub.recommend import DEFAULT_MIN_TG_TPS, PPL_INCREASE, Recommendation
from slmdesk.hub.repo import RepoItem
from slmdesk.hub.search import HubModel
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number, format_params
from slmdesk.ui.verdicts import verdict_colour, verdict_text
from slmdesk.ui.widgets.table_model import ColumnTableModel

SortRole = Qt.ItemDataRole.UserRole + 1
"""Python values to sort by (sizes as ints: files exceed 2**31 bytes)."""
RowRole = Qt.ItemDataRole.UserRole + 2
"""The row's domain object (a :class:`CuratedRow`, a Recommendation, a HubModel, a RepoItem)."""

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)




_TIER_TEXTS = {
    "micro": QT_TRANSLATE_NOOP("CatalogTier", "micro"),
    "small": QT_TRANSLATE_NOOP("CatalogTier", "small"),
    "medium": QT_TRANSLATE_NOOP("CatalogTier", "medium"),
}
_TASK_TEXTS = {
    "chat": QT_TRANSLATE_NOOP("CatalogTask", "chat"),
    "code": QT_TRANSLATE_NOOP("CatalogTask", "code"),
    "fine-tuning": QT_TRANSLATE_NOOP("CatalogTask", "fine-tuning"),
    "math": QT_TRANSLATE_NOOP("CatalogTask", "math"),
    "multilingual": QT_TRANSLATE_NOOP("CatalogTask", "multilingual"),
    "reasoning": QT_TRANSLATE_NOOP("CatalogTask", "reasoning"),
    "text-generation": QT_TRANSLATE_NOOP("CatalogTask", "text-generation"),
    "tools": QT_TRANSLATE_NOOP("CatalogTask", "tools"),
    "vision": QT_TRANSLATE_NOOP("CatalogTask", "vision"),
}
"""The catalog's task tags in words; a tag not listed here is shown as it is."""


def tier_text(tier: str) -> str:
    """A catalog tier ("micro", "small", "medium") in the interface language."""
    return QCoreApplication.translate("CatalogTier", _TIER_TEXTS[tier]) if tier in _TIER_TEXTS else tier


def task_text(task: str) -> str:
    """A catalog task tag ("vision", "tools"...) in the interface language."""
    return QCoreApplication.translate("CatalogTask", _TASK_TEXTS[task]) if task in _TASK_TEXTS else task


def format_ctx(n_ctx: int | None) -> str:
    """``32768 -> "32,768"`` (in the interface's locale); "none" when not even 256 tokens fit."""
    if n_ctx is None:
        return QCoreApplication.translate("CatalogFormat", "none", "no context length fits")
    return format_number(n_ctx)


def format_tps(tps: float | None) -> str:
    """A generation-speed bound: ``"≤ 41 tok/s"``; "" without a bandwidth figure."""
    if tps is None:
        return ""
    value = format_number(tps, 0) if tps >= 10 else format_number(tps, 1)
    return QCoreApplication.translate("CatalogFormat", "≤ {tps} tok/s").format(tps=value)


def why_text(item: Recommendation, profile_name: str, min_tg_tps: float = DEFAULT_MIN_TG_TPS) -> str:
    """Why ``item`` was picked, for people, in the interface language (the same facts as
    :func:`slmdesk.hub.recommend._why`, which the CLI prints in English)."""
    row = item.assessment
    values = {"family": item.family, "profile": profile_name, "n_ctx": format_number(row.n_ctx),
              "size": format_bytes(row.size_bytes), "verdict": verdict_text(row.verdict, sentence=True)}
    if row.verdict is Verdict.TIGHT:
        fit = QCoreApplication.translate(
            "CatalogWhy", "Largest {family} that fits {profile}, but tight, at n_ctx {n_ctx} ({size}, {verdict})")
    else:
        fit = QCoreApplication.translate(
            "CatalogWhy", "Largest {family} that fits {profile} at n_ctx {n_ctx} ({size}, {verdict})")
    if row.quant.name.upper() in PPL_INCREASE:
        quality = QCoreApplication.translate("CatalogWhy", "{quant}: +{ppl} perplexity (llama.cpp, Llama-3-8B)")
    else:
        quality = QCoreApplication.translate("CatalogWhy", "{quant}: quality not published")
    choice = QCoreApplication.translate("CatalogWhy", "the best quality above {min_tps} tokens/s")
    parts = {"fit": fit.format(**values),
             "quality": quality.format(quant=row.quant.name, ppl=format_number(item.ppl_increase, 3)),
             "choice": choice.format(min_tps=format_number(min_tg_tps, 0))}
    if row.tg_bound_tps is None:
        return QCoreApplication.translate("CatalogWhy", "{fit}; {quality}, {choice}").format(**parts)
    return QCoreApplication.translate("CatalogWhy", "{fit}; {quality}, {choice}, up to {tps} tokens/s").format(
        tps=format_number(row.tg_bound_tps, 0), **parts)


@dataclass(frozen=True)
class CuratedRow:
    """One model x quantization of the curated catalog, with its assessment once computed and
    whether the inventory holds it."""

    model: CatalogModel
    quant: CatalogQuant
    assessment: QuantAssessment | None = None
    owned: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """(model id, quantization name)."""
        return self.model.id, self.quant.name

    @property
    def file_names(self) -> tuple[str, ...]:
        """The quantization's file names (the last path part)."""
        return tuple(f.path.rsplit("/", 1)[-1] for f in self.quant.files)


class CuratedModel(ColumnTableModel):
    """One row per model x quantization, in catalog order; verdicts arrive later
    (:meth:`set_assessments`, only the fit columns are signalled)."""

    TRANSLATION_CONTEXT = "CuratedModel"
    COLUMNS = (QT_TRANSLATE_NOOP("CuratedModel", "Model"), QT_TRANSLATE_NOOP("CuratedModel", "Quantization"),
               QT_TRANSLATE_NOOP("CuratedModel", "Size"), QT_TRANSLATE_NOOP("CuratedModel", "Fit"),
               QT_TRANSLATE_NOOP("CuratedModel", "Max context"), QT_TRANSLATE_NOOP("CuratedModel", "Speed bound"),
               QT_TRANSLATE_NOOP("CuratedModel", "Tier"), QT_TRANSLATE_NOOP("CuratedModel", "Params"),
               QT_TRANSLATE_NOOP("CuratedModel", "Publisher"), QT_TRANSLATE_NOOP("CuratedModel", "License"),
               QT_TRANSLATE_NOOP("CuratedModel", "Tasks"), QT_TRANSLATE_NOOP("CuratedModel", "In library"))
    (COL_NAME, COL_QUANT, COL_SIZE, COL_FIT, COL_MAX_CTX, COL_TG, COL_TIER, COL_PARAMS,
     COL_PUBLISHER, COL_LICENSE, COL_TASKS, COL_OWNED) = range(12)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_SIZE: QT_TRANSLATE_NOOP(
            "CuratedModel", "Download size of every file of the quantization (estimated sizes end in ~)"),
        COL_FIT: QT_TRANSLATE_NOOP("CuratedModel", "The fit verdict on the chosen profile at the wanted context"),
        COL_MAX_CTX: QT_TRANSLATE_NOOP("CuratedModel", "The largest context (tokens) that fits on the chosen profile"),
        COL_TG: QT_TRANSLATE_NOOP(
            "CuratedModel", "Upper bound on generation speed from memory bandwidth (real speeds are lower)"),
        COL_PARAMS: QT_TRANSLATE_NOOP("CuratedModel", "Parameters: the model's number of weights"),
        COL_OWNED: QT_TRANSLATE_NOOP("CuratedModel", "Whether the Library already holds this quantization"),
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CuratedRow] = []
        self._row_of: dict[tuple[str, str], int] = {}

    def set_catalog(self, models: Iterable[CatalogModel]) -> None:
        """Replace every row by the models' quantizations (assessments are cleared)."""
        self.beginResetModel()
        self._rows = [CuratedRow(model, quant) for model in models for quant in model.quants]
        self._row_of = {row.key: index for index, row in enumerate(self._rows)}
        self.endResetModel()

    def set_assessments(self, assessments: Iterable[QuantAssessment]) -> None:
        """Show the assessments (of one profile and context); rows without one keep theirs."""
        for item in assessments:
            index = self._row_of.get((item.model.id, item.quant.name))
            if index is not None:
                row = self._rows[index]
                self._rows[index] = CuratedRow(row.model, row.quant, item, row.owned)
        self._changed(self.COL_SIZE, self.COL_TG)

    def set_owned(self, owned: set[tuple[str, str]]) -> None:
        """Mark the rows whose (model id, quantization) the inventory holds."""
        for index, row in enumerate(self._rows):
            if (row.key in owned) != row.owned:
                self._rows[index] = CuratedRow(row.model, row.quant, row.assessment, row.key in owned)
        self._changed(self.COL_OWNED, self.COL_OWNED)

    def _changed(self, first: int, last: int) -> None:
        if self._rows:
            self.dataChanged.emit(self.index(0, first), self.index(len(self._rows) - 1, last))

    def rows(self) -> list[CuratedRow]:
        """Every row, in catalog order."""
        return list(self._rows)

    def row(self, row: int) -> CuratedRow:
        """The row at source row ``row``."""
        return self._rows[row]

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == SortRole:
            return self.sort_key(row, column)
        if role == RowRole:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
                self.COL_SIZE, self.COL_MAX_CTX, self.COL_TG, self.COL_PARAMS):
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COL_FIT and row.assessment is not None:
            return verdict_colour(row.assessment.verdict)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltip(row, column)
        return None

    def display(self, row: CuratedRow, column: int) -> str:
        """The text of one cell."""
        assessment = row.assessment
        if column == self.COL_NAME:
            return row.model.name
        if column == self.COL_QUANT:
            if len(row.quant.files) > 1:
                return self.tr("{quant} (%n parts)", "", len(row.quant.files)).format(quant=row.quant.name)
            return row.quant.name
        if column == self.COL_SIZE:
            return format_bytes(row.quant.size_bytes) + ("~" if row.quant.size_source == "estimated" else "")
        if column == self.COL_FIT:
            return verdict_text(assessment.verdict, sentence=True) if assessment else "…"
        if column == self.COL_MAX_CTX:
            return format_ctx(assessment.max_ctx) if assessment else ""
        if column == self.COL_TG:
            return format_tps(assessment.tg_bound_tps) if assessment else ""
        if column == self.COL_TIER:
            return tier_text(row.model.tier)
        if column == self.COL_PARAMS:
            return format_params(row.model.n_params)
        if column == self.COL_PUBLISHER:
            return row.model.publisher
        if column == self.COL_LICENSE:
            return row.model.license
        if column == self.COL_TASKS:
            return ", ".join(task_text(task) for task in row.model.tasks)
        if column == self.COL_OWNED:
            return self.tr("✓ in library") if row.owned else ""
        return ""

    def tooltip(self, row: CuratedRow, column: int) -> str | None:
        """Full text where a cell may be elided, and the figures behind the verdict."""
        assessment = row.assessment
        if column == self.COL_FIT and assessment is not None:
            values = {"verdict": verdict_text(assessment.verdict, sentence=True),
                      "n_ctx": format_number(assessment.n_ctx), "ram": format_bytes(assessment.total_host_bytes)}
            if not assessment.gpu_layers:
                return self.tr("{verdict} at n_ctx {n_ctx}: {ram} RAM").format(**values)
            return self.tr("{verdict} at n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n layer(s))", "",
                           assessment.gpu_layers).format(gpu=format_bytes(assessment.total_device_bytes), **values)
        if column == self.COL_SIZE:
            return {"hub": self.tr("Size from the Hub"), "file": self.tr("Size measured on a local copy"),
                    "estimated": self.tr("Size estimated from the architecture")}.get(row.quant.size_source)
        if column == self.COL_NAME:
            repos = ", ".join(row.model.gguf_repos)
            tasks = ", ".join(task_text(task) for task in row.model.tasks)
            facts = " · ".join(fact for fact in (row.model.publisher, row.model.license, tasks) if fact)
            return f"{row.model.name} ({row.model.family})\n{facts}\n{repos}\n{row.model.notes}".strip()
        if column == self.COL_QUANT:
            return "\n".join(f"{f.repo_id}/{f.path}" for f in row.quant.files)
        text = self.display(row, column)
        return text or None

    def sort_key(self, row: CuratedRow, column: int) -> object:
        """Numbers as numbers (sizes as Python ints), verdicts best first, text case-insensitively."""
        assessment = row.assessment
        if column == self.COL_SIZE:
            return row.quant.size_bytes
        if column == self.COL_PARAMS:
            return row.model.n_params
        if column == self.COL_MAX_CTX:
            return (assessment.max_ctx or 0) if assessment else -1
        if column == self.COL_TG:
            return (assessment.tg_bound_tps or 0.0) if assessment else -1.0
        if column == self.COL_FIT:
            return list(Verdict).index(assessment.verdict) if assessment else len(Verdict)
        if column == self.COL_TIER:
            return ("micro", "small", "medium").index(row.model.tier)
        return self.display(row, column).lower()


ANY = ""
"""A facet set to this accepts every row."""


class CuratedFilter(QSortFilterProxyModel):
    """The curated rows a person asked for: tier, publisher, license, task, "fits", and text (in
    the name, family, publisher, quantization and repositories)."""

    def __init__(self, source: CuratedModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SortRole)
        self.tier = ANY
        self.publisher = ANY
        self.license = ANY
        self.task = ANY
        self.fits_only = False
        self.text = ""
        source.dataChanged.connect(self._on_source_changed)

    def set_filter(self, **values: Any) -> None:
        """Set any of ``tier``, ``publisher``, ``license``, ``task``, ``fits_only``, ``text``."""
        self.beginFilterChange()
        for key, value in values.items():
            if not hasattr(self, key):
                raise AttributeError(key)
            setattr(self, key, value.strip().casefold() if key == "text" else value)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _on_source_changed(self) -> None:
        if self.fits_only:  # verdicts arrived: the "fits" facet decides anew
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        source = self.sourceModel()
        assert isinstance(source, CuratedModel)
        row = source.row(source_row)
        model = row.model
        if self.tier and model.tier != self.tier:
            return False
        if self.publisher and model.publisher != self.publisher:
            return False
        if self.license and model.license != self.license:
            return False
        if self.task and self.task not in model.tasks:
            return False
        if self.fits_only and (row.assessment is None or not row.assessment.fits):
            return False
        if self.text:
            haystack = " ".join((model.name, model.family, model.publisher, row.quant.name, model.id,
                                 *model.gguf_repos)).casefold()
            return all(word in haystack for word in self.text.split())
        return True

    def row(self, row: int) -> CuratedRow:
        """The curated row shown in ``row``."""
        source = self.sourceModel()
        assert isinstance(source, CuratedModel)
        return source.row(self.mapToSource(self.index(row, 0)).row())


class RecommendModel(ColumnTableModel):
    """One row per recommended quantization, ranked (a recommendation carries its assessment and
    the "why")."""

    TRANSLATION_CONTEXT = "RecommendModel"
    COLUMNS = (QT_TRANSLATE_NOOP("RecommendModel", "#"), QT_TRANSLATE_NOOP("RecommendModel", "Model"),
               QT_TRANSLATE_NOOP("RecommendModel", "Quantization"), QT_TRANSLATE_NOOP("RecommendModel", "Size"),
               QT_TRANSLATE_NOOP("RecommendModel", "Fit"), QT_TRANSLATE_NOOP("RecommendModel", "Max context"),
               QT_TRANSLATE_NOOP("RecommendModel", "Speed bound"), QT_TRANSLATE_NOOP("RecommendModel", "Why"))
    COL_RANK, COL_NAME, COL_QUANT, COL_SIZE, COL_FIT, COL_MAX_CTX, COL_TG, COL_WHY = range(8)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_RANK: QT_TRANSLATE_NOOP("RecommendModel", "Rank: 1 is the best recommendation"),
        COL_MAX_CTX: QT_TRANSLATE_NOOP("RecommendModel",
                                       "The largest context (tokens) that fits on the chosen profile"),
        COL_TG: QT_TRANSLATE_NOOP(
            "RecommendModel", "Upper bound on generation speed from memory bandwidth (real speeds are lower)"),
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Recommendation] = []
        self._whys: list[str] = []

    def set_recommendations(self, recommendations: Sequence[Recommendation], profile_name: str = "") -> None:
        """Replace the rows (recommendations in rank order, computed for ``profile_name``)."""
        self.beginResetModel()
        self._rows = list(recommendations)
        self._whys = [why_text(item, profile_name) for item in self._rows]
        self.endResetModel()

    def why(self, row: int) -> str:
        """Why the recommendation in ``row`` was picked, in the interface language."""
        return self._whys[row]

    def recommendation(self, row: int) -> Recommendation:
        """The recommendation in ``row``."""
        return self._rows[row]

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item, column = self._rows[index.row()], index.column()
        assessment = item.assessment
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = {
                self.COL_RANK: format_number(index.row() + 1),
                self.COL_NAME: assessment.model.name,
                self.COL_QUANT: assessment.quant.name,
                self.COL_SIZE: format_bytes(assessment.size_bytes),
                self.COL_FIT: verdict_text(assessment.verdict, sentence=True),
                self.COL_MAX_CTX: format_ctx(assessment.max_ctx),
                self.COL_TG: format_tps(assessment.tg_bound_tps),
                self.COL_WHY: self._whys[index.row()],
            }
            return values.get(column, "")
        if role == SortRole:
            return index.row() if column == self.COL_RANK else assessment.size_bytes
        if role == RowRole:
            return item
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COL_FIT:
            return verdict_colour(assessment.verdict)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
                self.COL_RANK, self.COL_SIZE, self.COL_MAX_CTX, self.COL_TG):
            return _RIGHT
        return None


class HubResultsModel(ColumnTableModel):
    """Hub search results, page after page: when the view scrolls to the end, ``canFetchMore``
    says whether the Hub has more and ``fetchMore`` asks for it (``more_requested``)."""

    TRANSLATION_CONTEXT = "HubResultsModel"
    COLUMNS = (QT_TRANSLATE_NOOP("HubResultsModel", "Repository"), QT_TRANSLATE_NOOP("HubResultsModel", "Downloads"),
               QT_TRANSLATE_NOOP("HubResultsModel", "Likes"), QT_TRANSLATE_NOOP("HubResultsModel", "Updated"),
               QT_TRANSLATE_NOOP("HubResultsModel", "Library"), QT_TRANSLATE_NOOP("HubResultsModel", "Gated"))
    COL_REPO, COL_DOWNLOADS, COL_LIKES, COL_UPDATED, COL_LIBRARY, COL_GATED = range(6)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_DOWNLOADS: QT_TRANSLATE_NOOP("HubResultsModel", "Downloads in the last 30 days (the Hub's count)"),
        COL_LIBRARY: QT_TRANSLATE_NOOP("HubResultsModel", "The library the repository is for (gguf, transformers…)"),
        COL_GATED: QT_TRANSLATE_NOOP("HubResultsModel", "Access must be requested on the Hub first"),
    }

    more_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[HubModel] = []
        self._more = False
        self._loading = False

    def reset(self) -> None:
        """Empty the table (a new query)."""
        self.beginResetModel()
        self._rows = []
        self._more = False
        self._loading = False
        self.endResetModel()

    def append_page(self, models: Sequence[HubModel], has_more: bool) -> None:
        """Add one page of HubModels; ``has_more`` says whether another page exists."""
        self._loading = False
        self._more = has_more
        if models:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(models) - 1)
            self._rows.extend(models)
            self.endInsertRows()

    def set_loading(self, loading: bool) -> None:
        """True while a page is being fetched (no second ``more_requested`` meanwhile)."""
        self._loading = loading

    def hub_model(self, row: int) -> HubModel:
        """The HubModel in ``row``."""
        return self._rows[row]

    def row_count(self) -> int:
        return len(self._rows)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._more and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if self.canFetchMore(parent):
            self._loading = True
            self.more_requested.emit()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item, column = self._rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.COL_REPO:
                return item.repo_id
            if column == self.COL_DOWNLOADS:
                return "" if item.downloads is None else format_number(item.downloads)
            if column == self.COL_LIKES:
                return "" if item.likes is None else format_number(item.likes)
            if column == self.COL_UPDATED:
                return (item.last_modified or "")[:10]
            if column == self.COL_LIBRARY:
                return item.library or ""
            if column == self.COL_GATED:
                return self.tr("gated") if item.gated else ""
            return ""
        if role == SortRole:
            if column == self.COL_DOWNLOADS:
                return item.downloads or 0
            if column == self.COL_LIKES:
                return item.likes or 0
            return str(self.data(index)).lower()
        if role == RowRole:
            return item
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.COL_DOWNLOADS, self.COL_LIKES):
            return _RIGHT
        return None


class RepoItemsModel(ColumnTableModel):
    """A repository's loadable items (a GGUF file, a split set as one item, an mmproj, an ONNX
    folder), grouped by quantization, with the fit of the selected one once its header is read."""

    TRANSLATION_CONTEXT = "RepoItemsModel"
    COLUMNS = (QT_TRANSLATE_NOOP("RepoItemsModel", "Item"), QT_TRANSLATE_NOOP("RepoItemsModel", "Kind"),
               QT_TRANSLATE_NOOP("RepoItemsModel", "Size"), QT_TRANSLATE_NOOP("RepoItemsModel", "SHA-256"),
               QT_TRANSLATE_NOOP("RepoItemsModel", "Fit"), QT_TRANSLATE_NOOP("RepoItemsModel", "Max context"),
               QT_TRANSLATE_NOOP("RepoItemsModel", "Speed bound"))
    COL_LABEL, COL_KIND, COL_SIZE, COL_SHA, COL_FIT, COL_MAX_CTX, COL_TG = range(7)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_FIT: QT_TRANSLATE_NOOP("RepoItemsModel", "The fit on the chosen profile, read from the file's header"),
        COL_MAX_CTX: QT_TRANSLATE_NOOP("RepoItemsModel",
                                       "The largest context (tokens) that fits on the chosen profile"),
        COL_TG: QT_TRANSLATE_NOOP(
            "RepoItemsModel", "Upper bound on generation speed from memory bandwidth (real speeds are lower)"),
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[RepoItem] = []
        self._fits: dict[int, FitEstimate | str] = {}

    def set_items(self, items: Sequence[RepoItem]) -> None:
        """Replace the rows by a listing's items, grouped by quantization (label order)."""
        self.beginResetModel()
        self._items = sorted(items, key=lambda item: (item_kind(item) != "GGUF", item.label.casefold()))
        self._fits = {}
        self.endResetModel()

    def set_fit(self, row: int, result: FitEstimate | str) -> None:
        """Show a FitEstimate (or an error text) for the item in ``row``."""
        self._fits[row] = result
        self.dataChanged.emit(self.index(row, self.COL_FIT), self.index(row, self.COL_TG))

    def fit(self, row: int) -> FitEstimate | str | None:
        """The fit shown for ``row``: a FitEstimate, an error text, or None."""
        return self._fits.get(row)

    def item(self, row: int) -> RepoItem:
        """The RepoItem in ``row``."""
        return self._items[row]

    def row_count(self) -> int:
        return len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item, column = self._items[index.row()], index.column()
        fit = self._fits.get(index.row())
        estimate = None if fit is None or isinstance(fit, str) else fit
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.COL_LABEL:
                return item.label
            if column == self.COL_KIND:
                if item.is_split:
                    return self.tr("{kind}, %n parts", "", len(item.files)).format(kind=item_kind(item))
                return item_kind(item)
            if column == self.COL_SIZE:
                return format_bytes(item.size_bytes)
            if column == self.COL_SHA:
                sha = item_sha256(item)
                return sha[:12] if sha else ""
            if column == self.COL_FIT:
                if isinstance(fit, str):
                    return fit
                return verdict_text(estimate.verdict, sentence=True) if estimate else ""
            if column == self.COL_MAX_CTX:
                return format_ctx(estimate.max_ctx) if estimate else ""
            if column == self.COL_TG:
                return format_tps(estimate.tg_tokens_per_s_bound) if estimate else ""
            return ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_SHA:
                unknown = self.tr("unknown", "SHA-256 not known")
                return "\n".join(f"{f.path}: {f.sha256 or unknown}" for f in item.files)
            if column == self.COL_LABEL:
                lines = [f.path for f in item.files]
                if item.missing_parts:
                    lines.append(self.tr("Missing parts: {parts}").format(parts=", ".join(item.missing_parts)))
                if item.problem:
                    lines.append(item.problem)
                return "\n".join(lines)
            text = self.data(index)
            return text or None
        if role == SortRole:
            return item.size_bytes if column == self.COL_SIZE else str(self.data(index)).lower()
        if role == RowRole:
            return item
        if role == Qt.ItemDataRole.ForegroundRole and column == self.COL_FIT and estimate is not None:
            return verdict_colour(estimate.verdict)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.COL_SIZE, self.COL_MAX_CTX, self.COL_TG):
            return _RIGHT
        return None


_KIND_TEXT = {"gguf": "GGUF", "onnx": "ONNX", "mmproj": "mmproj", "safetensors": "safetensors"}


def item_kind(item: RepoItem) -> str:
    """"GGUF", "mmproj" (a vision/audio projector: not a model on its own), "ONNX", "safetensors"."""
    return _KIND_TEXT.get(item.kind, item.kind)


def item_sha256(item: RepoItem) -> str:
    """The SHA-256 of a single-file item (a split set's are in the tooltip), "" when unknown."""
    shas = [f.sha256 for f in item.files if f.sha256]
    return shas[0] if len(item.files) == 1 and shas else ""
