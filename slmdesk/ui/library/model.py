"""The Qt item models of the Library: every artifact in the inventory, and its filtered view."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from slmdesk.core.units import format_bytes, format_params
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.palette import colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

SortRole = Qt.ItemDataRole.UserRole + 1
ArtifactIdRole = Qt.ItemDataRole.UserRole + 2
RecordRole = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Badge:
    """A fit verdict as the Library shows it: text (never colour alone) and a colour key
    (the estimate's own verdict is :class:`slmdesk.core.fit.Badge`).

    ``level`` is one of "good", "partial", "tight", "bad", "unknown" (palette role
    ``verdict.<level>``).
    """

    text: str
    level: str = "unknown"
    tooltip: str = ""


_SOURCE_TEXT = {
    "folder": "Folder",
    "hf_cache": "Hugging Face cache",
    "lmstudio": "LM Studio",
    "gpt4all": "GPT4All",
    "ollama": "Ollama",
    "user": "Added file",
    "starter": "Starter model",
}


def source_text(record: ArtifactRecord) -> str:
    """A short provenance label ("Ollama smollm2:135m", "Hugging Face cache org/name")."""
    base = _SOURCE_TEXT.get(record.source_kind, record.source_kind)
    detail = record.source_detail
    extra = detail.get("name") or detail.get("repo_id") or ""
    if not extra and record.source_kind == "lmstudio":
        extra = "/".join(str(detail[k]) for k in ("publisher", "repo") if detail.get(k))
    return f"{base} {extra}".strip()


class ArtifactTableModel(ColumnTableModel):
    """Artifact records with their own sorting, text filter and facets.

    Sorting and filtering happen here, in one Python pass over plain lists, instead of in a
    QSortFilterProxyModel: the proxy calls ``data()``/``filterAcceptsRow()`` across the
    Python boundary once per row and comparison, which measured 2.1 s to sort and up to
    2.6 s per keystroke on 10,000 rows (benchmarks/library_pane_speed.py, 2 cores); this
    model does both in a few milliseconds. Sizes sort as Python ints (files exceed 2**31 bytes).
    """

    COLUMNS = ("Name", "Fit here", "Parameters", "Quantization", "Size", "Context",
               "Architecture", "Format", "Source", "Status", "Added")
    (COL_NAME, COL_FIT, COL_PARAMS, COL_QUANT, COL_SIZE, COL_CTX,
     COL_ARCH, COL_FORMAT, COL_SOURCE, COL_STATUS, COL_ADDED) = range(11)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list[ArtifactRecord] = []
        self._haystacks: list[str] = []
        self._visible: list[int] = []  # indices into _records, in display order
        self._verdicts: dict[int, Badge] = {}
        self._words: list[str] = []
        self._facets: dict[int, str] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._key_cache: dict[int, list[object]] = {}  # column -> sort key per record

    # -- content ---------------------------------------------------------------------------
    def set_records(self, records: Sequence[ArtifactRecord]) -> None:
        """Replace every record (after a scan or at start-up), keeping filter and sort."""
        self.beginResetModel()
        self._records = list(records)
        self._haystacks = [_haystack(record) for record in self._records]
        self._key_cache.clear()
        self._visible = self._compute_visible()
        self.endResetModel()

    def set_verdicts(self, verdicts: dict[int, Badge]) -> None:
        """Show fit verdicts (artifact id -> verdict); only the Fit column is signalled."""
        self._verdicts = dict(verdicts)
        self._key_cache.pop(self.COL_FIT, None)
        if self._visible:
            self.dataChanged.emit(self.index(0, self.COL_FIT), self.index(len(self._visible) - 1, self.COL_FIT))

    def set_verdict(self, artifact_id: int, verdict: Badge) -> None:
        """Show one artifact's verdict."""
        self._verdicts[artifact_id] = verdict
        self._key_cache.pop(self.COL_FIT, None)
        row = self.row_of(artifact_id)
        if row is not None:
            index = self.index(row, self.COL_FIT)
            self.dataChanged.emit(index, index)

    def verdict(self, artifact_id: int) -> Badge | None:
        """The verdict shown for an artifact, if any."""
        return self._verdicts.get(artifact_id)

    def all_records(self) -> list[ArtifactRecord]:
        """Every record, filtered out or not."""
        return list(self._records)

    def record(self, row: int) -> ArtifactRecord:
        """The record shown in ``row``."""
        return self._records[self._visible[row]]

    def row_of(self, artifact_id: int) -> int | None:
        """The row showing ``artifact_id``, or None when unknown or filtered out."""
        for row, index in enumerate(self._visible):
            if self._records[index].id == artifact_id:
                return row
        return None

    def facet_values(self, column: int) -> list[str]:
        """Distinct display values of a column over all records, sorted (facet combo boxes)."""
        return sorted({self._display(record, column) for record in self._records} - {""})

    # -- filtering and sorting ---------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """Keep rows whose name, file, architecture, quantization, format or source contain
        every word of ``text`` (case-insensitive)."""
        words = text.lower().split()
        if words == self._words:
            return
        # Typing narrows: when every old word is still a substring of a new one, only the
        # rows on screen can still match (keeps a keystroke on 10,000 rows in milliseconds).
        narrowing = len(words) >= len(self._words) and all(
            old in new for old, new in zip(self._words, words)
        )
        self._words = words
        self.beginResetModel()
        self._visible = (
            self._compute_visible(within=self._visible) if narrowing else self._compute_visible()
        )
        self.endResetModel()

    def set_facet(self, column: int, value: str | None) -> None:
        """Keep rows whose ``column`` shows exactly ``value``; None or '' clears the facet."""
        if value:
            self._facets[column] = value
        else:
            self._facets.pop(column, None)
        self._refilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the visible rows (called by the view's header)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = list(self._visible)
        self._visible = self._sorted(self._visible)
        position = {index: row for row, index in enumerate(self._visible)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [self.index(position[old[p.row()]], p.column()) if p.row() < len(old) else QModelIndex()
             for p in persistent],
        )
        self.layoutChanged.emit()

    def _refilter(self) -> None:
        self.beginResetModel()
        self._visible = self._compute_visible()
        self.endResetModel()

    def _compute_visible(self, within: list[int] | None = None) -> list[int]:
        candidates = range(len(self._records)) if within is None else within
        haystacks = self._haystacks
        visible = list(candidates)
        for word in self._words:
            visible = [index for index in visible if word in haystacks[index]]
        for column, value in self._facets.items():
            keys, wanted = self._keys(column), value.lower()
            visible = [index for index in visible if keys[index] == wanted]
        return visible if within is not None else self._sorted(visible)

    def _sorted(self, visible: list[int]) -> list[int]:
        if self._sort is None:
            return visible
        column, order = self._sort
        keys = self._keys(column)
        return sorted(visible, key=keys.__getitem__, reverse=order == Qt.SortOrder.DescendingOrder)

    def _keys(self, column: int) -> list[object]:
        keys = self._key_cache.get(column)
        if keys is None:
            keys = [self._sort_key(record, column) for record in self._records]
            self._key_cache[column] = keys
        return keys

    # -- Qt model API ----------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self._visible)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES or not index.isValid() or not 0 <= index.row() < len(self._visible):
            return None
        record = self._records[self._visible[index.row()]]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(record, column)
        if role == SortRole:
            return self._sort_key(record, column)
        if role == ArtifactIdRole:
            return record.id
        if role == RecordRole:
            return record
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
            self.COL_PARAMS, self.COL_SIZE, self.COL_CTX
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.COL_FIT:
                verdict = self._verdicts.get(record.id)
                return colour(f"verdict.{verdict.level}") if verdict else None
            if column == self.COL_STATUS and record.status != "ok":
                return colour("verdict.bad")
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_FIT and record.id in self._verdicts:
                return self._verdicts[record.id].tooltip or None
            if column == self.COL_STATUS and record.error:
                return record.error
            if column == self.COL_NAME:
                return str(record.path)
        return None

    def _display(self, record: ArtifactRecord, column: int) -> str:
        if column == self.COL_NAME:
            return record.display_name
        if column == self.COL_ARCH:
            return record.architecture or ""
        if column == self.COL_PARAMS:
            return format_params(record.n_params)
        if column == self.COL_QUANT:
            return record.quantization or ""
        if column == self.COL_FORMAT:
            return {"gguf": "GGUF", "onnx": "ONNX", "hf": "HF"}.get(record.format, record.format) + (
                " (split)" if record.split_count > 1 else ""
            )
        if column == self.COL_SIZE:
            return format_bytes(record.size_bytes)
        if column == self.COL_CTX:
            return f"{record.context_length:,}" if record.context_length else ""
        if column == self.COL_FIT:
            verdict = self._verdicts.get(record.id)
            return verdict.text if verdict else ""
        if column == self.COL_SOURCE:
            return source_text(record)
        if column == self.COL_STATUS:
            return record.status
        if column == self.COL_ADDED:
            return record.added_at.strftime("%Y-%m-%d %H:%M") if record.added_at else ""
        return ""

    def _sort_key(self, record: ArtifactRecord, column: int) -> object:
        if column == self.COL_PARAMS:
            return record.n_params or 0
        if column == self.COL_SIZE:
            return record.size_bytes  # Python int: compared exactly above 2**31
        if column == self.COL_CTX:
            return record.context_length or 0
        if column == self.COL_ADDED:
            return record.added_at.timestamp() if record.added_at else 0.0
        return self._display(record, column).lower()


_ROLES = frozenset({
    Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.TextAlignmentRole, SortRole, ArtifactIdRole, RecordRole,
})


def _haystack(record: ArtifactRecord) -> str:
    parts: Iterable[object] = (
        record.display_name, record.path.name, record.architecture, record.quantization,
        record.format, source_text(record), record.model_name,
    )
    return " ".join(str(part) for part in parts if part).lower()
