"""The Catalog's item models: curated model x quantization rows (and their filter), recommendations,
Hub search results (paged with ``canFetchMore``/``fetchMore``) and a repository's items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal

from slmdesk.core.fit import FitEstimate, Verdict
from slmdesk.core.units import format_bytes, format_params
from slmdesk.hub.catalog import CatalogModel, CatalogQuant, QuantAssessment
from slmdesk.hub.recommend import Recommendation
from slmdesk.hub.repo import RepoItem
from slmdesk.hub.search import HubModel
from slmdesk.ui.library.fit_panel import VERDICT_LEVELS, sentence_case
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

SortRole = Qt.ItemDataRole.UserRole + 1
"""Python values to sort by (sizes as ints: files exceed 2**31 bytes)."""
RowRole = Qt.ItemDataRole.UserRole + 2
"""The row's domain object (a :class:`CuratedRow`, a Recommendation, a HubModel, a RepoItem)."""

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def verdict_text(verdict: Verdict | None) -> str:
    """The verdict as the Library writes it ("Fits fully on GPU", "Will not fit"), "" for none."""
    return sentence_case(verdict.label) if verdict is not None else ""


def verdict_colour(verdict: Verdict | None) -> Any:
    """The Library's colour of a verdict (palette ``verdict.<level>``)."""
    return colour(f"verdict.{VERDICT_LEVELS[verdict]}" if verdict is not None else "verdict.unknown")


def format_ctx(n_ctx: int | None) -> str:
    """``32768 -> "32,768"``; "none" when not even 256 tokens fit."""
    return "none" if n_ctx is None else f"{n_ctx:,}"


def format_tps(tps: float | None) -> str:
    """A generation-speed bound: ``"≤ 41 tok/s"``; "" without a bandwidth figure."""
    if tps is None:
        return ""
    return f"≤ {tps:,.0f} tok/s" if tps >= 10 else f"≤ {tps:.1f} tok/s"


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

    COLUMNS = ("Model", "Quantization", "Size", "Fit", "Max context", "Speed bound", "Tier", "Params",
               "Publisher", "License", "Tasks", "In library")
    (COL_NAME, COL_QUANT, COL_SIZE, COL_FIT, COL_MAX_CTX, COL_TG, COL_TIER, COL_PARAMS,
     COL_PUBLISHER, COL_LICENSE, COL_TASKS, COL_OWNED) = range(12)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_SIZE: "Download size of every file of the quantization (estimated sizes end in ~)",
        COL_FIT: "The fit verdict on the chosen profile at the wanted context",
        COL_MAX_CTX: "The largest context (tokens) that fits on the chosen profile",
        COL_TG: "Upper bound on generation speed from memory bandwidth (real speeds are lower)",
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
            return row.quant.name + (f" ({len(row.quant.files)} parts)" if len(row.quant.files) > 1 else "")
        if column == self.COL_SIZE:
            return format_bytes(row.quant.size_bytes) + ("~" if row.quant.size_source == "estimated" else "")
        if column == self.COL_FIT:
            return verdict_text(assessment.verdict) if assessment else "…"
        if column == self.COL_MAX_CTX:
            return format_ctx(assessment.max_ctx) if assessment else ""
        if column == self.COL_TG:
            return format_tps(assessment.tg_bound_tps) if assessment else ""
        if column == self.COL_TIER:
            return row.model.tier
        if column == self.COL_PARAMS:
            return format_params(row.model.n_params)
        if column == self.COL_PUBLISHER:
            return row.model.publisher
        if column == self.COL_LICENSE:
            return row.model.license
        if column == self.COL_TASKS:
            return ", ".join(row.model.tasks)
        if column == self.COL_OWNED:
            return "✓ in library" if row.owned else ""
        return ""

    def tooltip(self, row: CuratedRow, column: int) -> str | None:
        """Full text where a cell may be elided, and the figures behind the verdict."""
        assessment = row.assessment
        if column == self.COL_FIT and assessment is not None:
            text = (f"{verdict_text(assessment.verdict)} at n_ctx {assessment.n_ctx:,}: "
                    f"{format_bytes(assessment.total_host_bytes)} RAM")
            if assessment.gpu_layers:
                text += f", {format_bytes(assessment.total_device_bytes)} GPU ({assessment.gpu_layers} layers)"
            return text
        if column == self.COL_SIZE:
            return {"hub": "Size from the Hub", "file": "Size measured on a local copy",
                    "estimated": "Size estimated from the architecture"}.get(row.quant.size_source)
        if column == self.COL_NAME:
            repos = ", ".join(row.model.gguf_repos)
            return f"{row.model.name} ({row.model.family})\n{repos}\n{row.model.notes}".strip()
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

    COLUMNS = ("#", "Model", "Quantization", "Size", "Fit", "Max context", "Speed bound", "Why")
    COL_RANK, COL_NAME, COL_QUANT, COL_SIZE, COL_FIT, COL_MAX_CTX, COL_TG, COL_WHY = range(8)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Recommendation] = []

    def set_recommendations(self, recommendations: Sequence[Recommendation]) -> None:
        """Replace the rows (recommendations in rank order)."""
        self.beginResetModel()
        self._rows = list(recommendations)
        self.endResetModel()

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
                self.COL_RANK: str(index.row() + 1),
                self.COL_NAME: assessment.model.name,
                self.COL_QUANT: assessment.quant.name,
                self.COL_SIZE: format_bytes(assessment.size_bytes),
                self.COL_FIT: verdict_text(assessment.verdict),
                self.COL_MAX_CTX: format_ctx(assessment.max_ctx),
                self.COL_TG: format_tps(assessment.tg_bound_tps),
                self.COL_WHY: str(item.why),
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

    COLUMNS = ("Repository", "Downloads", "Likes", "Updated", "Library", "Gated")
    COL_REPO, COL_DOWNLOADS, COL_LIKES, COL_UPDATED, COL_LIBRARY, COL_GATED = range(6)

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
                return "" if item.downloads is None else f"{item.downloads:,}"
            if column == self.COL_LIKES:
                return "" if item.likes is None else f"{item.likes:,}"
            if column == self.COL_UPDATED:
                return (item.last_modified or "")[:10]
            if column == self.COL_LIBRARY:
                return item.library or ""
            if column == self.COL_GATED:
                return "gated" if item.gated else ""
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

    COLUMNS = ("Item", "Kind", "Size", "SHA-256", "Fit", "Max context", "Speed bound")
    COL_LABEL, COL_KIND, COL_SIZE, COL_SHA, COL_FIT, COL_MAX_CTX, COL_TG = range(7)

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
                return item_kind(item) + (f", {len(item.files)} parts" if item.is_split else "")
            if column == self.COL_SIZE:
                return format_bytes(item.size_bytes)
            if column == self.COL_SHA:
                sha = item_sha256(item)
                return sha[:12] if sha else ""
            if column == self.COL_FIT:
                return fit if isinstance(fit, str) else verdict_text(estimate.verdict) if estimate else ""
            if column == self.COL_MAX_CTX:
                return format_ctx(estimate.max_ctx) if estimate else ""
            if column == self.COL_TG:
                return format_tps(estimate.tg_tokens_per_s_bound) if estimate else ""
            return ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_SHA:
                return "\n".join(f"{f.path}: {f.sha256 or 'unknown'}" for f in item.files)
            if column == self.COL_LABEL:
                extra = f"\nMissing parts: {', '.join(item.missing_parts)}" if item.missing_parts else ""
                problem = f"\n{item.problem}" if item.problem else ""
                return "\n".join(f.path for f in item.files) + extra + problem
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
