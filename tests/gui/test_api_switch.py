"""The Settings pane's "Local API server" switch over the main window's server: on, off, at launch,
on quit, a new key, the clipboard, the network warning and a port already in use."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from slmdesk.api.server import ApiServer
from slmdesk.core.settings import Settings, load_settings
from slmdesk.jobs.api_service import ServerState
from slmdesk.paths import AppPaths
from slmdesk.ui.main_window import MainWindow
from slmdesk.ui.settings.api_server import ApiServerBox
from tests.inventory_factory import insert_artifacts

START_MS = 20_000
"""How long a start or stop may take on a busy 2-core machine (milliseconds)."""


def api_box(window: MainWindow) -> ApiServerBox:
    box = window.panes["Settings"].api_box  # type: ignore[attr-defined]
    assert isinstance(box, ApiServerBox)
    return box


def wait_for(qtbot, window: MainWindow, state: ServerState) -> None:
    qtbot.waitUntil(lambda: window.api.status.state is state, timeout=START_MS)


def get(url: str, key: str) -> tuple[int, Any]:
    """GET ``url`` with the key: (status, decoded JSON body)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def post(url: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST a JSON ``body`` with the key: (status, decoded JSON body)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def refused(address: str) -> bool:
    """Whether nothing listens at the base URL ``address`` any more."""
    port = int(address.rsplit(":", 1)[1].split("/", 1)[0])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_switch_starts_a_server_that_answers_with_the_key_and_stops_it(qtbot, make_window,
                                                                           app_paths: AppPaths) -> None:
    window = make_window(Settings(api_port=0))
    box = api_box(window)
    assert not box.enable_check.isChecked() and window.api.status.state is ServerState.STOPPED
    assert box.status_label.text() == "Stopped." and box.address_field.text() == "http://127.0.0.1:0/v1"
    assert box.key_field.text() == "" and not box.copy_key_button.isEnabled()
    insert_artifacts(window._context.inventory, 1)

    qtbot.mouseClick(box.enable_check, Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, ServerState.RUNNING)
    address, key = box.address_field.text(), box.key_field.text()
    assert address.startswith("http://127.0.0.1:") and address.endswith("/v1") and address != "http://127.0.0.1:0/v1"
    assert key.startswith("sk-slmdesk-")
    # Portable mode (SLMDESK_HOME) keeps the key in a file beside the settings, not in a keyring.
    assert box.key_location_label.text() == str(app_paths.config / "api_key")
    assert (app_paths.config / "api_key").read_text().strip() == key
    # "request(s)": the English plural forms come from slmdesk_en.qm, which tests do not install.
    assert box.status_label.text() == f"Running on {address}: 0 request(s) served."
    status, body = get(f"{address}/models", key)
    assert status == 200 and [model["id"] for model in body["data"]] == ["m1"]
    status, body = get(f"{address}/models", "sk-slmdesk-wrong")
    assert status == 401 and body["error"]["code"] == "invalid_api_key"
    assert load_settings(app_paths.settings_file).api_enabled

    # Saving the preferences keeps the switch's settings (and leaves the server alone).
    window.panes["Settings"].preferences.threads_spin.setValue(3)  # type: ignore[attr-defined]
    assert window.panes["Settings"].preferences.save()  # type: ignore[attr-defined]
    saved = load_settings(app_paths.settings_file)
    assert (saved.n_threads, saved.api_enabled, saved.api_port) == (3, True, 0)
    assert window.api.status.state is ServerState.RUNNING and window.api.status.address == address

    qtbot.mouseClick(box.enable_check, Qt.MouseButton.LeftButton)
    wait_for(qtbot, window, ServerState.STOPPED)
    assert refused(address)
    assert box.status_label.text() == "Stopped." and box.key_field.text() == key  # the key stays known
    assert not load_settings(app_paths.settings_file).api_enabled


def test_a_server_enabled_in_settings_starts_at_launch_and_stops_on_quit(qtbot, make_window) -> None:
    window = make_window(Settings(api_enabled=True, api_port=0))
    box = api_box(window)
    assert box.enable_check.isChecked()
    wait_for(qtbot, window, ServerState.RUNNING)
    address = window.api.status.address
    assert get(f"{address}/models", box.key_field.text()) == (200, {"object": "list", "data": []})
    window.close()
    assert refused(address) and window.api.server is None


def test_the_status_line_counts_the_requests_served(qtbot, make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.api_rig import FakeEngine

    real = ApiServer.for_inventory.__func__  # type: ignore[attr-defined]

    def with_fake_engine(cls: type[ApiServer], *args: Any, **kwargs: Any) -> ApiServer:
        assert kwargs.get("client_factory") is None  # the window's server gets an engine of its own
        kwargs["client_factory"] = lambda: FakeEngine([], 512, 0.0)
        server: ApiServer = real(cls, *args, **kwargs)
        return server

    monkeypatch.setattr(ApiServer, "for_inventory", classmethod(with_fake_engine))
    window = make_window(Settings(api_enabled=True, api_port=0))
    insert_artifacts(window._context.inventory, 1)
    wait_for(qtbot, window, ServerState.RUNNING)
    box = api_box(window)
    address, key = window.api.status.address, box.key_field.text()
    for words in ("one two", "three four"):
        status, body = post(f"{address}/chat/completions", key,
                            {"model": "m1", "messages": [{"role": "user", "content": words}]})
        assert status == 200 and body["choices"][0]["message"]["content"].startswith("Echo: ")
    qtbot.waitUntil(lambda: box.status_label.text() == f"Running on {address}: 2 request(s) served.", timeout=5000)


def test_switching_off_before_the_start_finished_ends_stopped(qtbot, make_window) -> None:
    window = make_window(Settings(api_port=0))
    box = api_box(window)
    box.enable_check.setChecked(True)
    box.enable_check.setChecked(False)  # before the start job has even run
    assert window.api.status.state is ServerState.STOPPING
    wait_for(qtbot, window, ServerState.STOPPED)
    assert window.api.server is not None and not window.api.server.running
    assert box.status_label.text() == "Stopped."


def test_new_key_replaces_the_old_one_and_copy_puts_it_on_the_clipboard(qtbot, make_window) -> None:
    window = make_window(Settings(api_enabled=True, api_port=0))
    wait_for(qtbot, window, ServerState.RUNNING)
    box = api_box(window)
    address, old_key = window.api.status.address, box.key_field.text()
    qtbot.mouseClick(box.copy_key_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == old_key
    assert box.message_label.text() == "API key copied to the clipboard."
    qtbot.mouseClick(box.copy_address_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == address

    qtbot.mouseClick(box.new_key_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.key_field.text() not in ("", old_key)
                    and window.api.status.state is ServerState.RUNNING, timeout=START_MS)
    new_key = box.key_field.text()
    address = window.api.status.address  # restarted: port 0 picks a port again
    assert get(f"{address}/models", old_key)[0] == 401
    assert get(f"{address}/models", new_key)[0] == 200
    qtbot.mouseClick(box.copy_key_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == new_key
    QGuiApplication.clipboard().clear()


def test_a_network_address_shows_the_warning(make_window) -> None:
    box = api_box(make_window())
    assert box.warning_label.isHidden() and not box.apply_button.isEnabled()
    box.host_edit.setText("0.0.0.0")
    assert not box.warning_label.isHidden() and box.apply_button.isEnabled()
    assert box.warning_label.text().startswith("0.0.0.0 is not a loopback address: other computers on the network")
    assert "Every request must carry the API key" in box.warning_label.text()
    for host in ("localhost", "::1", "127.0.0.2"):
        box.host_edit.setText(host)
        assert box.warning_label.isHidden(), host
    box.host_edit.setText("192.168.1.20")
    assert not box.warning_label.isHidden()
    box.host_edit.setText("not an address")
    assert box.apply() is False
    assert box.message_label.text().startswith("'not an address' is not an address to listen on.")


def test_a_port_in_use_is_shown_in_the_status_line_and_another_port_works(qtbot, make_window,
                                                                          app_paths: AppPaths) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        window = make_window(Settings(api_enabled=True, api_port=port))
        wait_for(qtbot, window, ServerState.FAILED)
        box = api_box(window)
        assert box.status_label.text().startswith(f"Not running: Cannot listen on 127.0.0.1:{port}: ")
        assert "Choose another port" in box.status_label.text()
        assert window.statusBar().currentMessage().startswith(f"Local API server: Cannot listen on 127.0.0.1:{port}")
        assert box.enable_check.isChecked()  # still asked for: a new port is all it takes
        qtbot.mouseClick(box.new_key_button, Qt.MouseButton.LeftButton)  # a key can be made meanwhile
        qtbot.waitUntil(lambda: box.key_field.text().startswith("sk-slmdesk-"), timeout=START_MS)
        assert window.api.status.state is ServerState.FAILED and "Cannot listen" in box.status_label.text()
        box.port_spin.setValue(0)
        qtbot.mouseClick(box.apply_button, Qt.MouseButton.LeftButton)
        wait_for(qtbot, window, ServerState.RUNNING)
        assert load_settings(app_paths.settings_file).api_port == 0
        assert get(f"{window.api.status.address}/models", box.key_field.text())[0] == 200
