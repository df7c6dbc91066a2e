"""The one source item model of artifacts, shared by every pane through proxies.

:class:`ArtifactSourceModel` holds every artifact of the inventory in inventory order, with
this machine's fit badges, and reloads them off the GUI thread (a JobRunner job). Panes never
keep their own list: the Library views it through its fast filter
(:class:`slmdesk.ui.library.model.ArtifactTableModel`), Chat and Benchmark through
:class:`LoadableArtifacts` (a ``QSortFilterProxyModel``: only models that can be loaded, sorted
by name, optionally with check boxes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_datetime, format_number, format_params
from slmdesk.ui.verdicts import Badge, level_colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

__all__ = ["ArtifactIdRole", "ArtifactSourceModel", "Badge", "LoadableArtifacts", "LoadableRole", "RecordRole",
           "SortRole", "source_text", "status_reason", "status_text"]

SortRole = Qt.ItemDataRole.UserRole + 1
ArtifactIdRole = Qt.ItemDataRole.UserRole + 2
RecordRole = Qt.ItemDataRole.UserRole + 3
LoadableRole = Qt.ItemDataRole.UserRole + 4


_SOURCE_TEXT = {
    "folder": QT_TRANSLATE_NOOP("Artifacts", "Folder"),
    "hf_cache": QT_TRANSLATE_NOOP("Artifacts", "Hugging Face cache"),
    "lmstudio": "LM Studio",
    "gpt4all": "GPT4All",
    "ollama": "Ollama",
    "user": QT_TRANSLATE_NOOP("Artifacts", "Added file"),
    "starter": QT_TRANSLATE_NOOP("Artifacts", "Starter model"),
}

STATUS_TEXT = {
    "ok": QT_TRANSLATE_NOOP("Artifacts", "ok"),
    "missing": QT_TRANSLATE_NOOP("Artifacts", "missing"),
    "incomplete": QT_TRANSLATE_NOOP("Artifacts", "incomplete"),
    "corrupt": QT_TRANSLATE_NOOP("Artifacts", "corrupt"),
}
"""An artifact's status (``ArtifactRecord.status``) in words."""


def _tr(text: str) -> str:
    return QCoreApplication.translate("Artifacts", text)


def status_text(record: ArtifactRecord) -> str:
    """The artifact's status in the interface language ("ok", "missing", ...)."""
    return _tr(STATUS_TEXT.get(record.status, record.status))


def source_text(record: ArtifactRecord) -> str:
    """A short provenance label ("Ollama smollm2:135m", "Hugging Face cache org/name")."""
    base = _tr(_SOURCE_TEXT.get(record.source_kind, record.source_kind))
    detail = record.source_detail
    extra = detail.get("name") or detail.get("repo_id") or ""
    if record.source_kind == "starter":
        extra = f"({detail.get('package', '')} {detail.get('version', '')})"
    elif not extra and record.source_kind == "lmstudio":
        extra = "/".join(str(detail[k]) for k in ("publisher", "repo") if detail.get(k))
    return f"{base} {extra}".strip()


def status_reason(record: ArtifactRecord) -> str:
    """Why an artifact cannot be used and what to do, for a tooltip or the details panel: the
    reader's message, then its hint on the next line ("" for an artifact with no error)."""
    return "\n".join(part for part in (record.error, record.error_hint) if part)


