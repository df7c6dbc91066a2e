"""The Library's view of the artifacts: a fast text filter, facets and sorting over the shared
source model (:class:`slmdesk.ui.artifacts.ArtifactSourceModel`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Slot,
)

from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.artifacts import (
    ArtifactIdRole,
    ArtifactSourceModel,
    Badge,
    RecordRole,
    SortRole,
    source_text,
)

__all__ = ["ArtifactIdRole", "ArtifactTableModel", "Badge", "RecordRole", "SortRole", "source_text"]


class ArtifactTableModel(QAbstractProxyModel):
    """The Library's rows: the shared source model filtered by text and facets, and sorted.

    A proxy written for this table rather than a ``QSortFilterProxyModel``: that proxy calls
    ``data()``/``filterAcceptsRow()``/``lessThan()`` across the Python boundary once per row and
    comparison, which measured 2.1 s to sort and up to 2.6 s per keystroke on 10,000 rows
    (``benchmarks/library_pane_speed.py``, 2 cores). Here filtering and sorting are one Python
    pass over plain lists (a few milliseconds); Qt asks the proxy only for the cells on screen.
    Sizes sort as Python ints (files exceed 2**31 bytes).
    """

    COLUMNS = ArtifactSourceModel.COLUMNS
    (COL_NAME, COL_FIT, COL_PARAMS, COL_QUANT, COL_SIZE, COL_CTX,
     COL_ARCH, COL_FORMAT, COL_SOURCE, COL_STATUS, COL_ADDED) = range(11)

    def __init__(self, parent: QObject | None = None, source: ArtifactSourceModel | None = None) -> None:
        super().__init__(parent)
        self._haystacks: list[str] = []
        self._visible: list[int] = []  # source rows, in display order
        self._position: dict[int, int] = {}  # source row -> proxy row
        self._words: list[str] = []
        self._facets: dict[int, str] = {}
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._key_cache: dict[int, list[object]] = {}  # column -> sort key per source row
        self.setSourceModel(source or ArtifactSourceModel(parent=self))

    # -- the source ------------------------------------------------------------------------
    def setSourceModel(self, source: Any) -> None:
        assert isinstance(source, ArtifactSourceModel)
        super().setSourceModel(source)
        # The reset begins while the source still holds its old records, so that listeners
        # of modelAboutToBeReset (the pane remembering its selection) read rows that exist.
        source.modelAboutToBeReset.connect(self.beginResetModel)
        source.modelReset.connect(self._on_source_reset)
        source.dataChanged.connect(self._on_source_data_changed)
        self.beginResetModel()
        self._on_source_reset()

    def source(self) -> ArtifactSourceModel:
        """The shared source model."""
        model = self.sourceModel()
        assert isinstance(model, ArtifactSourceModel)
        return model

    @Slot()
    def _on_source_reset(self) -> None:
        """End the reset begun at the source's modelAboutToBeReset."""
        records = self.source().records()
        self._haystacks = [_haystack(record) for record in records]
        self._key_cache.clear()
        self._set_visible(self._compute_visible())
        self.endResetModel()

    @Slot(QModelIndex, QModelIndex, list)
    def _on_source_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int] | None = None) -> None:
        columns = range(top.column(), bottom.column() + 1)
        for column in columns:
            self._key_cache.pop(column, None)
        rows = [self._position[r] for r in range(top.row(), bottom.row() + 1) if r in self._position]
        if rows:
            self.dataChanged.emit(self.index(min(rows), top.column()), self.index(max(rows), bottom.column()),
                                  roles or [])

    # -- what the Library pane calls ---------------------------------------------------------
    def set_records(self, records: Iterable[ArtifactRecord]) -> None:
        """Replace every record of the source (tests and previews without an inventory)."""
        self.source().set_records(list(records))

    def set_verdicts(self, badges: dict[int, Badge]) -> None:
        """Show fit badges (artifact id -> badge)."""
        self.source().set_badges(badges)

    def set_verdict(self, artifact_id: int, badge: Badge) -> None:
        """Show one artifact's badge."""
        self.source().set_badge(artifact_id, badge)

    def verdict(self, artifact_id: int) -> Badge | None:
        """The badge shown for an artifact, if any."""
        return self.source().badge(artifact_id)

    def all_records(self) -> list[ArtifactRecord]:
        """Every record, filtered out or not."""
        return self.source().records()

    def record(self, row: int) -> ArtifactRecord:
        """The record shown in ``row``."""
        return self.source().record(self._visible[row])

    def row_of(self, artifact_id: int) -> int | None:
        """The row showing ``artifact_id``, or None when unknown or filtered out."""
        source_row = self.source().source_row(artifact_id)
        return None if source_row is None else self._position.get(source_row)

    def facet_values(self, column: int) -> list[str]:
        """Distinct display values of a column over all records, sorted (facet combo boxes)."""
        source = self.source()
        return sorted({source.display(record, column) for record in source.records()} - {""})

    # -- filtering and sorting ---------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """Keep rows whose name, file, architecture, quantization, format or source contain
        every word of ``text`` (case-insensitive)."""
        words = text.lower().split()
        if words == self._words:
            return
        # Typing narrows: when every old word is still a substring of a new one, only the
        # rows on screen can still match (keeps a keystroke on 10,000 rows in milliseconds).
        pairs = zip(self._words, words, strict=False)
        narrowing = len(words) >= len(self._words) and all(old in new for old, new in pairs)
        self._words = words
        self.beginResetModel()
        self._set_visible(self._compute_visible(within=self._visible) if narrowing else self._compute_visible())
        self.endResetModel()

    def set_facet(self, column: int, value: str | None) -> None:
        """Keep rows whose ``column`` shows exactly ``value``; None or '' clears the facet."""
        if value:
            self._facets[column] = value
        else:
            self._facets.pop(column, None)
        self.beginResetModel()
        self._set_visible(self._compute_visible())
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the visible rows (called by the view's header)."""
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = list(self._visible)
        self._set_visible(self._sorted(self._visible))
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(
            persistent,
            [self.index(self._position[old[p.row()]], p.column()) if p.row() < len(old) else QModelIndex()
             for p in persistent],
        )
        self.layoutChanged.emit()

    def _set_visible(self, visible: list[int]) -> None:
        self._visible = visible
        self._position = {source_row: row for row, source_row in enumerate(visible)}

    def _compute_visible(self, within: list[int] | None = None) -> list[int]:
        candidates = range(len(self._haystacks)) if within is None else within
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
        return sorted(visible, key=lambda row: keys[row], reverse=order == Qt.SortOrder.DescendingOrder)  # type: ignore[arg-type,return-value]  # keys of one column compare with each other

    def _keys(self, column: int) -> list[object]:
        keys = self._key_cache.get(column)
        if keys is None:
            source = self.source()
            keys = [source.sort_key(record, column) for record in source.records()]
            self._key_cache[column] = keys
        return keys

    # -- Qt proxy API ------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid() or not (0 <= row < len(self._visible) and 0 <= column < len(self.COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, _index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008 - a flat table: QObject.parent() is not used on models
        return QModelIndex()

    def mapToSource(self, proxy_index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        if not proxy_index.isValid() or not 0 <= proxy_index.row() < len(self._visible):
            return QModelIndex()
        return self.source().index(self._visible[proxy_index.row()], proxy_index.column())

    def mapFromSource(self, source_index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
        row = self._position.get(source_index.row()) if source_index.isValid() else None
        return QModelIndex() if row is None else self.index(row, source_index.column())

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._visible):
            return None
        source = self.source()
        return source.record_data(source.record(self._visible[index.row()]), index.column(), role)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return self.source().headerData(section, orientation, role)


def _haystack(record: ArtifactRecord) -> str:
    parts: Iterable[object] = (
        record.display_name, record.path.name, record.architecture, record.quantization,
        record.format, source_text(record), record.model_name,
    )
    return " ".join(str(part) for part in parts if part).lower()
