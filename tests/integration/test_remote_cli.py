"""``slmdesk remote add|list|test|remove`` against the fake OpenAI-compatible server, run in-process;
the key comes from stdin, lands in a 0600 file (no keyring in portable mode) and never in the
inventory or the output."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk import paths
from slmdesk.cli import run_headless
from slmdesk.inventory import remotes
from slmdesk.inventory.repository import open_inventory
from tests.integration.test_remote_server import FakeOpenAIServer

KEY = "sk-remote-cli-secret"


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(owned_by="llamacpp", key=KEY,
                          extra_routes={"/props": {"build_info": "b5000", "default_generation_settings": {}}}) as f:
        yield f


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str,
         stdin: str = "") -> tuple[int | None, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _args = run_headless(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_add_list_test_remove(fake: FakeOpenAIServer, app_paths: paths.AppPaths, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{fake.port}"
    code, out, _ = _run(monkeypatch, capsys, "remote", "add", "box", url, "--api-key-stdin", stdin=KEY + "\n")
    assert code == 0
    assert out.splitlines()[0] == f"Added box: {url}/v1 (llama.cpp server b5000, 1 model(s): fake-model)"
    assert KEY not in out
    key_file = app_paths.config / remotes.KEY_FOLDER / "1"
    assert key_file.read_text().strip() == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with sqlite3.connect(app_paths.database) as db:  # the key is nowhere in the inventory
        assert KEY.encode() not in b"".join(str(row).encode() for row in db.execute("SELECT * FROM remote_connection"))

    code, out, _ = _run(monkeypatch, capsys, "remote", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and KEY not in out
    row = listed["connections"][0]
    assert (row["name"], row["base_url"], row["server_kind"], row["has_key"]) == ("box", f"{url}/v1", "llama.cpp",
                                                                                  True)
    assert [m["id"] for m in row["models"]] == ["fake-model"]
    assert fake.headers[-1]["authorization"] == f"Bearer {KEY}"  # the stored key went to that server

    code, out, _ = _run(monkeypatch, capsys, "remote", "test", "box")
    assert code == 0 and out.startswith(f"box: {url}/v1 answered in ")

    code, out, _ = _run(monkeypatch, capsys, "remote", "remove", "box")
    assert (code, out.strip()) == (0, f"Removed box ({url}/v1) and its key.")
    assert not key_file.exists()
    inventory = open_inventory(app_paths.database)
    try:
        assert remotes.list_connections(inventory) == []
    finally:
        inventory.close()


def test_an_unreachable_or_refusing_server_is_not_stored(fake: FakeOpenAIServer, app_paths: paths.AppPaths,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(monkeypatch, capsys, "remote", "add", "box", fake.base_url, "--api-key-stdin",
                        stdin="sk-wrong\n")
    assert code == 1
    assert "answered 401 while listing its models: Invalid API key Nothing was stored." in err
    code, out, _ = _run(monkeypatch, capsys, "remote", "list", "--json")
    assert json.loads(out)["connections"] == []


def test_duplicate_names_and_bad_urls_are_refused(fake: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(monkeypatch, capsys, "remote", "add", "box", fake.base_url, "--no-test")[0] == 0
    code, _, err = _run(monkeypatch, capsys, "remote", "add", "box", fake.base_url, "--no-test")
    assert code == 1 and "A remote connection called 'box' exists already." in err
    code, _, err = _run(monkeypatch, capsys, "remote", "add", "other", "ftp://x", "--no-test")
    assert code == 1 and "is not a server address" in err


def test_offline_mode_lists_remote_hosts_without_contacting_them(fake: FakeOpenAIServer,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(monkeypatch, capsys, "remote", "add", "far", "http://gpu-box.example:8000", "--no-test")[0] == 0
    assert _run(monkeypatch, capsys, "remote", "add", "near", fake.base_url, "--no-test", "--api-key-stdin",
                stdin=KEY)[0] == 0
    code, out, _ = _run(monkeypatch, capsys, "--offline", "remote", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Offline mode is on: only connections to this computer (127.0.0.1, localhost) are contacted."
    assert lines[1:3] == ["far  http://gpu-box.example:8000/v1  (kind unknown)",
                          "    unreachable: offline mode: not contacted"]
    assert lines[4] == "    models: fake-model"  # loopback still works
    code, _, err = _run(monkeypatch, capsys, "--offline", "remote", "test", "far")
    assert code == 1 and "Offline mode is on: slmdesk connects only to servers on this computer" in err


def test_the_key_store_round_trip_and_keyring(tmp_path: Path) -> None:
    class FakeKeyring:
        priority = 5
        name = "fake"

        def __init__(self) -> None:
            self.data: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, user: str) -> str | None:
            return self.data.get((service, user))

        def set_password(self, service: str, user: str, password: str) -> None:
            self.data[(service, user)] = password

        def delete_password(self, service: str, user: str) -> None:
            del self.data[(service, user)]

    ring = FakeKeyring()
    store = remotes.KeyStore(tmp_path, ring)
    assert store.set(7, "sk-a") == "keyring (fake)"
    assert ring.data == {("slmdesk", "remote-connection-7"): "sk-a"}
    assert store.get(7) == "sk-a" and not (tmp_path / "remote_keys" / "7").exists()
    store.delete(7)
    assert store.get(7) is None and ring.data == {}