class ArtifactSourceModel(ColumnTableModel):
    """Every artifact record, in inventory order, with its fit badge on this machine.

    ``records_changed`` follows every reload. Sizes sort as Python ints through
    :data:`SortRole` (files exceed 2**31 bytes).
    """

    TRANSLATION_CONTEXT = "Artifacts"
    COLUMNS = (
        QT_TRANSLATE_NOOP("Artifacts", "Name"), QT_TRANSLATE_NOOP("Artifacts", "Fit here"),
        QT_TRANSLATE_NOOP("Artifacts", "Parameters"), QT_TRANSLATE_NOOP("Artifacts", "Quantization"),
        QT_TRANSLATE_NOOP("Artifacts", "Size"), QT_TRANSLATE_NOOP("Artifacts", "Context"),
        QT_TRANSLATE_NOOP("Artifacts", "Architecture"), QT_TRANSLATE_NOOP("Artifacts", "Format"),
        QT_TRANSLATE_NOOP("Artifacts", "Source"), QT_TRANSLATE_NOOP("Artifacts", "Status"),
        QT_TRANSLATE_NOOP("Artifacts", "Added"),
    )
    (COL_NAME, COL_FIT, COL_PARAMS, COL_QUANT, COL_SIZE, COL_CTX,
     COL_ARCH, COL_FORMAT, COL_SOURCE, COL_STATUS, COL_ADDED) = range(11)

    records_changed = Signal()

    def __init__(self, inventory: Inventory | None = None, runner: JobRunner | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._runner = runner
        self._records: list[ArtifactRecord] = []
        self._row_of: dict[int, int] = {}
        self._badges: dict[int, Badge] = {}
        self._loading = 0

    # -- content ---------------------------------------------------------------------------
    def refresh(self, then: Callable[[], None] | None = None) -> int | None:
        """Reload every record from the inventory in a background job (10,000 rows take about
        half a second to read: the GUI thread must not wait); ``records_changed`` is emitted,
        and ``then`` called, once the model holds them. Returns the job id (None without an
        inventory and runner)."""
        if self._inventory is None or self._runner is None:
            return None
        self._loading += 1
        return self._runner.submit_call(self.tr("Read the library"), self._inventory.list_artifacts, resource="db-read",
                                        on_done=lambda job: self._on_read(job, then), background=True)

    def _on_read(self, job: Job, then: Callable[[], None] | None) -> None:
        self._loading -= 1
        if job.state is JobState.SUCCEEDED:
            self.set_records(job.result)
        if then is not None:
            then()

    @property
    def loading(self) -> bool:
        """True while a reload is under way."""
        return self._loading > 0

    def set_records(self, records: Sequence[ArtifactRecord]) -> None:
        """Replace every record (after a scan or a reload); badges of removed ids go."""
        self.beginResetModel()
        self._records = list(records)
        self._row_of = {record.id: row for row, record in enumerate(self._records)}
        self._badges = {key: badge for key, badge in self._badges.items() if key in self._row_of}
        self.endResetModel()
        self.records_changed.emit()

    def records(self) -> list[ArtifactRecord]:
        """Every record, in inventory order."""
        return list(self._records)

    def record(self, row: int) -> ArtifactRecord:
        """The record in source row ``row``."""
        return self._records[row]

    def find(self, artifact_id: int) -> ArtifactRecord | None:
        """The record of ``artifact_id``, None when it is not (or no longer) in the inventory."""
        row = self._row_of.get(artifact_id)
        return None if row is None else self._records[row]

    def source_row(self, artifact_id: int) -> int | None:
        """The source row of ``artifact_id``, None when unknown."""
        return self._row_of.get(artifact_id)

    def set_badges(self, badges: dict[int, Badge]) -> None:
        """Show fit badges (artifact id -> badge); only the Fit column is signalled."""
        self._badges = dict(badges)
        if self._records:
            self.dataChanged.emit(self.index(0, self.COL_FIT), self.index(len(self._records) - 1, self.COL_FIT))

    def set_badge(self, artifact_id: int, badge: Badge) -> None:
        """Show one artifact's badge."""
        self._badges[artifact_id] = badge
        row = self._row_of.get(artifact_id)
        if row is not None:
            index = self.index(row, self.COL_FIT)
            self.dataChanged.emit(index, index)

    def badge(self, artifact_id: int) -> Badge | None:
        """The badge shown for an artifact, if any."""
        return self._badges.get(artifact_id)

    # -- Qt model API ----------------------------------------------------------------------
    def row_count(self) -> int:
        return len(self._records)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._records):
            return None
        return self.record_data(self._records[index.row()], index.column(), role)

    def record_data(self, record: ArtifactRecord, column: int, role: int) -> Any:
        """``data()`` of one record's cell (the Library's filter calls it without an index)."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(record, column)
        if role == SortRole:
            return self.sort_key(record, column)
        if role == ArtifactIdRole:
            return record.id
        if role == RecordRole:
            return record
        if role == LoadableRole:
            return record.loadable
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.COL_PARAMS, self.COL_SIZE, self.COL_CTX):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.COL_FIT:
                badge = self._badges.get(record.id)
                return level_colour(badge.level) if badge else None
            if column == self.COL_STATUS and record.status != "ok":
                return level_colour("bad")
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_FIT and record.id in self._badges:
                return self._badges[record.id].tooltip or None
            if column == self.COL_STATUS and record.error:
                return status_reason(record)
            if column == self.COL_NAME:
                return str(record.path)
        return None

    def display(self, record: ArtifactRecord, column: int) -> str:
        """The text of one record's cell."""
        if column == self.COL_NAME:
            return record.display_name
        if column == self.COL_ARCH:
            return record.architecture or ""
        if column == self.COL_PARAMS:
            return format_params(record.n_params)
        if column == self.COL_QUANT:
            return record.quantization or ""
        if column == self.COL_FORMAT:
            name = {"gguf": "GGUF", "onnx": "ONNX", "hf": "HF"}.get(record.format, record.format)
            return self.tr("{format} (split)").format(format=name) if record.split_count > 1 else name
        if column == self.COL_SIZE:
            return format_bytes(record.size_bytes)
        if column == self.COL_CTX:
            return format_number(record.context_length) if record.context_length else ""
        if column == self.COL_FIT:
            badge = self._badges.get(record.id)
            return badge.text if badge else ""
        if column == self.COL_SOURCE:
            return source_text(record)
        if column == self.COL_STATUS:
            return status_text(record)
        if column == self.COL_ADDED:
            if record.added_at is None:
                return ""
            added = record.added_at if record.added_at.tzinfo else record.added_at.replace(tzinfo=UTC)
            return format_datetime(added)  # local time
        return ""

    def sort_key(self, record: ArtifactRecord, column: int) -> object:
        """What a column sorts by: numbers as numbers, text case-insensitively."""
        if column == self.COL_PARAMS:
            return record.n_params or 0
        if column == self.COL_SIZE:
            return record.size_bytes  # Python int: compared exactly above 2**31
        if column == self.COL_CTX:
            return record.context_length or 0
        if column == self.COL_ADDED:
            return record.added_at.timestamp() if record.added_at else 0.0
        return self.display(record, column).lower()


