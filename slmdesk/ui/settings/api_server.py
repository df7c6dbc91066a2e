"""The Settings pane's "Local API server" group: the switch, its address and port, the key, the status."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from slmdesk.api import base_url, is_loopback
from slmdesk.core.errors import UserError
from slmdesk.core.settings import Settings, save_settings
from slmdesk.jobs.api_service import ApiService, ApiStatus, ServerState
from slmdesk.ui.widgets.tinted import TintedLabel


def network_warning(host: str) -> str:
    """The warning shown for a non-loopback ``host``."""
    return QCoreApplication.translate(
        "ApiServerBox",
        "{host} is not a loopback address: other computers on the network can reach the server. "
        "Every request must carry the API key; keep it secret, and make a new one if it leaks.",
    ).format(host=host)


class ApiServerBox(QGroupBox):
    """The switch of the local OpenAI-compatible server and what clients need to use it.

    Ticking the box saves ``api_enabled`` (with the address and port shown) to the settings
    file and emits :attr:`settings_saved`; the composition root then starts or stops the
    server (``ApiService.apply``). Apply saves a new address or port the same way. The
    address, the key and its location and the status line follow ``service``.

    Args:
        settings: the settings in use (its other fields are kept when this box saves).
        path: the settings file.
        service: the server's controller (the main window's).
    """

    settings_saved = Signal(object)
    """The new :class:`~slmdesk.core.settings.Settings`, after they were written to the file."""

    def __init__(self, settings: Settings, path: Path, service: ApiService, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Local API server"), parent)
        self._settings = settings
        self._path = path
        self._service = service

        self.enable_check = QCheckBox(self.tr("Serve models to other programs over an OpenAI-compatible API"), self)
        self.enable_check.setAccessibleName(self.tr("Enable the local API server"))
        self.enable_check.setToolTip(self.tr(
            "Programs that speak the OpenAI API (the openai package, editors, notebooks) can use the "
            "models in your Library. Each model loads with its load settings, in an engine process of its own."
        ))
        self.host_edit = QLineEdit(self)
        self.host_edit.setAccessibleName(self.tr("Address to listen on"))
        self.host_edit.setToolTip(self.tr("127.0.0.1: this computer only. Another address of this computer reaches "
                                          "the network."))
        port_label = QLabel(self.tr("Port:"), self)
        self.port_spin = QSpinBox(self)
        self.port_spin.setRange(0, 65535)
        self.port_spin.setSpecialValueText(self.tr("Any free port"))
        self.port_spin.setAccessibleName(self.tr("Port"))
        port_label.setBuddy(self.port_spin)
        self.apply_button = QPushButton(self.tr("Apply"), self)
        self.apply_button.setAccessibleName(self.tr("Apply the address and port"))
        self.apply_button.setToolTip(self.tr("Save the address and port; a running server restarts on them."))
        self.warning_label = TintedLabel(self, role="text.warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setAccessibleName(self.tr("Network warning"))

        self.address_field = QLineEdit(self)
        self.address_field.setReadOnly(True)
        self.address_field.setAccessibleName(self.tr("Base URL"))
        self.copy_address_button = QPushButton(self.tr("Copy"), self)
        self.copy_address_button.setAccessibleName(self.tr("Copy the base URL"))
        self.key_field = QLineEdit(self)
        self.key_field.setReadOnly(True)
        self.key_field.setPlaceholderText(self.tr("Shown once the server has started (created the first time)"))
        self.key_field.setAccessibleName(self.tr("API key"))
        self.copy_key_button = QPushButton(self.tr("Copy"), self)
        self.copy_key_button.setAccessibleName(self.tr("Copy the API key"))
        self.new_key_button = QPushButton(self.tr("New key"), self)
        self.new_key_button.setAccessibleName(self.tr("Make a new API key"))
        self.new_key_button.setToolTip(self.tr("Replace the key: programs that use the old one must be given the "
                                               "new one."))
        self.key_location_label = QLabel(self)
        self.key_location_label.setWordWrap(True)
        self.key_location_label.setAccessibleName(self.tr("Where the key is kept"))
        self.status_label = TintedLabel(self)
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName(self.tr("API server status"))
        self.message_label = TintedLabel(self)
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("API server message"))

        listen = QHBoxLayout()
        listen.addWidget(self.host_edit, 1)
        listen.addWidget(port_label)
        listen.addWidget(self.port_spin)
        listen.addWidget(self.apply_button)
        address = QHBoxLayout()
        address.addWidget(self.address_field, 1)
        address.addWidget(self.copy_address_button)
        key = QHBoxLayout()
        key.addWidget(self.key_field, 1)
        key.addWidget(self.copy_key_button)
        key.addWidget(self.new_key_button)
        form = QFormLayout()
        form.addRow(self.tr("Listen on:"), listen)
        form.addRow("", self.warning_label)
        form.addRow(self.tr("Base URL:"), address)
        form.addRow(self.tr("API key:"), key)
        form.addRow(self.tr("Key kept in:"), self.key_location_label)
        form.addRow(self.tr("Status:"), self.status_label)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enable_check)
        layout.addLayout(form)
        layout.addWidget(self.message_label)

        self.show_settings(settings)
        self.enable_check.toggled.connect(self._on_enable_toggled)
        self.host_edit.textChanged.connect(self._on_fields_edited)
        self.port_spin.valueChanged.connect(self._on_fields_edited)
        self.apply_button.clicked.connect(self.apply)
        self.copy_address_button.clicked.connect(self.copy_address)
        self.copy_key_button.clicked.connect(self.copy_key)
        self.new_key_button.clicked.connect(self._service.renew_key)
        self._service.status_changed.connect(self.show_status)
        self.show_status(self._service.status)

    # -- settings -------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        """The settings as last loaded or saved."""
        return self._settings

    def adopt(self, settings: Settings) -> None:
        """Take ``settings`` saved elsewhere (the preferences) as the base of the next save."""
        self._settings = settings

    def show_settings(self, settings: Settings) -> None:
        """Fill the fields from ``settings``."""
        self.enable_check.blockSignals(True)
        self.enable_check.setChecked(settings.api_enabled)
        self.enable_check.blockSignals(False)
        self.host_edit.setText(settings.api_host)
        self.port_spin.setValue(settings.api_port)
        self._on_fields_edited()

    def edited_settings(self) -> Settings:
        """The settings with the switch, address and port as the fields show them.

        Raises:
            UserError: the address is empty or holds spaces.
        """
        return replace(self._settings, api_enabled=self.enable_check.isChecked(),
                       api_host=self.host_edit.text().strip(), api_port=self.port_spin.value())

    @Slot()
    def apply(self) -> bool:
        """Save the address and port (and the switch); False, with the reason shown, when they
        are invalid or the file cannot be written."""
        try:
            settings = self.edited_settings()
        except UserError as error:
            self._show_message(str(error), "text.error")
            return False
        try:
            save_settings(settings, self._path)
        except OSError as error:
            self._show_message(self.tr("Cannot save the settings to {path}: {reason}.").format(
                path=self._path, reason=error.strerror or error), "text.error")
            return False
        self._settings = settings
        self._show_message("", None)
        self._on_fields_edited()
        self.settings_saved.emit(settings)
        return True

    @Slot(bool)
    def _on_enable_toggled(self, checked: bool) -> None:
        if not self.apply():
            self.enable_check.blockSignals(True)
            self.enable_check.setChecked(not checked)  # nothing was saved: the switch did not move
            self.enable_check.blockSignals(False)

    @Slot()
    def _on_fields_edited(self) -> None:
        host = self.host_edit.text().strip()
        remote = bool(host) and not is_loopback(host)
        self.warning_label.setText(network_warning(host) if remote else "")
        self.warning_label.setVisible(remote)
        saved = (self._settings.api_host, self._settings.api_port)
        self.apply_button.setEnabled((host, self.port_spin.value()) != saved)
        self.show_status(self._service.status)

    # -- the server -----------------------------------------------------------------------------
    def status_text(self, status: ApiStatus) -> str:
        """The status line: ``"Running on http://127.0.0.1:8765/v1: 3 request(s) served."``, ``"Stopped."``,
        or the error."""
        if status.state is ServerState.RUNNING:
            served = status.requests
            if status.waiting:
                return self.tr("Running on {address}: %n request(s) served, {waiting} waiting.", "", served).format(
                    address=status.address, waiting=status.waiting)
            return self.tr("Running on {address}: %n request(s) served.", "", served).format(address=status.address)
        if status.state is ServerState.STARTING:
            return self.tr("Starting…")
        if status.state is ServerState.STOPPING:
            return self.tr("Stopping…")
        if status.state is ServerState.FAILED:
            return self.tr("Not running: {error}").format(error=status.error)
        return self.tr("Stopped.")

    @Slot(object)
    def show_status(self, status: ApiStatus) -> None:
        """Show the address, key, key location and status line of ``status``."""
        live = status.state in (ServerState.RUNNING, ServerState.STARTING) and status.address
        self.address_field.setText(status.address if live else base_url(self._settings.api_host,
                                                                         self._settings.api_port))
        self.key_field.setText(status.key or "")
        self.copy_key_button.setEnabled(bool(status.key))
        self.key_location_label.setText(status.key_location or self.tr(
            "Chosen when the key is created: the system keyring if there is one, else a file only you can read."))
        self.status_label.setText(self.status_text(status))
        role = {ServerState.FAILED: "text.error", ServerState.RUNNING: "text.ok"}.get(status.state)
        self.status_label.set_role(role)
        busy = status.state in (ServerState.STARTING, ServerState.STOPPING)
        self.new_key_button.setEnabled(not busy)

    @Slot()
    def copy_address(self) -> None:
        """Put the base URL on the clipboard."""
        QGuiApplication.clipboard().setText(self.address_field.text())
        self._show_message(self.tr("Base URL copied to the clipboard."), "text.ok")

    @Slot()
    def copy_key(self) -> None:
        """Put the API key on the clipboard."""
        if self.key_field.text():
            QGuiApplication.clipboard().setText(self.key_field.text())
            self._show_message(self.tr("API key copied to the clipboard."), "text.ok")

    def _show_message(self, text: str, role: str | None) -> None:
        self.message_label.setText(text)
        self.message_label.set_role(role)
