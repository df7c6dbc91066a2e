"""The Curated tab: the offline catalog's model x quantization rows, filtered, with their fit."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from slmdesk.hub.catalog import TIERS, CatalogModel
from slmdesk.ui.catalog.models import ANY, CuratedFilter, CuratedModel, CuratedRow, task_text, tier_text
from slmdesk.ui.i18n import format_number
from slmdesk.ui.widgets.elided import ElidedLabel


def configure_table(view: QTableView) -> None:
    """Fixed row heights, sorting on, whole rows selected, long texts elided (full in tooltips)."""
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    vertical = view.verticalHeader()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(24)
    vertical.hide()
    horizontal = view.horizontalHeader()
    horizontal.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    horizontal.setStretchLastSection(True)
    horizontal.setTextElideMode(Qt.TextElideMode.ElideRight)


def _combo(parent: QWidget, name: str, everything: str) -> QComboBox:
    """A facet's combo box, named ``name`` (translated by the caller), first item ``everything``."""
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    combo.setToolTip(name)
    combo.addItem(everything, ANY)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


class CuratedView(QWidget):
    """Filters (text, tier, publisher, license, task, fits) over the curated table, and a Download
    button for the selected quantization. ``download_requested`` carries the :class:`CuratedRow`."""

    download_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = CuratedModel(self)
        self.proxy = CuratedFilter(self.model, self)

        # Built in visual order (filters, table, download) so that Tab follows the screen.
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(self.tr("Filter by name, family, quantization (Ctrl+F)"))
        self.filter_edit.setAccessibleName(self.tr("Filter the curated models"))
        self.filter_edit.setToolTip(self.tr("Filter by name, family, publisher, quantization or repository (Ctrl+F)"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_text)
        self.tier_combo = _combo(self, self.tr("Tier"), self.tr("All tiers"))
        for tier in TIERS:
            text = tier_text(tier)
            self.tier_combo.addItem(text[:1].upper() + text[1:], tier)
        self.publisher_combo = _combo(self, self.tr("Publisher"), self.tr("All publishers"))
        self.license_combo = _combo(self, self.tr("License"), self.tr("All licenses"))
        self.task_combo = _combo(self, self.tr("Task"), self.tr("All tasks"))
        self.fits_check = QCheckBox(self.tr("Fits"), self)
        self.fits_check.setAccessibleName(self.tr("Only models that fit"))
        self.fits_check.setToolTip(self.tr("Only quantizations that fit the chosen profile at the wanted context"))
        for combo, key in ((self.tier_combo, "tier"), (self.publisher_combo, "publisher"),
                           (self.license_combo, "license"), (self.task_combo, "task")):
            combo.setProperty("facet", key)
            combo.currentIndexChanged.connect(self._on_facet)
        self.fits_check.toggled.connect(self._on_fits)

        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Curated models"))
        self.table.setModel(self.proxy)
        configure_table(self.table)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # catalog order until a header is clicked
        widths = {CuratedModel.COL_QUANT: 95, CuratedModel.COL_SIZE: 90,
                  CuratedModel.COL_FIT: 115, CuratedModel.COL_MAX_CTX: 90, CuratedModel.COL_TG: 100,
                  CuratedModel.COL_TIER: 55, CuratedModel.COL_PARAMS: 60, CuratedModel.COL_PUBLISHER: 120,
                  CuratedModel.COL_LICENSE: 110, CuratedModel.COL_TASKS: 150}
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(CuratedModel.COL_OWNED, 100)
        header = self.table.horizontalHeader()  # the name takes the room the figures leave
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CuratedModel.COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._on_activated)

        self.download_button = QPushButton(self.tr("Download…"), self)
        self.download_button.setAccessibleName(self.tr("Download the selected quantization"))
        self.download_button.setToolTip(
            self.tr("Download the selected quantization from its GGUF repository (Enter)"))
        self.download_button.clicked.connect(self._on_download_clicked)
        self.download_button.setEnabled(False)
        self.count_label = QLabel(self)
        self.detail_label = ElidedLabel("", self, Qt.TextElideMode.ElideMiddle, selectable=True)

        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 3)
        for combo in (self.tier_combo, self.publisher_combo, self.license_combo, self.task_combo):
            filters.addWidget(combo, 1)
        filters.addWidget(self.fits_check)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label)
        bottom.addWidget(self.detail_label, 1)
        bottom.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)

    # -- content -------------------------------------------------------------------------
    def set_catalog(self, models: Sequence[CatalogModel]) -> None:
        """Show the catalog's rows and fill the facets from it."""
        self.model.set_catalog(models)
        for combo, values in ((self.publisher_combo, {m.publisher for m in models}),
                              (self.license_combo, {m.license for m in models}),
                              (self.task_combo, {t for m in models for t in m.tasks})):
            chosen = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            shown = task_text if combo is self.task_combo else str
            for value in sorted(values, key=lambda value: shown(value).casefold()):
                combo.addItem(shown(value), value)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)
        self._update_count()

    def selected_row(self) -> CuratedRow | None:
        """The selected model x quantization, None for none."""
        index = self.table.currentIndex()
        return self.proxy.row(index.row()) if index.isValid() else None

    def select(self, model_id: str, quant: str) -> bool:
        """Select the row of ``model_id`` in ``quant``; False when it is not shown."""
        for row in range(self.proxy.rowCount()):
            if self.proxy.row(row).key == (model_id, quant):
                self.table.selectRow(row)
                return True
        return False

    # -- slots ---------------------------------------------------------------------------
    @Slot(str)
    def _on_text(self, text: str) -> None:
        self.proxy.set_filter(text=text)
        self._update_count()

    @Slot()
    def _on_facet(self) -> None:
        combo = self.sender()
        if isinstance(combo, QComboBox):
            self.proxy.set_filter(**{str(combo.property("facet")): combo.currentData() or ANY})
            self._update_count()

    @Slot(bool)
    def _on_fits(self, checked: bool) -> None:
        self.proxy.set_filter(fits_only=checked)
        self._update_count()

    @Slot()
    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(self.tr("{shown} of {total}").format(
            shown=format_number(shown), total=format_number(total)))
        self.count_label.setToolTip(self.tr("{shown} of %n quantization(s) shown", "", total).format(
            shown=format_number(shown)))

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.proxy.row(current.row()) if current.isValid() else None
        self.download_button.setEnabled(row is not None and bool(row.model.gguf_repos))
        if row is None:
            self.detail_label.clear()
            return
        files = ", ".join(f"{f.repo_id}/{f.path}" for f in row.quant.files)
        text = f"{row.model.name} {row.quant.name}: {files}"
        self.detail_label.setText(text)  # elided to the label's width, in full in the tooltip
        self.detail_label.setToolTip(text + (f"\n{row.model.notes}" if row.model.notes else ""))

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.download_requested.emit(self.proxy.row(index.row()))

    @Slot()
    def _on_download_clicked(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.download_requested.emit(row)