class LoadableArtifacts(QSortFilterProxyModel):
    """The models that can be loaded (``ArtifactRecord.loadable``), sorted by name: the pickers of
    Chat and Benchmark. With ``checkable`` the rows get check boxes (:meth:`checked_ids`).

    A ``QSortFilterProxyModel`` is fast enough here: it filters on one role, and loadable models
    number in the tens, not the Library's thousands (see ``ArtifactTableModel``'s docstring).
    """

    checked_changed = Signal()

    def __init__(self, source: ArtifactSourceModel, checkable: bool = False, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._checkable = checkable
        self._checked: set[int] = set()
        self.setSourceModel(source)
        self.setFilterRole(LoadableRole)
        self.setSortRole(SortRole)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.sort(ArtifactSourceModel.COL_NAME)
        source.modelReset.connect(self._forget_removed)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, ArtifactSourceModel)
        return model.record(source_row).loadable

    def filterAcceptsColumn(self, source_column: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        return source_column == ArtifactSourceModel.COL_NAME

    def record(self, row: int) -> ArtifactRecord:
        """The record shown in ``row``."""
        source = self.mapToSource(self.index(row, 0))
        model = self.sourceModel()
        assert isinstance(model, ArtifactSourceModel)
        return model.record(source.row())

    def records(self) -> list[ArtifactRecord]:
        """The records shown, in order."""
        return [self.record(row) for row in range(self.rowCount())]

    def row_of(self, artifact_id: int) -> int | None:
        """The row showing ``artifact_id``, None when it is not shown."""
        model = self.sourceModel()
        assert isinstance(model, ArtifactSourceModel)
        source_row = model.source_row(artifact_id)
        if source_row is None:
            return None
        index = self.mapFromSource(model.index(source_row, 0))
        return index.row() if index.isValid() else None

    # -- check boxes -----------------------------------------------------------------------
    def checked_ids(self) -> list[int]:
        """The checked artifacts, in display order."""
        return [record.id for record in self.records() if record.id in self._checked]

    def set_checked(self, artifact_ids: Sequence[int]) -> None:
        """Check exactly ``artifact_ids`` (those shown)."""
        self._checked = set(artifact_ids)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 0),
                                  [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()

    def _forget_removed(self) -> None:
        model = self.sourceModel()
        assert isinstance(model, ArtifactSourceModel)
        before = set(self._checked)
        self._checked = {key for key in self._checked if model.find(key) is not None}
        if self._checked != before:
            self.checked_changed.emit()

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if self._checkable and index.isValid():
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._checkable and role == Qt.ItemDataRole.CheckStateRole and index.isValid():
            checked = self.record(index.row()).id in self._checked
            return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        return super().data(index, role)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not (self._checkable and role == Qt.ItemDataRole.CheckStateRole and index.isValid()):
            return super().setData(index, value, role)
        artifact_id = self.record(index.row()).id
        if Qt.CheckState(value) == Qt.CheckState.Checked:
            self._checked.add(artifact_id)
        else:
            self._checked.discard(artifact_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.checked_changed.emit()
        return True
