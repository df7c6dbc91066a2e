"""The Recommend tab: the best quantization of each family that fits the chosen profile, ranked."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget

from slmdesk.hub.recommend import Recommendation
from slmdesk.ui.catalog.curated_view import configure_table
from slmdesk.ui.catalog.models import RecommendModel


class RecommendView(QWidget):
    """Ranked recommendations with the "why"; ``download_requested`` carries the Recommendation."""

    download_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit(self)  # Ctrl+F lands here: the tab's rows are few, a find is enough
        self.filter_edit.setPlaceholderText(self.tr("Find a family (Ctrl+F)"))
        self.filter_edit.setAccessibleName(self.tr("Find a recommended family"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(  # the whole placeholder, and room for the clear button
            self.filter_edit.fontMetrics().horizontalAdvance(self.filter_edit.placeholderText()) + 40)
        self.filter_edit.textChanged.connect(self._on_find)
        self.model = RecommendModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Recommended quantizations"))
        self.table.setModel(self.model)
        configure_table(self.table)
        self.table.setSortingEnabled(False)  # the rank is the order
        for column, width in ((RecommendModel.COL_RANK, 30), (RecommendModel.COL_NAME, 150),
                              (RecommendModel.COL_QUANT, 95), (RecommendModel.COL_SIZE, 75),
                              (RecommendModel.COL_FIT, 115), (RecommendModel.COL_MAX_CTX, 95),
                              (RecommendModel.COL_TG, 100)):
            self.table.setColumnWidth(column, width)
        self.table.activated.connect(self._on_activated)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.why_label = QLabel(self)
        self.why_label.setWordWrap(True)
        self.why_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton(self.tr("Download…"), self)
        self.download_button.setAccessibleName(self.tr("Download the selected recommendation"))
        self.download_button.setToolTip(self.tr("Download the selected quantization from its GGUF repository (Enter)"))
        self.download_button.setEnabled(False)
        self.download_button.clicked.connect(self._on_download_clicked)
        self.table.selectionModel().currentRowChanged.connect(self._on_current)
        top = QHBoxLayout()
        top.addWidget(self.summary_label, 1)
        top.addWidget(self.filter_edit)
        bottom = QHBoxLayout()
        bottom.addWidget(self.why_label, 1)
        bottom.addWidget(self.download_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    def set_recommendations(self, recommendations: Sequence[Recommendation], target: str,
                            profile_name: str = "") -> None:
        """Show ``recommendations`` (rank order) computed for ``target`` ("Raspberry Pi 5 8GB with n_ctx
        4,096"), the profile called ``profile_name``."""
        self.model.set_recommendations(recommendations, profile_name or target)
        if recommendations:
            text = self.tr("The best quantization of each family that fits {target}, best first.")
        else:
            text = self.tr("Nothing in the catalog fits {target}. Try a smaller context.")
        self.summary_label.setText(text.format(target=target))
        self.summary_label.setToolTip(self.summary_label.text())
        self._on_find(self.filter_edit.text())

    def selected(self) -> Recommendation | None:
        """The selected recommendation, None for none."""
        index = self.table.currentIndex()
        return self.model.recommendation(index.row()) if index.isValid() else None

    @Slot(str)
    def _on_find(self, text: str) -> None:
        words = text.casefold().split()
        for row in range(self.model.rowCount()):
            item = self.model.recommendation(row)
            haystack = f"{item.family} {item.assessment.model.name} {item.assessment.quant.name}".casefold()
            self.table.setRowHidden(row, not all(word in haystack for word in words))

    @Slot(QModelIndex, QModelIndex)
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.download_button.setEnabled(current.isValid())
        item = self.model.recommendation(current.row()) if current.isValid() else None
        if item is None:
            self.why_label.clear()
        else:
            self.why_label.setText(self.tr("Why {model} {quant}: {why}").format(
                model=item.assessment.model.name, quant=item.assessment.quant.name, why=self.model.why(current.row())))

    @Slot(QModelIndex)
    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.download_requested.emit(self.model.recommendation(index.row()))

    @Slot()
    def _on_download_clicked(self) -> None:
        item = self.selected()
        if item is not None:
            self.download_requested.emit(item)

    def why_text(self, row: int) -> str:
        """The "why" shown in ``row``."""
        return str(self.model.index(row, RecommendModel.COL_WHY).data(Qt.ItemDataRole.DisplayRole))
