"""Qt item models of the Quantize pane: usable sources, GGUF target types, and variant quality."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from slmdesk.inventory.records import ArtifactRecord
from slmdesk.ui.artifacts import ArtifactSourceModel, Badge, SortRole
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP, format_bytes, format_number, format_percent, localize_decimals
from slmdesk.ui.palette import colour
from slmdesk.ui.verdicts import level_colour
from slmdesk.ui.widgets.table_model import ColumnTableModel

TypeNameRole = Qt.ItemDataRole.UserRole + 10
NeedsImatrixRole = Qt.ItemDataRole.UserRole + 11
VariantIdRole = Qt.ItemDataRole.UserRole + 12

FULL_PRECISION = frozenset({"F32", "F16", "BF16"})
"""GGUF file types that are the right source of a quantization (nothing lost yet)."""

NOT_MEASURED = "–"


_DESCRIPTION_PHRASES = frozenset((
    QT_TRANSLATE_NOOP("QuantTypeModel", "16-bit float"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "no quantization loss"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "needs an importance matrix"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "needs an importance matrix (its attn_q/attn_k are IQ3_XXS)"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "for ternary (BitNet) models only"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "MXFP4 experts"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "Q8_0 elsewhere"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "for mixture-of-experts models only"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "non-linear"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "mix"),
    QT_TRANSLATE_NOOP("QuantTypeModel", "ternary"),
))
"""The words of llama-quantize's type descriptions (:data:`slmdesk.quantize.types.QUANT_TYPES`),
translatable; a phrase not listed here is shown as the core wrote it."""

_BPW = re.compile(r"^(\S+ bpw) (.+)$")


def describe_type(description: str) -> str:
    """A type's description ("4.25 bpw non-linear", "3.06 bpw, needs an importance matrix") in
    the interface language: its phrases translated, its decimals written as the locale does."""
    parts = []
    for part in description.split(", "):
        bpw = _BPW.match(part)
        head, phrase = (bpw.group(1), bpw.group(2)) if bpw else ("", part)
        if phrase in _DESCRIPTION_PHRASES:
            phrase = QCoreApplication.translate("QuantTypeModel", phrase)
        elif bpw:
            head, phrase = part, ""
        text = " ".join(p for p in (head, phrase) if p)
        parts.append(localize_decimals(text))
    return ", ".join(parts)


def is_source(record: ArtifactRecord) -> bool:
    """An artifact the Quantize pane can start from: a whole GGUF file (any type: an already
    quantized one with a warning) or a Hugging Face folder (converted to GGUF first)."""
    return record.status == "ok" and record.format in ("gguf", "hf")


def source_label(record: ArtifactRecord, with_size: bool = True) -> str:
    """"SmolLM2 135M Instruct · F16 · 258.9 MiB" (HF folders: "· Hugging Face folder")."""
    if record.format == "hf":
        kind = QCoreApplication.translate("QuantizeSources", "Hugging Face folder")
    else:
        kind = record.quantization or record.format.upper()
    size = f" · {format_bytes(record.size_bytes)}" if with_size else ""
    return f"{record.display_name} · {kind}{size}"


def _source_order(record: ArtifactRecord) -> tuple[int, str]:
    full = record.format == "hf" or (record.quantization or "").upper() in FULL_PRECISION
    return (0 if full else 1, record.display_name.lower())


class QuantizeSources(QSortFilterProxyModel):
    """The shared artifacts (:class:`ArtifactSourceModel`) a quantization can start from
    (:func:`is_source`), full-precision GGUF files first, then by name; one column whose text
    says the type and size (the source picker)."""

    def __init__(self, source: ArtifactSourceModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.sort(0)

    def _source(self) -> ArtifactSourceModel:
        model = self.sourceModel()
        assert isinstance(model, ArtifactSourceModel)
        return model

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        return is_source(self._source().record(source_row))

    def filterAcceptsColumn(self, source_column: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        return source_column == ArtifactSourceModel.COL_NAME

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return source_label(self.record(index.row()))
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(self.record(index.row()).path)
        return super().data(index, role)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex) -> bool:
        source = self._source()
        return _source_order(source.record(left.row())) < _source_order(source.record(right.row()))

    def record(self, row: int) -> ArtifactRecord:
        """The record shown in ``row``."""
        return self._source().record(self.mapToSource(self.index(row, 0)).row())

    def row_of(self, artifact_id: int) -> int | None:
        """The row showing ``artifact_id``, None when it is not a usable source (or unknown)."""
        source_row = self._source().source_row(artifact_id)
        if source_row is None:
            return None
        index = self.mapFromSource(self._source().index(source_row, 0))
        return index.row() if index.isValid() else None


@dataclass(frozen=True)
class TypeRow:
    """One GGUF target type as the type table shows it.

    Attributes:
        name: llama-quantize's name ("Q4_K_M").
        predicted_bytes: the output file's predicted size, bytes (None before a source is read).
        needs_imatrix: llama.cpp refuses this type without an importance matrix.
        description: what the type is (bits per weight, quality note).
        fit: this machine's verdict for the predicted output, None before it is estimated.
    """

    name: str
    predicted_bytes: int | None = None
    needs_imatrix: bool = False
    description: str = ""
    fit: Badge | None = None


class QuantTypeModel(ColumnTableModel):
    """Every GGUF target type with its predicted output size, fit verdict here and importance
    matrix mark. Sizes sort as Python ints through :data:`SortRole`; :data:`TypeNameRole` gives
    the type name of any cell, :data:`NeedsImatrixRole` the mark as a bool."""

    TRANSLATION_CONTEXT = "QuantTypeModel"
    COLUMNS = (QT_TRANSLATE_NOOP("QuantTypeModel", "Type"), QT_TRANSLATE_NOOP("QuantTypeModel", "Predicted size"),
               QT_TRANSLATE_NOOP("QuantTypeModel", "Fit here"), QT_TRANSLATE_NOOP("QuantTypeModel", "Imatrix"),
               QT_TRANSLATE_NOOP("QuantTypeModel", "About"))
    COL_TYPE, COL_SIZE, COL_FIT, COL_IMATRIX, COL_ABOUT = range(5)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_SIZE: QT_TRANSLATE_NOOP("QuantTypeModel", "The output file's size predicted from the source's tensors"),
        COL_FIT: QT_TRANSLATE_NOOP(
            "QuantTypeModel",
            "Will the output run on this machine (its load settings' context, from the predicted size)"),
        COL_IMATRIX: QT_TRANSLATE_NOOP(
            "QuantTypeModel",
            "Importance matrix: types marked \"required\" cannot be made without one for this model"),
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TypeRow] = []
        self._row_of: dict[str, int] = {}

    def set_rows(self, rows: Sequence[TypeRow]) -> None:
        """Replace every row (a new type list)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._row_of = {row.name: index for index, row in enumerate(self._rows)}
        self.endResetModel()

    def update_rows(self, rows: Iterable[TypeRow]) -> None:
        """Replace the rows of these types in place (new sizes or verdicts for a new source);
        unknown names are ignored. Only the size and fit cells are signalled."""
        changed = []
        for row in rows:
            index = self._row_of.get(row.name)
            if index is not None:
                self._rows[index] = row
                changed.append(index)
        if changed:
            self.dataChanged.emit(self.index(min(changed), self.COL_SIZE), self.index(max(changed), self.COL_FIT))

    def clear_predictions(self) -> None:
        """Forget sizes and verdicts (no source)."""
        self.update_rows(replace(row, predicted_bytes=None, fit=None) for row in self._rows)

    def rows(self) -> list[TypeRow]:
        """Every row, in order."""
        return list(self._rows)

    def row(self, name: str) -> TypeRow | None:
        """The row of type ``name``, None when unknown."""
        index = self._row_of.get(name)
        return None if index is None else self._rows[index]

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SortRole:
            if column == self.COL_SIZE:
                return row.predicted_bytes if row.predicted_bytes is not None else -1  # Python int
            if column == self.COL_IMATRIX:
                return int(row.needs_imatrix)
            if column == self.COL_TYPE:
                return index.row()  # llama-quantize's order: by bits per weight
            return self._display(row, column).lower()
        if role == TypeNameRole:
            return row.name
        if role == NeedsImatrixRole:
            return row.needs_imatrix
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_FIT and row.fit is not None:
                return row.fit.tooltip or row.fit.text
            if column == self.COL_SIZE and row.predicted_bytes is not None:
                return self.tr("{bytes} bytes").format(bytes=format_number(row.predicted_bytes))
            if column in (self.COL_ABOUT, self.COL_TYPE) and row.description:
                return describe_type(row.description)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.COL_FIT and row.fit is not None:
                return level_colour(row.fit.level)
            if column == self.COL_IMATRIX and row.needs_imatrix:
                return colour("text.warning")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: TypeRow, column: int) -> str:
        if column == self.COL_TYPE:
            return row.name
        if column == self.COL_SIZE:
            return format_bytes(row.predicted_bytes) if row.predicted_bytes is not None else NOT_MEASURED
        if column == self.COL_FIT:
            return row.fit.text if row.fit is not None else NOT_MEASURED
        if column == self.COL_IMATRIX:
            return self.tr("required", "importance matrix") if row.needs_imatrix else self.tr(
                "optional", "importance matrix")
        if column == self.COL_ABOUT:
            return describe_type(row.description)
        return ""


@dataclass(frozen=True)
class VariantQuality:
    """What is known of one variant of a model, for the side-by-side table and chart.

    Attributes:
        artifact_id: the inventory artifact.
        name: its display name.
        quantization: "F16", "Q4_K_M", "int4"...
        size_bytes: on disk, bytes.
        is_source: the model the others are compared against.
        perplexity / ppl_stderr: on the held-out text at ``n_ctx`` (None: not measured).
        kld_mean: mean KL divergence of its token distributions from the source's (nats).
        top1_agreement: share of positions whose most likely token equals the source's (0-1).
        n_ctx / n_tokens: context and tokens the figures were measured with.
        pp_tokens_per_s / tg_tokens_per_s: the newest benchmark (Benchmark pane), if any.
    """

    artifact_id: int
    name: str
    quantization: str | None
    size_bytes: int
    is_source: bool = False
    perplexity: float | None = None
    ppl_stderr: float | None = None
    kld_mean: float | None = None
    top1_agreement: float | None = None
    n_ctx: int | None = None
    n_tokens: int | None = None
    pp_tokens_per_s: float | None = None
    tg_tokens_per_s: float | None = None


class QualityTableModel(ColumnTableModel):
    """One row per variant of one model: size, perplexity, KLD and top-1 agreement against the
    source, and speeds. Figures not measured read "–" (never 0); numbers sort through
    :data:`SortRole` (sizes as Python ints); :data:`VariantIdRole` gives the artifact id."""

    TRANSLATION_CONTEXT = "QualityTableModel"
    COLUMNS = (
        QT_TRANSLATE_NOOP("QualityTableModel", "Variant"), QT_TRANSLATE_NOOP("QualityTableModel", "Type"),
        QT_TRANSLATE_NOOP("QualityTableModel", "Size"), QT_TRANSLATE_NOOP("QualityTableModel", "Perplexity"),
        QT_TRANSLATE_NOOP("QualityTableModel", "KLD vs source"),
        QT_TRANSLATE_NOOP("QualityTableModel", "Top-1 agreement"),
        QT_TRANSLATE_NOOP("QualityTableModel", "pp t/s"), QT_TRANSLATE_NOOP("QualityTableModel", "tg t/s"),
    )
    COL_NAME, COL_TYPE, COL_SIZE, COL_PPL, COL_KLD, COL_TOP1, COL_PP, COL_TG = range(8)
    HEADER_TOOLTIPS: ClassVar[dict[int, str]] = {
        COL_PPL: QT_TRANSLATE_NOOP("QualityTableModel",
                                   "Perplexity on the held-out text (lower is better), ± its standard error"),
        COL_KLD: QT_TRANSLATE_NOOP(
            "QualityTableModel",
            "Mean Kullback-Leibler divergence from the source's token distributions (nats; 0 = identical)"),
        COL_TOP1: QT_TRANSLATE_NOOP("QualityTableModel",
                                    "Share of positions where the variant's most likely token is the source's"),
        COL_PP: QT_TRANSLATE_NOOP("QualityTableModel",
                                  "Prompt processing speed of the newest benchmark (Benchmark pane), tokens/s"),
        COL_TG: QT_TRANSLATE_NOOP("QualityTableModel",
                                  "Token generation speed of the newest benchmark (Benchmark pane), tokens/s"),
    }

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[VariantQuality] = []

    def set_variants(self, variants: Sequence[VariantQuality]) -> None:
        """Replace every row (another model)."""
        self.beginResetModel()
        self._rows = list(variants)
        self.endResetModel()

    def upsert(self, variant: VariantQuality) -> None:
        """Add a variant, or replace the row of the same artifact (new figures)."""
        for index, row in enumerate(self._rows):
            if row.artifact_id == variant.artifact_id:
                self._rows[index] = variant
                self.dataChanged.emit(self.index(index, 0), self.index(index, len(self.COLUMNS) - 1))
                return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(variant)
        self.endInsertRows()

    def variants(self) -> list[VariantQuality]:
        """Every row, in order."""
        return list(self._rows)

    def variant(self, artifact_id: int) -> VariantQuality | None:
        """The row of ``artifact_id``, None when absent."""
        return next((row for row in self._rows if row.artifact_id == artifact_id), None)

    def row_count(self) -> int:
        return len(self._rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(row, column)
        if role == SortRole:
            return self._sort_key(row, column)
        if role == VariantIdRole:
            return row.artifact_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= self.COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.COL_PPL and row.n_ctx:
                return self.tr("n_ctx {n_ctx}, %n token(s) scored", "", row.n_tokens or 0).format(
                    n_ctx=row.n_ctx)
            if column == self.COL_SIZE:
                return self.tr("{bytes} bytes").format(bytes=format_number(row.size_bytes))
            if column == self.COL_NAME:
                return row.name
        return None

    @staticmethod
    def display(row: VariantQuality, column: int) -> str:
        """The text of one cell ("–" for a figure not measured)."""
        if column == QualityTableModel.COL_NAME:
            if row.is_source:
                return QCoreApplication.translate("QualityTableModel", "{name} (source)").format(name=row.name)
            return row.name
        if column == QualityTableModel.COL_TYPE:
            return row.quantization or ""
        if column == QualityTableModel.COL_SIZE:
            return format_bytes(row.size_bytes)
        if column == QualityTableModel.COL_PPL:
            if row.perplexity is None:
                return NOT_MEASURED
            text = format_number(row.perplexity, 3)
            if row.ppl_stderr is not None:
                text += f" ± {format_number(row.ppl_stderr, 3)}"
            return text
        if column == QualityTableModel.COL_KLD:
            return NOT_MEASURED if row.kld_mean is None else format_number(row.kld_mean, 4)
        if column == QualityTableModel.COL_TOP1:
            return NOT_MEASURED if row.top1_agreement is None else format_percent(row.top1_agreement * 100, 1)
        if column == QualityTableModel.COL_PP:
            return NOT_MEASURED if row.pp_tokens_per_s is None else format_number(row.pp_tokens_per_s, 1)
        if column == QualityTableModel.COL_TG:
            return NOT_MEASURED if row.tg_tokens_per_s is None else format_number(row.tg_tokens_per_s, 1)
        return ""

    def _sort_key(self, row: VariantQuality, column: int) -> object:
        if column == self.COL_SIZE:
            return row.size_bytes  # Python int: exact above 2**31
        value = {
            self.COL_PPL: row.perplexity, self.COL_KLD: row.kld_mean, self.COL_TOP1: row.top1_agreement,
            self.COL_PP: row.pp_tokens_per_s, self.COL_TG: row.tg_tokens_per_s,
        }.get(column)
        if column in (self.COL_PPL, self.COL_KLD, self.COL_TOP1, self.COL_PP, self.COL_TG):
            return float("inf") if value is None else float(value)  # not measured: last
        return self.display(row, column).lower()
